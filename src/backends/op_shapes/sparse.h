// Shape rules and semantics of gnnrt's two sparse ops (domain "gnnrt"), which the message-passing
// lifting pass (passes/spmm_lifting.cpp) puts in place of PyG's gather -> scale -> scatter-add:
//
// CsrFromCoo(src, dst, dense_shape[, values]) -> (row_ptr, col[, sorted_values])
//   src, dst: int64 [E], the edge list (PyG flow: message from src to dst). dense_shape: int64
//   1-D, element 0 is the number of rows N (it is the shape of the scatter's zeros, [N, F]).
//   values: float32 [E], optional. Sorts the edges by dst, stably (edges of one row keep their
//   order in the list, so sums are deterministic and match the scatter's order):
//   row_ptr int32 [N + 1], col int32 [E] (the src of each sorted edge, as given: negative ids are
//   left for SpMM to wrap), sorted_values float32 [E] (present when values is).
//   A dst outside [-N, N) is the user's error (negative ids wrap, as in ONNX ScatterElements);
//   so is a src outside int32, or E > INT32_MAX.
//
// SpMM(X, row_ptr, col[, values][, row_scale][, col_scale][, bias]) -> Y, attributes
//   activation = "none" (default) or "relu"; row_scale_divides = 0 (default) or 1.
//   X: [M, F] float32, float16 or bfloat16; Y: [N, F] of X's dtype, N = row_ptr.size - 1.
//   values [E], row_scale [>= N], col_scale [>= M], bias [F]: float32, each optional.
//     Y[i, f] = act(row_scale[i] * sum_{e in row_ptr[i] .. row_ptr[i+1]-1}
//                     values[e] * col_scale[c(e)] * X[c(e), f]  + bias[f])
//   with c(e) = col[e] + M when col[e] < 0, else col[e]; a missing factor is 1, a missing bias 0.
//   With row_scale_divides = 1 the sum is divided by row_scale[i] instead (a mean: a pooled sum
//   over its clamped count, divided as PyG divides, not multiplied by a rounded reciprocal).
//   A row without entries sums to exactly 0 and its row scale is not applied (Y = act(bias)), as
//   the scatter-add it replaces leaves such rows 0 even where the scale is inf (deg^-1/2 of an
//   isolated node when a model does not mask it).
//   Accumulation is in fp32 whatever X's dtype. A c(e) outside [0, M) is the user's error.
//   The CPU reference sums each row in CSR order; the CUDA kernels may sum in another order.
//   INT8 engines (docs/INT8.md): X may be int8, with either the float attribute x_scale (> 0,
//   finite; per tensor): X[c, f] reads as x_scale * X[c, f], or the 8th input x_row_scale float32
//   [>= M] (per row): X[c, f] reads as x_row_scale[c] * X[c, f]; dequantised as it is gathered, Y
//   is then float32. Both are refused on a float X. The CUDA kernels gather int8 rows the same
//   way (launch/sparse.cu), in their own summation order.
#pragma once

#include <cstdint>
#include <string>

#include "backends/op_shapes/common.h"

namespace gnnrt::op_shapes {

// Input positions, shared by the pass that creates the nodes and the kernels that run them.
namespace csr_from_coo {
constexpr size_t kSrc = 0, kDst = 1, kDenseShape = 2, kValues = 3;
constexpr size_t kRowPtr = 0, kCol = 1, kSortedValues = 2;
}  // namespace csr_from_coo
namespace spmm {
constexpr size_t kX = 0, kRowPtr = 1, kCol = 2, kValues = 3, kRowScale = 4, kColScale = 5, kBias = 6, kXRowScale = 7;
}  // namespace spmm

struct CsrFromCooLayout {
  int64_t num_rows = 0;
  int64_t num_edges = 0;
  bool has_values = false;
};
// Checks dtypes and ranks (not index values) and reads dense_shape[0].
CsrFromCooLayout csr_from_coo_layout(const ir::Node& node, const KernelInputs& inputs, const HostReader& reader = {});

enum class SpmmActivation { None, Relu };

struct SpmmLayout {
  int64_t num_rows = 0;  // N
  int64_t num_cols = 0;  // M, rows of X
  int64_t width = 0;     // F
  int64_t num_edges = 0;
  SpmmActivation activation = SpmmActivation::None;
  bool divide_by_row_scale = false;  // row_scale_divides = 1
  float x_scale = 1.0f;              // an int8 X's dequantisation scale; 1 for float X or per row
  bool x_row_scaled = false;         // an int8 X with x_row_scale
};
// Checks dtypes, ranks and lengths (row_scale >= N, col_scale >= M, bias == F); not index values.
SpmmLayout spmm_layout(const ir::Node& node, const KernelInputs& inputs);
SpmmActivation spmm_activation(const ir::Node& node);

}  // namespace gnnrt::op_shapes
