// Launch functions for gnnrt's sparse ops on CUDA (sparse.cu): CsrFromCoo and SpMM, whose exact
// semantics are in backends/op_shapes/sparse.h. Plain pointers, sizes, a scratch buffer and a
// stream; the host side (sparse_ops.cpp) checks shapes first, as the CPU reference does
// (backends/cpu/sparse_ops.cpp).
//
// Indices come from user data, so every one is range-checked on the device: a dst outside
// [-N, N), a src outside int32, or a column id outside [-M, M) is recorded with
// report_device_error(kIndexOutOfRange, value = the index, bound = the extent) and the edge is
// skipped. row_ptr is gnnrt's own (CsrFromCoo's output); a malformed one (not starting at 0, not
// ending at E, decreasing) is recorded the same way, with bound E + 1, and never makes a kernel
// read or write outside its buffers, though the output is then undefined.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "backends/cuda/device_errors.h"
#include "gnnrt/dtype.h"

namespace gnnrt::cuda {

// ---------------------------------------------------------------- CsrFromCoo

// Sorts the edge list (src, dst) stably by dst with a CUB radix sort over the bits N needs:
// row_ptr[N + 1], col[E] (src of each sorted edge, as int32) and, when `values` is given,
// sorted_values[E]. Bit-identical to the CPU's counting sort. `scratch` must hold
// csr_from_coo_scratch_bytes.
size_t csr_from_coo_scratch_bytes(int64_t num_edges, int64_t num_rows, bool has_values);
void launch_csr_from_coo(const int64_t* src, const int64_t* dst, const float* values, int64_t num_edges,
                         int64_t num_rows, int32_t* row_ptr, int32_t* col, float* sorted_values, void* scratch,
                         size_t scratch_bytes, DeviceErrorSink errors, cudaStream_t stream);

// ---------------------------------------------------------------- SpMM

// The ways SpMM can run; the engine builder may time them (spmm_tactics.h) and record the winner
// as the node's "tactic" attribute.
enum class SpmmTactic : int32_t {
  // One warp per output row (lanes across the features, 16-byte loads when the width and the
  // pointers allow, idle lanes taking further edges of the row for narrow features). One launch;
  // best when in-degrees are even: a row of 15k edges is one warp's serial work.
  WarpPerRow = 0,
  // The nonzeros split into equal chunks, one warp each, whatever the rows: a warp sums the rows
  // its chunk holds and hands the partial sums of rows cut by a chunk boundary to a fix-up pass
  // that adds them in chunk order (deterministic, no atomics). For power-law in-degrees.
  RowBalanced = 1,
  // cusparseSpMM (CSR, row-major dense matrices, fp32 only) on values[e] * col_scale[c(e)]
  // materialised in scratch, then row_scale, bias and the activation in an epilogue kernel. The
  // baseline the other tactics are measured against.
  CuSparse = 2,
  // Several rows per warp: each group of lanes that spans a slab of a row sums that row's edges
  // alone, in order (no shuffles). For graphs of short rows, such as batches of molecules, where
  // WarpPerRow leaves a warp waiting on one row's few loads.
  RowsPerWarp = 3,
};
inline constexpr SpmmTactic kSpmmTactics[] = {SpmmTactic::WarpPerRow, SpmmTactic::RowBalanced, SpmmTactic::CuSparse,
                                              SpmmTactic::RowsPerWarp};

// One SpMM call: Y[N, F] = act(row_scale * (A . X) + bias) with A the CSR matrix (row_ptr, col,
// values) and X's rows scaled by col_scale; see op_shapes/sparse.h. Optional inputs are nullptr.
struct SpmmProblem {
  DType dtype = DType::Float32;  // of X and Y: float32, float16 or bfloat16; or int8 X (Y float32)
  const void* x = nullptr;       // [num_cols, width]
  const int32_t* row_ptr = nullptr;  // [num_rows + 1]
  const int32_t* col = nullptr;      // [num_edges]
  const float* values = nullptr;     // [num_edges]
  const float* row_scale = nullptr;  // [>= num_rows]
  const float* col_scale = nullptr;  // [>= num_cols]
  const float* bias = nullptr;       // [width]
  // An int8 X's dequantisation (INT8 engines): per tensor, sums times x_scale (1 otherwise); or
  // per row, each gathered row times x_row_scale[c] with its edge's weight (nullptr otherwise).
  float x_scale = 1.0f;
  const float* x_row_scale = nullptr;  // [>= num_cols]
  void* y = nullptr;                 // [num_rows, width]
  int64_t num_rows = 0;   // N
  int64_t num_cols = 0;   // M
  int64_t width = 0;      // F
  int64_t num_edges = 0;  // E
  bool relu = false;
  bool divide_rows = false;  // sums divided by row_scale instead of multiplied
  // Bytes of a row one warp gathers per pass over the edges (WarpPerRow, RowBalanced): the row
  // is cut into column slabs of this width (rounded down to a power-of-two count of 16-byte
  // units), one pass each. 0: the L2 heuristic (a slab of X that fits in half of L2).
  int32_t slab_bytes = 0;
};

// X's dtype is one SpMM handles (float32, float16, bfloat16, int8).
bool spmm_dtype_supported(DType dtype);
// Whether `tactic` runs X of `dtype` (CuSparse: float32 only).
bool spmm_tactic_supports(SpmmTactic tactic, DType dtype);

// Whether `tactic` can run this problem: the dtype (spmm_tactic_supports), and for CuSparse a
// matrix cuSPARSE accepts (it refuses more stored entries than rows x columns, which a multigraph
// with repeated edges can have). launch_spmm runs WarpPerRow instead of a tactic that cannot.
bool spmm_tactic_applies(SpmmTactic tactic, const SpmmProblem& problem);

// The slab width in bytes the gathering tactics use for `problem` on the current device
// (problem.slab_bytes resolved against the row width, the vector width and the heuristic).
int64_t spmm_slab_bytes_used(const SpmmProblem& problem);

// Scratch bytes `tactic` needs for `problem` (0 for WarpPerRow), on the current device.
size_t spmm_scratch_bytes(SpmmTactic tactic, const SpmmProblem& problem);
// Runs `problem` with `tactic` on `stream`; `scratch` holds spmm_scratch_bytes(tactic, problem).
void launch_spmm(SpmmTactic tactic, const SpmmProblem& problem, void* scratch, size_t scratch_bytes,
                 DeviceErrorSink errors, cudaStream_t stream);

// The tactics one by one (launch_spmm picks among these).
void launch_spmm_warp_per_row(const SpmmProblem& problem, DeviceErrorSink errors, cudaStream_t stream);
void launch_spmm_row_balanced(const SpmmProblem& problem, void* scratch, size_t scratch_bytes, DeviceErrorSink errors,
                              cudaStream_t stream);
void launch_spmm_cusparse(const SpmmProblem& problem, void* scratch, size_t scratch_bytes, DeviceErrorSink errors,
                          cudaStream_t stream);
void launch_spmm_rows_per_warp(const SpmmProblem& problem, DeviceErrorSink errors, cudaStream_t stream);

}  // namespace gnnrt::cuda
