// CUDA data-movement kernels. Every kernel is a grid-stride loop over output elements (or copy
// units) with 64-bit element offsets; the index decode uses 32-bit division when the output is
// small enough, which is several times cheaper on the GPU. Copies are by element size, so one
// instantiation serves every dtype of that size.
#include "backends/cuda/launch/movement.cuh"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/launch/launch_common.cuh"
#include "gnnrt/error.h"

namespace gnnrt::cuda {

namespace {

// Calls fn(Tag<uint32_t>{}) when every linear index below `count` fits 32 bits, else int64.
template <typename Fn>
void with_index_type(int64_t count, Fn&& fn) {
  if (count <= static_cast<int64_t>(UINT32_MAX)) fn(Tag<uint32_t>{});
  else fn(Tag<int64_t>{});
}

// ---------------------------------------------------------------- kernels

template <typename Element, typename Index>
__global__ void strided_copy_kernel(const Element* __restrict__ in, Element* __restrict__ out,
                                    StridedCopyGeometry geometry, int64_t count) {
  for (int64_t i = grid_start(); i < count; i += grid_step()) {
    Index rest = static_cast<Index>(i);
    int64_t offset = geometry.base;
    for (int d = geometry.rank - 1; d >= 0; --d) {
      const Index extent = static_cast<Index>(geometry.dims[d]);
      offset += static_cast<int64_t>(rest % extent) * geometry.strides[d];
      rest /= extent;
    }
    out[i] = in[offset];
  }
}

template <typename Element, typename Index>
__global__ void tile_kernel(const Element* __restrict__ in, Element* __restrict__ out, TileGeometry geometry,
                            int64_t count) {
  for (int64_t i = grid_start(); i < count; i += grid_step()) {
    Index rest = static_cast<Index>(i);
    int64_t offset = 0;
    for (int d = geometry.rank - 1; d >= 0; --d) {
      const Index extent = static_cast<Index>(geometry.out_dims[d]);
      offset += static_cast<int64_t>((rest % extent) % static_cast<Index>(geometry.in_dims[d])) * geometry.in_strides[d];
      rest /= extent;
    }
    out[i] = in[offset];
  }
}

template <typename Element>
__global__ void pad_kernel(const Element* __restrict__ in, Element* __restrict__ out, PadGeometry geometry,
                           PadMode mode, Element fill, int64_t count) {
  for (int64_t i = grid_start(); i < count; i += grid_step()) {
    int64_t rest = i;
    int64_t offset = 0;
    bool padding = false;
    for (int d = geometry.rank - 1; d >= 0; --d) {
      const int64_t o = rest % geometry.out_dims[d];
      rest /= geometry.out_dims[d];
      const int64_t extent = geometry.in_dims[d];
      int64_t s = o - geometry.begin[d];
      if (s < 0 || s >= extent) {
        if (mode == PadMode::Constant) {
          padding = true;
          continue;
        }
        if (mode == PadMode::Edge) {
          s = s < 0 ? 0 : extent - 1;
        } else {  // reflect without repeating the edge, folded until it lands inside
          const int64_t period = 2 * (extent - 1);
          s = ((s % period) + period) % period;
          if (s >= extent) s = period - s;
        }
      }
      offset += s * geometry.in_strides[d];
    }
    out[i] = padding ? fill : in[offset];
  }
}

template <typename Unit>
__global__ void copy_rows_kernel(const char* __restrict__ src, int64_t src_pitch, char* __restrict__ dst,
                                 int64_t dst_pitch, int64_t rows, int64_t units_per_row) {
  const int64_t count = rows * units_per_row;
  for (int64_t i = grid_start(); i < count; i += grid_step()) {
    const int64_t row = i / units_per_row;
    const int64_t unit = i - row * units_per_row;
    reinterpret_cast<Unit*>(dst + row * dst_pitch)[unit] = reinterpret_cast<const Unit*>(src + row * src_pitch)[unit];
  }
}

template <typename Element>
__global__ void fill_kernel(Element* __restrict__ out, Element value, int64_t count) {
  for (int64_t i = grid_start(); i < count; i += grid_step()) out[i] = value;
}

// Integers: start + i * delta modulo 2^64 is exact, because every true value lies between start
// and limit and so within T's range (the CPU computes the same in 128 bits).
template <typename T>
__global__ void range_integer_kernel(T* __restrict__ out, T start, T delta, int64_t count) {
  for (int64_t i = grid_start(); i < count; i += grid_step())
    out[i] = static_cast<T>(static_cast<uint64_t>(static_cast<int64_t>(start)) +
                            static_cast<uint64_t>(i) * static_cast<uint64_t>(static_cast<int64_t>(delta)));
}

// Floats: the CPU's double(start) + double(i) * double(delta), with explicitly rounded
// operations so that nvcc cannot contract them into a fused multiply-add.
template <typename T>
__global__ void range_float_kernel(T* __restrict__ out, double start, double delta, int64_t count) {
  for (int64_t i = grid_start(); i < count; i += grid_step())
    out[i] = static_cast<T>(__dadd_rn(start, __dmul_rn(static_cast<double>(i), delta)));
}

}  // namespace

bool copy_element_size_supported(size_t element_size) {
  return element_size == 1 || element_size == 2 || element_size == 4 || element_size == 8;
}

void launch_strided_copy(size_t element_size, const void* in, void* out, const StridedCopyGeometry& geometry,
                         int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  GNNRT_CHECK(geometry.rank >= 0 && geometry.rank <= kMaxCopyRank, "strided copy of rank ", geometry.rank);
  with_element_type(element_size, "copy", [&](auto element_tag) {
    using Element = typename decltype(element_tag)::type;
    with_index_type(count, [&](auto index_tag) {
      using Index = typename decltype(index_tag)::type;
      strided_copy_kernel<Element, Index><<<blocks_for(count), kThreads, 0, stream>>>(
          static_cast<const Element*>(in), static_cast<Element*>(out), geometry, count);
      GNNRT_CUDA_CHECK_LAUNCH();
    });
  });
}

void launch_tile(size_t element_size, const void* in, void* out, const TileGeometry& geometry, int64_t count,
                 cudaStream_t stream) {
  if (count <= 0) return;
  GNNRT_CHECK(geometry.rank >= 0 && geometry.rank <= kMaxCopyRank, "tile of rank ", geometry.rank);
  with_element_type(element_size, "copy", [&](auto element_tag) {
    using Element = typename decltype(element_tag)::type;
    with_index_type(count, [&](auto index_tag) {
      using Index = typename decltype(index_tag)::type;
      tile_kernel<Element, Index><<<blocks_for(count), kThreads, 0, stream>>>(
          static_cast<const Element*>(in), static_cast<Element*>(out), geometry, count);
      GNNRT_CUDA_CHECK_LAUNCH();
    });
  });
}

void launch_pad(size_t element_size, PadMode mode, const void* in, void* out, const PadGeometry& geometry,
                uint64_t fill_bits, int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  GNNRT_CHECK(geometry.rank >= 0 && geometry.rank <= kMaxCopyRank, "pad of rank ", geometry.rank);
  with_element_type(element_size, "copy", [&](auto element_tag) {
    using Element = typename decltype(element_tag)::type;
    Element fill;
    std::memcpy(&fill, &fill_bits, sizeof(Element));  // the low bytes on a little-endian host
    pad_kernel<Element><<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const Element*>(in),
                                                                    static_cast<Element*>(out), geometry, mode, fill,
                                                                    count);
    GNNRT_CUDA_CHECK_LAUNCH();
  });
}

