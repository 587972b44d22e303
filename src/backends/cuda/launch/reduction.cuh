// Launch functions for the CUDA reductions and axis-wise normalisations (reduction.cu): Reduce*,
// ArgMax/ArgMin, Softmax/LogSoftmax, CumSum, BatchNormalization (inference), LayerNormalization.
// Plain pointers, sizes and a stream; the host side (reduction_ops.cpp) checks shapes first.
//
// Determinism: every launch configuration, chunk split and reduction tree depends only on the
// sizes (never on the device or on timing), and no kernel uses floating-point atomics, so the
// same inputs give bit-identical outputs run to run. Floating-point sums accumulate in double and
// integer ones wrap in 64 bits, as in the CPU reference (backends/cpu/reduction.cpp); only the
// order of the double additions differs from the CPU's sequential one.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "gnnrt/dtype.h"

namespace gnnrt::cuda {

// ---------------------------------------------------------------- Reduce*

enum class ReduceOp : int32_t { Sum, Mean, Max, Min, Prod, L2, SumSquare };

// Dims of size 1 dropped and neighbours of the same kind merged, a rank-r input has at most r
// merged dims, alternating kept and reduced: 8 of each covers any input of rank <= 16.
inline constexpr int kMaxReduceDims = 8;

// Where the elements folded into output element o live: input offset = kept_offset(o) +
// reduced_offset(r) for r in [0, reduced), both row-major decodes over merged dims.
struct ReduceGeometry {
  int64_t outputs = 0;  // output elements
  int64_t reduced = 1;  // input elements folded into each one (0 gives the fold's identity)
  int32_t kept_rank = 0;
  int64_t kept_sizes[kMaxReduceDims] = {};
  int64_t kept_strides[kMaxReduceDims] = {};
  int32_t reduced_rank = 0;
  int64_t reduced_sizes[kMaxReduceDims] = {};
  int64_t reduced_strides[kMaxReduceDims] = {};
};

bool reduce_supported(ReduceOp op, DType dtype);
// Device scratch (partial results) the launch needs when it splits long reductions; 0: none.
size_t reduce_scratch_bytes(ReduceOp op, DType dtype, const ReduceGeometry& geometry);
void launch_reduce(ReduceOp op, DType dtype, const void* in, void* out, const ReduceGeometry& geometry, void* scratch,
                   cudaStream_t stream);

// ---------------------------------------------------------------- single-axis ops
// The input is viewed as [outer, length, inner] around the axis.

bool softmax_supported(DType dtype);
void launch_softmax(DType dtype, bool log, const void* in, void* out, int64_t outer, int64_t length, int64_t inner,
                    cudaStream_t stream);

// The index (int64) of the first (or, with select_last, the last) extreme value along the axis;
// NaN counts as the extreme, as in numpy and torch. `length` must be > 0.
bool arg_extreme_supported(DType dtype);
void launch_arg_extreme(DType dtype, bool is_max, bool select_last, const void* in, int64_t* out, int64_t outer,
                        int64_t length, int64_t inner, cudaStream_t stream);

bool cumsum_supported(DType dtype);
size_t cumsum_scratch_bytes(DType dtype, int64_t outer, int64_t length, int64_t inner);
void launch_cumsum(DType dtype, bool exclusive, bool reverse, const void* in, void* out, int64_t outer, int64_t length,
                   int64_t inner, void* scratch, cudaStream_t stream);

// ---------------------------------------------------------------- normalisations

// y = x * a[c] + b[c] over X = [batch, channels, spatial...] with a = scale / sqrt(var + epsilon)
// and b = bias - mean * a folded in double; `scratch` holds 2 * channels elements of X's dtype.
bool batch_norm_supported(DType dtype);
void launch_batch_norm(DType dtype, const void* x, const void* scale, const void* bias, const void* mean,
                       const void* variance, double epsilon, void* y, int64_t batch, int64_t channels,
                       int64_t spatial, void* scratch, cudaStream_t stream);

// Normalises each of `rows` contiguous rows of `row_length`, then multiplies by gamma and adds
// beta (each row_length elements; beta may be nullptr). Row means and inverse standard
// deviations go to `mean` / `inv_std` (nullptr: not wanted) in `stash` (float32 or float64).
bool layer_norm_supported(DType dtype, DType stash);
void launch_layer_norm(DType dtype, DType stash, const void* x, const void* gamma, const void* beta, void* y,
                       void* mean, void* inv_std, int64_t rows, int64_t row_length, double epsilon,
                       cudaStream_t stream);

}  // namespace gnnrt::cuda
