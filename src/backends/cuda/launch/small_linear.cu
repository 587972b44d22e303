#include "backends/cuda/launch/small_linear.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/launch/launch_common.cuh"

namespace gnnrt::cuda {
namespace {

constexpr int kSmallLinearThreads = 256;
constexpr int kMaxRowsPerThread = 16;         // fp32 accumulators a thread keeps
constexpr int64_t kSharedFloats = 12288;      // 48 KB: W, then the tile of X
constexpr int64_t kMaxWeightFloats = 8192;    // W may take up to 32 KB of it
constexpr int kMaxRowsPerPass = 32;

// How a block covers its tile: thread t computes column t % width of rows
// group + j * rows_per_pass (group = t / width, j < rows_per_thread). K is padded to a multiple of 4
// with zeros (read as float4); X's rows in shared memory are `x_stride` floats apart, 4 mod 8, so
// that the 8 rows a quarter-warp reads fall in different banks.
struct TileShape {
  int inner4 = 0, width = 0, x_stride = 0, rows_per_pass = 0, rows_per_thread = 0;
  __host__ __device__ int tile_rows() const { return rows_per_pass * rows_per_thread; }
  size_t shared_bytes() const {
    return (static_cast<size_t>(inner4) * width + static_cast<size_t>(tile_rows()) * x_stride) * sizeof(float);
  }
};

bool tile_shape(int64_t inner, int64_t width, TileShape& shape) {
  if (inner < 1 || width < 1 || width > kSmallLinearThreads) return false;
  const int64_t inner4 = (inner + 3) / 4 * 4;
  if (inner4 * width > kMaxWeightFloats) return false;
  shape.inner4 = static_cast<int>(inner4);
  shape.width = static_cast<int>(width);
  shape.x_stride = static_cast<int>((inner4 + 7) / 8 * 8 + 4);
  shape.rows_per_pass = static_cast<int>(std::min<int64_t>(kSmallLinearThreads / width, kMaxRowsPerPass));
  const int64_t rows_that_fit = (kSharedFloats - inner4 * width) / shape.x_stride;
  shape.rows_per_thread = static_cast<int>(std::min<int64_t>(kMaxRowsPerThread, rows_that_fit / shape.rows_per_pass));
  return shape.rows_per_thread >= 1;
}

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
struct SmallLinearArgs {
  const T* x;
  const void* w;
  const float* weight_scale;  // non-null: W is int8
  const T* bias;
  T* y;
  int64_t rows;
  int inner;
  bool relu;
  TileShape shape;
};

template <typename T>
__device__ inline float weight_at(const SmallLinearArgs<T>& a, int k, int column) {
  const int64_t index = static_cast<int64_t>(k) * a.shape.width + column;
  if (a.weight_scale)  // scale * q, the product the CPU's dequantisation forms
    return __fmul_rn(__ldg(a.weight_scale + column), static_cast<float>(static_cast<const int8_t*>(a.w)[index]));
  return widen(static_cast<const T*>(a.w)[index]);
}

template <typename T>
__global__ void __launch_bounds__(kSmallLinearThreads) small_linear_kernel(SmallLinearArgs<T> a) {
  extern __shared__ float4 shared_words[];
  const TileShape& s = a.shape;
  float* w_shared = reinterpret_cast<float*>(shared_words);
  float* x_shared = w_shared + s.inner4 * s.width;  // inner4 * width is a multiple of 4: 16-byte aligned
  const int64_t first_row = static_cast<int64_t>(blockIdx.x) * s.tile_rows();
  for (int i = threadIdx.x; i < s.inner4 * s.width; i += kSmallLinearThreads) {
    const int k = i / s.width, column = i - k * s.width;
    w_shared[i] = k < a.inner ? weight_at(a, k, column) : 0.0f;
  }
  for (int i = threadIdx.x; i < s.tile_rows() * s.inner4; i += kSmallLinearThreads) {
    const int r = i / s.inner4, k = i - r * s.inner4;
    const int64_t row = first_row + r;
    x_shared[r * s.x_stride + k] = row < a.rows && k < a.inner ? widen(a.x[row * a.inner + k]) : 0.0f;
  }
  __syncthreads();
  const int column = threadIdx.x % s.width, group = threadIdx.x / s.width;
  if (group >= s.rows_per_pass) return;  // no barrier follows
  float sum[kMaxRowsPerThread];
#pragma unroll
  for (int j = 0; j < kMaxRowsPerThread; ++j) sum[j] = 0.0f;
  for (int k = 0; k < s.inner4; k += 4) {
    const float w0 = w_shared[k * s.width + column], w1 = w_shared[(k + 1) * s.width + column],
                w2 = w_shared[(k + 2) * s.width + column], w3 = w_shared[(k + 3) * s.width + column];
#pragma unroll
    for (int j = 0; j < kMaxRowsPerThread; ++j) {
      if (j < s.rows_per_thread) {
        const float4 x = *reinterpret_cast<const float4*>(x_shared + (group + j * s.rows_per_pass) * s.x_stride + k);
        sum[j] = fmaf(x.w, w3, fmaf(x.z, w2, fmaf(x.y, w1, fmaf(x.x, w0, sum[j]))));
      }
    }
  }
  const float bias = a.bias ? widen(a.bias[column]) : 0.0f;
#pragma unroll
  for (int j = 0; j < kMaxRowsPerThread; ++j) {
    const int64_t row = first_row + group + j * s.rows_per_pass;
    if (j < s.rows_per_thread && row < a.rows) {
      float v = __fadd_rn(sum[j], bias);
      if (a.relu && v < 0.0f) v = 0.0f;  // NaN stays NaN
      a.y[row * s.width + column] = narrow<T>(v);
    }
  }
}

template <typename T>
void launch_for(const SmallLinearProblem& p, const TileShape& shape, cudaStream_t stream) {
  SmallLinearArgs<T> args{static_cast<const T*>(p.x),
                          p.w,
                          p.int8_weight ? p.weight_scale : nullptr,
                          static_cast<const T*>(p.bias),
                          static_cast<T*>(p.y),
                          p.rows,
                          static_cast<int>(p.inner),
                          p.relu,
                          shape};
  const int64_t blocks = ceil_div(p.rows, shape.tile_rows());
  GNNRT_CHECK(blocks <= INT32_MAX, "small Linear of ", p.rows, " rows");
  small_linear_kernel<T><<<static_cast<unsigned>(blocks), kSmallLinearThreads, shape.shared_bytes(), stream>>>(args);
  GNNRT_CUDA_CHECK_LAUNCH();
}

}  // namespace

bool small_linear_fits(int64_t inner, int64_t width) {
  TileShape shape;
  return tile_shape(inner, width, shape);
}

void launch_small_linear(const SmallLinearProblem& p, cudaStream_t stream) {
  TileShape shape;
  GNNRT_CHECK(tile_shape(p.inner, p.width, shape), "small Linear of K=", p.inner, " N=", p.width);
  GNNRT_CHECK(!p.int8_weight || (p.weight_scale && p.dtype == DType::Float32), "small Linear with int8 W needs "
              "float32 X and a weight scale");
  if (p.rows == 0) return;
  switch (p.dtype) {
    case DType::Float32: return launch_for<float>(p, shape, stream);
    case DType::Float16: return launch_for<__half>(p, shape, stream);
    case DType::BFloat16: return launch_for<__nv_bfloat16>(p, shape, stream);
    default: fail_internal("small Linear of dtype ", dtype_name(p.dtype));
  }
}

}  // namespace gnnrt::cuda
