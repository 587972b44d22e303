#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/launch/fused_linear.cuh"
#include "backends/cuda/launch/launch_common.cuh"

namespace gnnrt::cuda {
namespace {

__device__ inline float widen(float v) { return v; }
__device__ inline float widen(__half v) { return __half2float(v); }
__device__ inline float widen(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T>
__device__ inline T narrow(float v);
template <>
__device__ inline float narrow<float>(float v) { return v; }
template <>
__device__ inline __half narrow<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ inline __nv_bfloat16 narrow<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

template <typename T>
__global__ void bias_activation(T* y, const T* bias, int64_t count, int64_t cols, bool relu) {
  GNNRT_GRID_STRIDE_LOOP(i, count) {
    float v = widen(y[i]) + (bias ? widen(bias[i % cols]) : 0.0f);
    y[i] = narrow<T>(relu ? fmaxf(v, 0.0f) : v);
  }
}

template <typename T>
void launch_for(void* y, const void* bias, int64_t rows, int64_t cols, bool relu, cudaStream_t stream) {
  const int64_t count = rows * cols;
  if (count == 0) return;
  bias_activation<T><<<blocks_for(count), kThreads, 0, stream>>>(static_cast<T*>(y), static_cast<const T*>(bias),
                                                                  count, cols, relu);
  GNNRT_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_bias_activation(DType dtype, void* y, const void* bias, int64_t rows, int64_t cols, bool relu,
                            cudaStream_t stream) {
  switch (dtype) {
    case DType::Float32: return launch_for<float>(y, bias, rows, cols, relu, stream);
    case DType::Float16: return launch_for<__half>(y, bias, rows, cols, relu, stream);
    case DType::BFloat16: return launch_for<__nv_bfloat16>(y, bias, rows, cols, relu, stream);
    default: fail_internal("bias/activation epilogue of dtype ", dtype_name(dtype));
  }
}

}  // namespace gnnrt::cuda
