// Page-locked host memory that one CUDA backend stages its host <-> device copies through. A copy
// from pageable memory is staged by the driver and blocks the calling thread; from pinned memory
// it is a DMA queued on the stream, so copies of several contexts overlap their kernels. Pieces
// are handed out in order and reused once the backend has synchronised its stream (rewind()).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

namespace gnnrt::cuda {

class PinnedStaging {
 public:
  // Copies larger than this go from pageable memory, as before: pinning gigabytes per context
  // would take host memory from everyone else.
  static constexpr size_t kMaxBytes = size_t{64} << 20;

  PinnedStaging() = default;
  PinnedStaging(const PinnedStaging&) = delete;
  PinnedStaging& operator=(const PinnedStaging&) = delete;
  ~PinnedStaging();

  // A piece of `bytes` pinned bytes no queued copy still uses, or nullptr when `bytes` exceeds
  // kMaxBytes or the host has no pinned memory to give (the caller copies from pageable memory).
  // May synchronise `stream` first, when the buffer is full of pieces of queued copies.
  void* take(size_t bytes, cudaStream_t stream);
  // Every piece is free again: call after the stream was synchronised.
  void rewind() { used_ = 0; }

 private:
  char* buffer_ = nullptr;
  size_t capacity_ = 0;
  size_t used_ = 0;
};

}  // namespace gnnrt::cuda
