// Helpers shared by the CPU kernels that move elements as raw bytes, whatever their dtype
// (shape_ops.cpp, index_ops.cpp): byte access to tensor storage, one-element copies, row-major
// strides and dim products.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "gnnrt/tensor.h"

namespace gnnrt::cpu {

// Copies of at least this many bytes run on OpenMP threads; below it the thread start-up costs
// more than it saves.
inline constexpr int64_t kParallelMinBytes = int64_t{1} << 16;

inline const uint8_t* bytes_of(const Tensor& t) { return static_cast<const uint8_t*>(t.raw()); }
inline uint8_t* bytes_of(Tensor& t) { return static_cast<uint8_t*>(t.raw()); }

// Copies one element of `size` bytes; the switch lets the compiler emit plain loads and stores.
inline void copy_element(uint8_t* dst, const uint8_t* src, size_t size) {
  switch (size) {
    case 1: *dst = *src; break;
    case 2: std::memcpy(dst, src, 2); break;
    case 4: std::memcpy(dst, src, 4); break;
    case 8: std::memcpy(dst, src, 8); break;
    default: std::memcpy(dst, src, size);
  }
}

// Row-major strides of `shape`, in elements.
inline std::vector<int64_t> contiguous_strides(const Dims& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[static_cast<size_t>(d)] = strides[static_cast<size_t>(d + 1)] * shape[static_cast<size_t>(d + 1)];
  return strides;
}

// The product of shape[begin, end).
inline int64_t product(const Dims& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

}  // namespace gnnrt::cpu
