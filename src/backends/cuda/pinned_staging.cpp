#include "backends/cuda/pinned_staging.h"

#include <algorithm>

#include "backends/cuda/cuda_check.h"

namespace gnnrt::cuda {
namespace {

constexpr size_t kAlignment = 256;
constexpr size_t kInitialBytes = size_t{1} << 20;

size_t aligned(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

PinnedStaging::~PinnedStaging() {
  if (buffer_) cudaFreeHost(buffer_);
}

void* PinnedStaging::take(size_t bytes, cudaStream_t stream) {
  if (bytes == 0 || bytes > kMaxBytes) return nullptr;
  const size_t need = aligned(bytes);
  if (used_ + need > capacity_) {
    // The queued copies still read their pieces: wait for them before reusing or freeing any.
    GNNRT_CUDA_CHECK(cudaStreamSynchronize(stream));
    used_ = 0;
    if (need > capacity_) {
      const size_t grown = std::min(kMaxBytes, std::max({need, capacity_ * 2, kInitialBytes}));
      if (buffer_) cudaFreeHost(buffer_);
      buffer_ = nullptr;
      capacity_ = 0;
      void* pointer = nullptr;
      if (cudaHostAlloc(&pointer, grown, cudaHostAllocDefault) != cudaSuccess) {
        cudaGetLastError();  // not sticky: pageable copies still work
        return nullptr;
      }
      buffer_ = static_cast<char*>(pointer);
      capacity_ = grown;
    }
  }
  char* piece = buffer_ + used_;
  used_ += need;
  return piece;
}

}  // namespace gnnrt::cuda
