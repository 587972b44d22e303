// Helpers shared by the CPU kernels that move elements as raw bytes, whatever their dtype
// (shape_ops.cpp, index_ops.cpp): byte access to tensor storage, one-element copies, row-major
// strides and dim products.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "backends/op_shapes/common.h"
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

// Row-major strides and dim products: the shared shape helpers (backends/op_shapes/common.h).
using op_shapes::contiguous_strides;
using op_shapes::product;

}  // namespace gnnrt::cpu
