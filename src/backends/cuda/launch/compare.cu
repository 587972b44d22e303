#include "backends/cuda/cuda_check.h"
#include "backends/cuda/launch/compare.cuh"
#include "backends/cuda/launch/launch_common.cuh"

namespace gnnrt::cuda {
namespace {

__global__ void words_differ(const uint4* a, const uint4* b, int64_t words, int32_t* differs) {
  bool different = false;
  GNNRT_GRID_STRIDE_LOOP(i, words) {
    const uint4 x = a[i], y = b[i];
    different |= (x.x != y.x) | (x.y != y.y) | (x.z != y.z) | (x.w != y.w);
  }
  if (__syncthreads_or(different) && threadIdx.x == 0) *differs = 1;
}

__global__ void bytes_differ(const uint8_t* a, const uint8_t* b, int64_t bytes, int32_t* differs) {
  bool different = false;
  GNNRT_GRID_STRIDE_LOOP(i, bytes) different |= a[i] != b[i];
  if (__syncthreads_or(different) && threadIdx.x == 0) *differs = 1;
}

}  // namespace

void launch_bytes_differ(const void* a, const void* b, size_t bytes, int32_t* differs, cudaStream_t stream) {
  if (bytes == 0) return;
  const bool aligned = reinterpret_cast<uintptr_t>(a) % 16 == 0 && reinterpret_cast<uintptr_t>(b) % 16 == 0;
  const auto words = aligned ? static_cast<int64_t>(bytes / 16) : 0;
  if (words > 0) {
    words_differ<<<blocks_for(words), kThreads, 0, stream>>>(static_cast<const uint4*>(a), static_cast<const uint4*>(b),
                                                          words, differs);
    GNNRT_CUDA_CHECK_LAUNCH();
  }
  const size_t done = static_cast<size_t>(words) * 16;
  if (done < bytes) {
    const auto rest = static_cast<int64_t>(bytes - done);
    bytes_differ<<<blocks_for(rest), kThreads, 0, stream>>>(static_cast<const uint8_t*>(a) + done,
                                                          static_cast<const uint8_t*>(b) + done, rest, differs);
    GNNRT_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace gnnrt::cuda
