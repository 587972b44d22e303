#include "backends/cuda/launch/quantize.cuh"

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/launch/launch_common.cuh"

namespace gnnrt::cuda {
namespace {

// core/int8.h's quantize_int8: NaN -> 0, clamp to [-127, 127], round half to even.
__device__ inline int8_t quantize(float value, float scale) {
  const float scaled = __fdiv_rn(value, scale);
  if (isnan(scaled)) return 0;
  return static_cast<int8_t>(__float2int_rn(fminf(fmaxf(scaled, -127.0f), 127.0f)));
}

__global__ void quantize_kernel(const float* __restrict__ x, int64_t count, float scale, int8_t* __restrict__ y) {
  GNNRT_GRID_STRIDE_LOOP(i, count) y[i] = quantize(x[i], scale);
}

// One warp per row: the largest finite magnitude (max is exact in any order), then the row.
__global__ void quantize_rows_kernel(const float* __restrict__ x, int64_t rows, int64_t width, int8_t* __restrict__ y,
                                     float* __restrict__ row_scale) {
  const int64_t row = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  if (row >= rows) return;  // whole warps
  const int lane = static_cast<int>(threadIdx.x & 31);
  const float* source = x + row * width;
  float amax = 0.0f;
  for (int64_t f = lane; f < width; f += 32) {
    const float v = source[f];
    if (isfinite(v)) amax = fmaxf(amax, fabsf(v));
  }
  for (int offset = 16; offset > 0; offset >>= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, offset));
  const float scale = amax > 0.0f ? __fdiv_rn(amax, 127.0f) : 1.0f;
  if (lane == 0) row_scale[row] = scale;
  for (int64_t f = lane; f < width; f += 32) y[row * width + f] = quantize(source[f], scale);
}

__global__ void dequantize_columns_kernel(const int8_t* __restrict__ q, const float* __restrict__ scale, int64_t count,
                                          int64_t cols, float* __restrict__ w) {
  GNNRT_GRID_STRIDE_LOOP(i, count) w[i] = __fmul_rn(scale[i % cols], static_cast<float>(q[i]));
}

}  // namespace

void launch_quantize_int8(const float* x, int64_t count, float scale, int8_t* y, cudaStream_t stream) {
  if (count <= 0) return;
  quantize_kernel<<<blocks_for(count), kThreads, 0, stream>>>(x, count, scale, y);
  GNNRT_CUDA_CHECK_LAUNCH();
}

void launch_quantize_int8_rows(const float* x, int64_t rows, int64_t width, int8_t* y, float* row_scale,
                               cudaStream_t stream) {
  if (rows <= 0) return;
  const int64_t blocks = ceil_div(rows * 32, kThreads);
  GNNRT_CHECK(blocks <= INT32_MAX, "QuantizeInt8 per row over ", rows, " rows");
  quantize_rows_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(x, rows, width, y, row_scale);
  GNNRT_CUDA_CHECK_LAUNCH();
}

void launch_dequantize_int8_columns(const int8_t* q, const float* scale, int64_t rows, int64_t cols, float* w,
                                    cudaStream_t stream) {
  const int64_t count = rows * cols;
  if (count <= 0) return;
  dequantize_columns_kernel<<<blocks_for(count), kThreads, 0, stream>>>(q, scale, count, cols, w);
  GNNRT_CUDA_CHECK_LAUNCH();
}

}  // namespace gnnrt::cuda
