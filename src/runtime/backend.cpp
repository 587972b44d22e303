#include "runtime/backend.h"

#include <cstring>

#ifdef GNNRT_WITH_CUDA
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_memory.h"
#endif

namespace gnnrt::runtime {

bool DeviceBackend::bytes_equal(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const Tensor x = to_host(a), y = to_host(b);
  return x.nbytes() == 0 || std::memcmp(x.raw(), y.raw(), x.nbytes()) == 0;
}

bool cuda_usable() {
#ifdef GNNRT_WITH_CUDA
  return cuda::cuda_device_available();
#else
  return false;
#endif
}

DeviceInfo cuda_device_info() {
#ifdef GNNRT_WITH_CUDA
  if (!cuda::cuda_device_available()) fail_input("no usable CUDA device was found (check nvidia-smi)");
  DeviceInfo info;
  info.compute_capability = cuda::current_compute_capability(&info.name);
  info.memory_bytes = cuda::current_device_memory_bytes();
  return info;
#else
  fail_input("this gnnrt was built without CUDA (configure with nvcc on the PATH, or -DGNNRT_CUDA=ON)");
#endif
}

std::unique_ptr<DeviceBackend> create_device_backend(const std::string& device) {
  if (device == "cpu") return nullptr;
  if (device != "cuda") fail_input("unknown device '", device, "': expected cpu or cuda");
#ifdef GNNRT_WITH_CUDA
  if (!cuda::cuda_device_available())
    fail_input("--device cuda: no usable CUDA device was found (check nvidia-smi); use --device cpu");
  return cuda::create_cuda_backend();
#else
  fail_input("--device cuda: this gnnrt was built without CUDA (configure with nvcc on the PATH, or "
             "-DGNNRT_CUDA=ON); use --device cpu");
#endif
}

}  // namespace gnnrt::runtime
