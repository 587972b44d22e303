#include "backends/cuda/device_memory.h"

#include "backends/cuda/cuda_check.h"

namespace gnnrt::cuda {

Tensor allocate_device_tensor(DType dtype, Dims shape) {
  const size_t bytes = static_cast<size_t>(element_count(shape)) * dtype_size(dtype);
  void* pointer = nullptr;
  if (bytes > 0) {
    const cudaError_t status = cudaMalloc(&pointer, bytes);
    if (status != cudaSuccess) {
      cudaGetLastError();  // clear the sticky-free error state so the context stays usable
      fail_input("out of GPU memory allocating ", dtype_name(dtype), shape_to_string(shape), " (", bytes,
                 " bytes): ", cudaGetErrorString(status), "; use a smaller graph or profile");
    }
  }
  std::shared_ptr<void> owner(pointer, [](void* p) {
    if (p) cudaFree(p);
  });
  return Tensor::view(dtype, std::move(shape), std::move(owner), pointer, Device::Cuda);
}

Tensor copy_to_device(const Tensor& host, cudaStream_t stream) {
  GNNRT_CHECK(host.on_host(), "copy_to_device of a device tensor");
  Tensor device = allocate_device_tensor(host.dtype(), host.shape());
  if (host.nbytes())
    GNNRT_CUDA_CHECK(cudaMemcpyAsync(device.raw(), host.raw(), host.nbytes(), cudaMemcpyHostToDevice, stream));
  return device;
}

Tensor copy_to_host(const Tensor& device, cudaStream_t stream) {
  GNNRT_CHECK(!device.on_host(), "copy_to_host of a host tensor");
  Tensor host(device.dtype(), device.shape());
  if (device.nbytes())
    GNNRT_CUDA_CHECK(cudaMemcpyAsync(host.raw(), device.raw(), device.nbytes(), cudaMemcpyDeviceToHost, stream));
  GNNRT_CUDA_CHECK(cudaStreamSynchronize(stream));
  return host;
}

bool cuda_device_available() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return count > 0;
}

}  // namespace gnnrt::cuda

namespace gnnrt::cuda {

namespace {
cudaDeviceProp current_device_properties() {
  int device = 0;
  GNNRT_CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp properties{};
  GNNRT_CUDA_CHECK(cudaGetDeviceProperties(&properties, device));
  return properties;
}
}  // namespace

int current_compute_capability(std::string* device_name) {
  const cudaDeviceProp properties = current_device_properties();
  if (device_name) *device_name = properties.name;
  return properties.major * 10 + properties.minor;
}

size_t current_device_memory_bytes() { return current_device_properties().totalGlobalMem; }

}  // namespace gnnrt::cuda
