// Launch functions for INT8 engines' quantisation on CUDA (quantize.cu): gnnrt.QuantizeInt8
// (semantics: backends/op_shapes/quantize.h; CPU reference: backends/cpu/quantize_ops.cpp) and the
// dequantisation of a Linear's int8 weights. Each value is quantised as core/int8.h does on the
// CPU (the same division, clamp and round-half-even), so the int8 codes are bit-identical.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace gnnrt::cuda {

// y[i] = quantize(x[i], scale) for i < count.
void launch_quantize_int8(const float* x, int64_t count, float scale, int8_t* y, cudaStream_t stream);

// Per row of x [rows, width]: row_scale[r] = max |x[r, :]| / 127 over the finite values (1 for a
// row with nothing but zeros and non-finite values), y[r, f] = quantize(x[r, f], row_scale[r]).
void launch_quantize_int8_rows(const float* x, int64_t rows, int64_t width, int8_t* y, float* row_scale,
                               cudaStream_t stream);

// w[k, n] = scale[n] * q[k, n] for q [rows, cols] (a Linear's per-output-channel int8 weights).
void launch_dequantize_int8_columns(const int8_t* q, const float* scale, int64_t rows, int64_t cols, float* w,
                                    cudaStream_t stream);

}  // namespace gnnrt::cuda
