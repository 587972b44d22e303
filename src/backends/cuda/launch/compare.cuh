// Byte comparison of two device buffers, for the structure cache's full key check.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace gnnrt::cuda {

// Sets *differs (device int32, zeroed by the caller) to 1 when the first `bytes` bytes of a and b
// differ. Reads 16 bytes at a time where both are 16-byte aligned.
void launch_bytes_differ(const void* a, const void* b, size_t bytes, int32_t* differs, cudaStream_t stream);

}  // namespace gnnrt::cuda
