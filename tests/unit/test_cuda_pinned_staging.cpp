// The pinned staging buffer CUDA backends copy through: pieces are distinct, aligned and pinned,
// oversized copies are declined, and a full buffer waits for the stream before reusing a piece.
#ifdef GNNRT_WITH_CUDA  // the staging buffer exists only in CUDA builds
#include <gtest/gtest.h>
#include <cuda_runtime.h>

#include <cstring>
#include <vector>

#include "backends/cuda/pinned_staging.h"
#include "cuda_parity_harness.h"

namespace gnnrt {
namespace {

bool is_pinned(const void* pointer) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, pointer) != cudaSuccess) return false;
  return attributes.type == cudaMemoryTypeHost;
}

TEST(CudaPinnedStaging, PiecesAreDistinctAlignedAndPinnedAndBigCopiesAreDeclined) {
  GNNRT_SKIP_WITHOUT_GPU();
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  {
    cuda::PinnedStaging staging;
    EXPECT_EQ(staging.take(0, stream), nullptr);
    EXPECT_EQ(staging.take(cuda::PinnedStaging::kMaxBytes + 1, stream), nullptr);
    char* a = static_cast<char*>(staging.take(100, stream));
    char* b = static_cast<char*>(staging.take(3000, stream));
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_TRUE(is_pinned(a));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 256, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 256, 0u);
    EXPECT_GE(b - a, 100);  // in order, not overlapping
    staging.rewind();
    EXPECT_EQ(staging.take(64, stream), a);  // reused after a rewind
  }
  cudaStreamDestroy(stream);
}

TEST(CudaPinnedStaging, AFullBufferWaitsForQueuedCopiesBeforeReusingAPiece) {
  GNNRT_SKIP_WITHOUT_GPU();
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  {
    cuda::PinnedStaging staging;
    // Many 256 KiB uploads, each from a piece filled with its own value, never rewound by hand:
    // the buffer fills up several times, and each device copy must still hold its own value.
    constexpr size_t kBytes = size_t{256} << 10;
    constexpr int kCopies = 24;
    std::vector<void*> device(kCopies);
    for (int i = 0; i < kCopies; ++i) {
      ASSERT_EQ(cudaMalloc(&device[i], kBytes), cudaSuccess);
      void* piece = staging.take(kBytes, stream);
      ASSERT_NE(piece, nullptr);
      std::memset(piece, i + 1, kBytes);
      ASSERT_EQ(cudaMemcpyAsync(device[i], piece, kBytes, cudaMemcpyHostToDevice, stream), cudaSuccess);
    }
    ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
    std::vector<unsigned char> back(kBytes);
    for (int i = 0; i < kCopies; ++i) {
      ASSERT_EQ(cudaMemcpy(back.data(), device[i], kBytes, cudaMemcpyDeviceToHost), cudaSuccess);
      EXPECT_EQ(back.front(), static_cast<unsigned char>(i + 1)) << "copy " << i;
      EXPECT_EQ(back.back(), static_cast<unsigned char>(i + 1)) << "copy " << i;
      cudaFree(device[i]);
    }
  }
  cudaStreamDestroy(stream);
}

}  // namespace
}  // namespace gnnrt
#endif  // GNNRT_WITH_CUDA
