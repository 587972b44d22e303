// Device memory for tensors, and copies between host and device.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "gnnrt/tensor.h"

namespace gnnrt::cuda {

// A device tensor with its own cudaMalloc'ed storage (freed with cudaFree when the last Tensor
// sharing it goes away). Out of memory is an InvalidInput error naming the size.
Tensor allocate_device_tensor(DType dtype, Dims shape);

// Asynchronous copies on `stream`; the host tensor must stay alive until the stream is synchronised.
Tensor copy_to_device(const Tensor& host, cudaStream_t stream);
Tensor copy_to_host(const Tensor& device, cudaStream_t stream);  // synchronises the stream

// Whether a usable CUDA device is present (false on machines without a GPU or driver).
bool cuda_device_available();

}  // namespace gnnrt::cuda

namespace gnnrt::cuda {

// The current device's compute capability as major*10+minor (90 for sm_90) and its name.
int current_compute_capability(std::string* device_name = nullptr);
// The current device's global memory in bytes (all of it, not what is free now).
size_t current_device_memory_bytes();

}  // namespace gnnrt::cuda
