// Helpers shared by the CUDA kernel files (elementwise.cu, reduction.cu, index.cu, movement.cu):
// launch sizing, the grid-stride loop, type tags, the device arithmetic that several kernels share
// (NaN-aware max/min, saturating casts) and the host-side dtype visitors that pick a kernel
// instantiation. Included by .cu files only (the public launch headers, *.cuh beside this
// one, stay free of device code).
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "gnnrt/dtype.h"
#include "gnnrt/error.h"

namespace gnnrt::cuda {

// ---------------------------------------------------------------- launch sizing

inline constexpr int kThreads = 256;  // threads per block
// Grid-stride loops cover any count; more blocks than this only add scheduling overhead.
inline constexpr int64_t kMaxBlocks = int64_t{1} << 16;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Blocks for `work_items` items at `items_per_block` each (a thread each by default), capped at
// kMaxBlocks: the kernels loop over the rest.
inline unsigned blocks_for(int64_t work_items, int64_t items_per_block = kThreads) {
  return static_cast<unsigned>(std::min<int64_t>(ceil_div(work_items, items_per_block), kMaxBlocks));
}

// ---------------------------------------------------------------- grid-stride loops (device)

// This thread's first item, and the distance to its next one, with 64-bit indices.
__device__ inline int64_t grid_start() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ inline int64_t grid_step() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// for (int64_t i = <this thread's first>; i < count; i += <threads in the grid>)
#define GNNRT_GRID_STRIDE_LOOP(i, count)                                                             \
  for (int64_t i = ::gnnrt::cuda::grid_start(); i < (count); i += ::gnnrt::cuda::grid_step())

// ---------------------------------------------------------------- types

template <typename T>
struct Tag {
  using type = T;
};

template <typename T>
struct IntegerLimits;
template <>
struct IntegerLimits<int32_t> {
  static constexpr int32_t lowest = INT32_MIN;
  static constexpr int32_t highest = INT32_MAX;
};
template <>
struct IntegerLimits<int64_t> {
  static constexpr int64_t lowest = INT64_MIN;
  static constexpr int64_t highest = INT64_MAX;
};

// ---------------------------------------------------------------- device arithmetic

template <typename T>
__device__ inline bool is_nan_value(T x) {
  if constexpr (std::is_floating_point<T>::value) return x != x;
  else return false;
}

// Max/Min that return NaN when either operand is NaN, and otherwise the CPU's exact choice
// between equal operands (a < b ? b : a keeps the first of -0 and +0).
template <typename T>
__device__ inline T nan_max(T a, T b) {
  if (is_nan_value(a)) return a;
  if (is_nan_value(b)) return b;
  return a < b ? b : a;
}
template <typename T>
__device__ inline T nan_min(T a, T b) {
  if (is_nan_value(a)) return a;
  if (is_nan_value(b)) return b;
  return b < a ? b : a;
}

// A double converted to an integer type without UB: NaN -> 0, out of range -> clamped.
template <typename T>
__device__ inline T saturating_cast(double value) {
  if (value != value) return T(0);
  if (value <= static_cast<double>(IntegerLimits<T>::lowest)) return IntegerLimits<T>::lowest;
  if (value >= static_cast<double>(IntegerLimits<T>::highest)) return IntegerLimits<T>::highest;
  return static_cast<T>(value);
}

// ---------------------------------------------------------------- dtype visitors (host)

// Calls fn(Tag<T>{}) for the arithmetic dtypes the CUDA backend instantiates; false otherwise.
template <typename Fn>
bool visit_arithmetic(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: fn(Tag<float>{}); return true;
    case DType::Float64: fn(Tag<double>{}); return true;
    case DType::Int32: fn(Tag<int32_t>{}); return true;
    case DType::Int64: fn(Tag<int64_t>{}); return true;
    default: return false;
  }
}

template <typename Fn>
bool visit_float(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: fn(Tag<float>{}); return true;
    case DType::Float64: fn(Tag<double>{}); return true;
    default: return false;
  }
}

inline bool is_arithmetic(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64 || dtype == DType::Int32 || dtype == DType::Int64;
}
inline bool is_float(DType dtype) { return dtype == DType::Float32 || dtype == DType::Float64; }

// Calls fn(Tag<U>{}) with the unsigned integer type of `size` bytes (1, 2, 4 or 8: byte copies of
// any dtype); false for other sizes.
template <typename Fn>
bool visit_element_size(size_t size, Fn&& fn) {
  switch (size) {
    case 1: fn(Tag<uint8_t>{}); return true;
    case 2: fn(Tag<uint16_t>{}); return true;
    case 4: fn(Tag<uint32_t>{}); return true;
    case 8: fn(Tag<uint64_t>{}); return true;
    default: return false;
  }
}

// visit_element_size for a size the caller checked: an internal error names `what` ("copy") otherwise.
template <typename Fn>
void with_element_type(size_t size, const char* what, Fn&& fn) {
  if (!visit_element_size(size, fn))
    fail_internal("CUDA ", what, " of ", size, "-byte elements (expected 1, 2, 4 or 8)");
}

// Calls fn(Tag<Unit>{}) with the widest copy unit (16, 8, 4, 2 or 1 bytes) that `alignment` (the
// OR of every address, pitch and length in bytes of a copy) allows.
template <typename Fn>
void with_copy_unit(uint64_t alignment, Fn&& fn) {
  if (alignment % 16 == 0) fn(Tag<uint4>{});
  else if (alignment % 8 == 0) fn(Tag<uint64_t>{});
  else if (alignment % 4 == 0) fn(Tag<uint32_t>{});
  else if (alignment % 2 == 0) fn(Tag<uint16_t>{});
  else fn(Tag<uint8_t>{});
}

}  // namespace gnnrt::cuda
