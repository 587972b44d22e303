// A dense, contiguous, row-major tensor with shared storage, in host memory or, for the CUDA
// backend, in device memory (then only its pointer, dtype and shape may be used on the host).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gnnrt/dtype.h"
#include "gnnrt/error.h"

namespace gnnrt {

using Dims = std::vector<int64_t>;

enum class Device : uint8_t { Host, Cuda };

// Number of elements of a shape; fails (InvalidInput) on negative dims or int64 overflow.
int64_t element_count(const Dims& shape);
std::string shape_to_string(const Dims& shape);  // "[2, 10556]"

// The most bytes one host tensor may take (default: no limit but the system's). Past it, or when
// the system refuses, allocating fails with InvalidInput "out of host memory allocating ...". A
// long-lived service can bound what one request may take; the fuzz targets bound it too.
void set_host_allocation_limit(size_t bytes);

class Tensor {
 public:
  Tensor() = default;
  // Allocates zero-initialised, 64-byte-aligned storage.
  Tensor(DType dtype, Dims shape);
  // Views existing memory; `owner` keeps it alive (an mmap, a parent tensor, a buffer).
  static Tensor view(DType dtype, Dims shape, std::shared_ptr<void> owner, void* data,
                     Device device = Device::Host);

  bool defined() const { return dtype_ != DType::Undefined; }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  bool on_host() const { return device_ == Device::Host; }
  const Dims& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t axis) const { return shape_.at(static_cast<size_t>(axis)); }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }

  void* raw() { return data_; }
  const void* raw() const { return data_; }

  template <typename T>
  T* data() {
    check_type(dtype_of<T>());
    return static_cast<T*>(data_);
  }
  template <typename T>
  const T* data() const {
    check_type(dtype_of<T>());
    return static_cast<const T*>(data_);
  }

  // Same storage, new shape with the same element count.
  Tensor reshaped(Dims shape) const;
  // A deep copy with its own host storage (host tensors only).
  Tensor clone() const;
  // Element i converted to double / int64, whatever the dtype (for scalars and small shape tensors).
  double scalar_as_double(int64_t index = 0) const;
  int64_t scalar_as_int(int64_t index = 0) const;
  // All elements as int64 (for shape-like tensors); fails unless the dtype is an integer type.
  std::vector<int64_t> to_int_vector() const;

  std::string describe() const;  // "float32[2708, 1433]"

 private:
  void check_type(DType requested) const;
  void check_host(const char* operation) const;

  DType dtype_ = DType::Undefined;
  Device device_ = Device::Host;
  Dims shape_;
  int64_t numel_ = 0;
  std::shared_ptr<void> owner_;
  void* data_ = nullptr;
};

// Converts elements to another dtype (float <-> int truncates toward zero, as ONNX Cast).
Tensor cast_tensor(const Tensor& input, DType to);

}  // namespace gnnrt