void launch_copy_rows(const void* src, int64_t src_pitch, void* dst, int64_t dst_pitch, int64_t rows,
                      int64_t row_bytes, cudaStream_t stream) {
  if (rows <= 0 || row_bytes <= 0) return;
  // One contiguous block: the copy engine does it best.
  if (rows == 1 || (src_pitch == row_bytes && dst_pitch == row_bytes)) {
    GNNRT_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(rows * row_bytes), cudaMemcpyDeviceToDevice, stream));
    return;
  }
  const uint64_t alignment = reinterpret_cast<uintptr_t>(src) | reinterpret_cast<uintptr_t>(dst) |
                             static_cast<uint64_t>(src_pitch) | static_cast<uint64_t>(dst_pitch) |
                             static_cast<uint64_t>(row_bytes);
  with_copy_unit(alignment, [&](auto unit_tag) {
    using Unit = typename decltype(unit_tag)::type;
    const int64_t units_per_row = row_bytes / static_cast<int64_t>(sizeof(Unit));
    copy_rows_kernel<Unit><<<blocks_for(rows * units_per_row), kThreads, 0, stream>>>(
        static_cast<const char*>(src), src_pitch, static_cast<char*>(dst), dst_pitch, rows, units_per_row);
    GNNRT_CUDA_CHECK_LAUNCH();
  });
}

void launch_fill(size_t element_size, uint64_t value_bits, void* out, int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  with_element_type(element_size, "copy", [&](auto element_tag) {
    using Element = typename decltype(element_tag)::type;
    Element value;
    std::memcpy(&value, &value_bits, sizeof(Element));
    if (value == Element{0}) {  // all bytes zero: the copy engine's memset
      GNNRT_CUDA_CHECK(cudaMemsetAsync(out, 0, static_cast<size_t>(count) * sizeof(Element), stream));
      return;
    }
    fill_kernel<Element><<<blocks_for(count), kThreads, 0, stream>>>(static_cast<Element*>(out), value, count);
    GNNRT_CUDA_CHECK_LAUNCH();
  });
}

bool range_supported(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64 || dtype == DType::Int32 || dtype == DType::Int64;
}

void launch_range(DType dtype, const void* start, const void* delta, void* out, int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  auto integer = [&](auto tag) {
    using T = typename decltype(tag)::type;
    T first, step;
    std::memcpy(&first, start, sizeof(T));
    std::memcpy(&step, delta, sizeof(T));
    range_integer_kernel<T><<<blocks_for(count), kThreads, 0, stream>>>(static_cast<T*>(out), first, step, count);
    GNNRT_CUDA_CHECK_LAUNCH();
  };
  auto floating = [&](auto tag) {
    using T = typename decltype(tag)::type;
    T first, step;
    std::memcpy(&first, start, sizeof(T));
    std::memcpy(&step, delta, sizeof(T));
    range_float_kernel<T><<<blocks_for(count), kThreads, 0, stream>>>(
        static_cast<T*>(out), static_cast<double>(first), static_cast<double>(step), count);
    GNNRT_CUDA_CHECK_LAUNCH();
  };
  switch (dtype) {
    case DType::Int32: integer(Tag<int32_t>{}); return;
    case DType::Int64: integer(Tag<int64_t>{}); return;
    case DType::Float32: floating(Tag<float>{}); return;
    case DType::Float64: floating(Tag<double>{}); return;
    default: fail_internal("CUDA Range of dtype ", dtype_name(dtype));
  }
}

}  // namespace gnnrt::cuda
