#include "gnnrt/tensor.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/dispatch.h"
#include "core/half.h"

namespace gnnrt {

namespace {
std::atomic<size_t> host_allocation_limit{std::numeric_limits<size_t>::max()};
}  // namespace

void set_host_allocation_limit(size_t bytes) { host_allocation_limit.store(bytes, std::memory_order_relaxed); }

int64_t element_count(const Dims& shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) fail_input("shape ", shape_to_string(shape), " has a negative dimension");
    if (d != 0 && count > std::numeric_limits<int64_t>::max() / d)
      fail_input("shape ", shape_to_string(shape), " has more elements than int64 can count");
    count *= d;
  }
  return count;
}

std::string shape_to_string(const Dims& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

Tensor::Tensor(DType dtype, Dims shape) : dtype_(dtype), shape_(std::move(shape)) {
  GNNRT_CHECK(dtype != DType::Undefined, "cannot allocate an undefined-dtype tensor");
  numel_ = element_count(shape_);
  if (static_cast<uint64_t>(numel_) > std::numeric_limits<size_t>::max() / 64 / std::max<size_t>(dtype_size(dtype), 1))
    fail_input("tensor ", describe(), " is too large to allocate");
  const size_t bytes = nbytes();
  if (const size_t limit = host_allocation_limit.load(std::memory_order_relaxed); bytes > limit)
    fail_input("out of host memory allocating ", describe(), " (", bytes, " bytes; the limit is ", limit, ")");
  // 64-byte alignment suits SIMD loads and the engine's aligned weight sections.
  const size_t rounded = ((bytes + 63) / 64) * 64;
  void* memory = rounded == 0 ? nullptr : std::aligned_alloc(64, rounded);
  if (rounded != 0 && memory == nullptr)
    fail_input("out of host memory allocating ", describe(), " (", bytes, " bytes)");
  if (memory) std::memset(memory, 0, rounded);
  owner_ = std::shared_ptr<void>(memory, [](void* p) { std::free(p); });
  data_ = memory;
}

Tensor Tensor::view(DType dtype, Dims shape, std::shared_ptr<void> owner, void* data, Device device) {
  Tensor t;
  t.device_ = device;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.numel_ = element_count(t.shape_);
  t.owner_ = std::move(owner);
  t.data_ = data;
  return t;
}

void Tensor::check_type(DType requested) const {
  if (requested != dtype_)
    fail_internal("tensor ", describe(), " accessed as ", dtype_name(requested));
}

void Tensor::check_host(const char* operation) const {
  if (device_ != Device::Host) fail_internal(operation, " needs a host tensor, got a device tensor ", describe());
}

Tensor Tensor::reshaped(Dims shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  t.numel_ = element_count(t.shape_);
  GNNRT_CHECK(t.numel_ == numel_, "reshape of ", describe(), " to ", shape_to_string(t.shape_));
  return t;
}

Tensor Tensor::clone() const {
  check_host("clone");
  Tensor copy(dtype_, shape_);
  if (nbytes()) std::memcpy(copy.raw(), data_, nbytes());
  return copy;
}

double Tensor::scalar_as_double(int64_t index) const {
  check_host("scalar_as_double");
  GNNRT_CHECK(index >= 0 && index < numel_, "element ", index, " of ", describe());
  return dispatch_all(dtype_, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return to_double(static_cast<const T*>(data_)[index]);
  });
}

int64_t Tensor::scalar_as_int(int64_t index) const {
  check_host("scalar_as_int");
  GNNRT_CHECK(index >= 0 && index < numel_, "element ", index, " of ", describe());
  return dispatch_all(dtype_, [&](auto tag) -> int64_t {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) return static_cast<int64_t>(static_cast<const T*>(data_)[index]);
    else return static_cast<int64_t>(to_double(static_cast<const T*>(data_)[index]));
  });
}

std::vector<int64_t> Tensor::to_int_vector() const {
  if (!is_integer(dtype_)) fail_internal("expected an integer tensor, got ", describe());
  std::vector<int64_t> values(static_cast<size_t>(numel_));
  for (int64_t i = 0; i < numel_; ++i) values[static_cast<size_t>(i)] = scalar_as_int(i);
  return values;
}

std::string Tensor::describe() const {
  return std::string(dtype_name(dtype_)) + shape_to_string(shape_) + (device_ == Device::Cuda ? " (cuda)" : "");
}

Tensor cast_tensor(const Tensor& input, DType to) {
  GNNRT_CHECK(input.on_host(), "cast_tensor of a device tensor");
  Tensor output(to, input.shape());
  const int64_t n = input.numel();
  dispatch_all(input.dtype(), [&](auto from_tag) {
    using From = typename decltype(from_tag)::type;
    dispatch_all(to, [&](auto to_tag) {
      using To = typename decltype(to_tag)::type;
      const From* src = static_cast<const From*>(input.raw());
      To* dst = static_cast<To*>(output.raw());
      for (int64_t i = 0; i < n; ++i) dst[i] = convert_element<To>(src[i]);
    });
  });
  return output;
}

}  // namespace gnnrt
