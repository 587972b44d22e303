#include "backends/cuda/device_pool.h"

#include <cuda_runtime.h>

namespace gnnrt::cuda {
namespace {

// Size classes: multiples of 512 bytes up to 1 MiB, then of 1/8 of the next power of two, so
// varying graph sizes still hit cached blocks without wasting more than 12.5 %.
size_t size_class(size_t bytes) {
  if (bytes <= (size_t{1} << 20)) return ((bytes + 511) / 512) * 512;
  size_t power = size_t{1} << 20;
  while (power < bytes) power <<= 1;
  const size_t step = power / 8;
  return ((bytes + step - 1) / step) * step;
}

}  // namespace

std::shared_ptr<DevicePool> DevicePool::create() { return std::shared_ptr<DevicePool>(new DevicePool()); }

DevicePool::~DevicePool() { release_cached(); }

Tensor DevicePool::allocate(DType dtype, Dims shape) {
  const size_t bytes = static_cast<size_t>(element_count(shape)) * dtype_size(dtype);
  if (bytes == 0) return Tensor::view(dtype, std::move(shape), nullptr, nullptr, Device::Cuda);
  const size_t size = size_class(bytes);
  void* pointer = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& bin = free_blocks_[size];
    if (!bin.empty()) {
      pointer = bin.back();
      bin.pop_back();
    }
  }
  if (!pointer) {
    cudaError_t status = cudaMalloc(&pointer, size);
    if (status == cudaErrorMemoryAllocation) {  // retry once after returning the cache to the driver
      cudaGetLastError();
      release_cached();
      status = cudaMalloc(&pointer, size);
    }
    if (status != cudaSuccess) {
      cudaGetLastError();
      fail_input("out of GPU memory allocating ", dtype_name(dtype), shape_to_string(shape), " (", bytes,
                 " bytes; ", reserved_, " bytes already held): ", cudaGetErrorString(status),
                 "; use a smaller graph or a smaller profile");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    reserved_ += size;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_ += size;
    peak_in_use_ = std::max(peak_in_use_, in_use_);
  }
  std::weak_ptr<DevicePool> pool = weak_from_this();
  std::shared_ptr<void> owner(pointer, [pool, size](void* p) {
    if (auto alive = pool.lock()) alive->give_back(p, size);
    else cudaFree(p);
  });
  Tensor tensor = Tensor::view(dtype, std::move(shape), std::move(owner), pointer, Device::Cuda);
  std::lock_guard<std::mutex> lock(mutex_);
  if (holding_) held_.push_back(tensor);
  return tensor;
}

// Held tensors are released outside the lock: their release takes it (give_back).
void DevicePool::begin_hold() {
  std::vector<Tensor> stale;
  std::lock_guard<std::mutex> lock(mutex_);
  holding_ = true;
  stale.swap(held_);
}

std::vector<Tensor> DevicePool::end_hold() {
  std::vector<Tensor> held;
  std::lock_guard<std::mutex> lock(mutex_);
  holding_ = false;
  held.swap(held_);
  return held;
}

void DevicePool::give_back(void* pointer, size_t size_class) {
  std::lock_guard<std::mutex> lock(mutex_);
  free_blocks_[size_class].push_back(pointer);
  in_use_ -= size_class;
}

void DevicePool::release_cached() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [size, blocks] : free_blocks_) {
    for (void* p : blocks) cudaFree(p);
    reserved_ -= size * blocks.size();
    blocks.clear();
  }
}

}  // namespace gnnrt::cuda
