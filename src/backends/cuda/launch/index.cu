// CUDA indexing kernels: gathers (row copies and element-wise), deterministic sort-based scatters,
// and NonZero through CUB. Every kernel is a grid-stride loop with 64-bit offsets; every index
// read from a tensor is checked before it is used (see index.cuh for the error contract).
#include "backends/cuda/launch/index.cuh"

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_select.cuh>
#include <thrust/iterator/counting_iterator.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/launch/launch_common.cuh"
#include "gnnrt/error.h"

namespace gnnrt::cuda {

namespace {

// Sub-allocations of one scratch buffer start at this alignment (CUB's and vector loads' needs).
constexpr size_t kScratchAlignment = 256;

size_t align_up(size_t bytes) { return (bytes + kScratchAlignment - 1) / kScratchAlignment * kScratchAlignment; }

template <typename Fn>
void with_index_type(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::Int32: fn(Tag<int32_t>{}); return;
    case DType::Int64: fn(Tag<int64_t>{}); return;
    default: fail_internal("CUDA index kernel with indices of dtype ", dtype_name(dtype));
  }
}

// The index wrapped into [0, extent), or -1 (after recording the error) when out of range.
template <typename I>
__device__ inline int64_t checked_index(I raw, int64_t extent, const DeviceErrorSink& errors) {
  const int64_t value = static_cast<int64_t>(raw);
  if (value < -extent || value >= extent) {
    report_device_error(errors.record, kIndexOutOfRange, errors.site, value, extent);
    return -1;
  }
  return value < 0 ? value + extent : value;
}

// ---------------------------------------------------------------- gathers

template <typename Unit, typename I>
__global__ void gather_rows_kernel(const char* __restrict__ data, const I* __restrict__ indices,
                                   char* __restrict__ out, int64_t outer, int64_t extent, int64_t count,
                                   int64_t units_per_row, DeviceErrorSink errors) {
  const int64_t total = outer * count * units_per_row;
  const int64_t row_bytes = units_per_row * static_cast<int64_t>(sizeof(Unit));
  for (int64_t i = grid_start(); i < total; i += grid_step()) {
    const int64_t row = i / units_per_row;
    const int64_t unit = i - row * units_per_row;
    const int64_t o = row / count;
    const int64_t j = row - o * count;
    Unit* destination = reinterpret_cast<Unit*>(out + row * row_bytes);
    const int64_t value = static_cast<int64_t>(indices[j]);
    if (value < -extent || value >= extent) {
      if (unit == 0) report_device_error(errors.record, kIndexOutOfRange, errors.site, value, extent);
      destination[unit] = Unit{};
      continue;
    }
    const int64_t source_row = o * extent + (value < 0 ? value + extent : value);
    destination[unit] = reinterpret_cast<const Unit*>(data + source_row * row_bytes)[unit];
  }
}

// The data offset that indices position p addresses, less the axis term (wrap(indices[p]) *
// data_strides[axis]).
__device__ inline int64_t elements_offset(const ElementsGeometry& geometry, int64_t p) {
  int64_t rest = p;
  int64_t offset = 0;
  for (int d = geometry.rank - 1; d >= 0; --d) {
    const int64_t c = rest % geometry.index_dims[d];
    rest /= geometry.index_dims[d];
    if (d != geometry.axis) offset += c * geometry.data_strides[d];
  }
  return offset;
}

template <typename Element, typename I>
__global__ void gather_elements_kernel(const Element* __restrict__ data, const I* __restrict__ indices,
                                       Element* __restrict__ out, ElementsGeometry geometry, int64_t count,
                                       DeviceErrorSink errors) {
  for (int64_t p = grid_start(); p < count; p += grid_step()) {
    const int64_t offset = elements_offset(geometry, p);
    const int64_t index = checked_index(indices[p], geometry.extent, errors);
    out[p] = index < 0 ? Element{0} : data[offset + index * geometry.data_strides[geometry.axis]];
  }
}

template <typename Element, typename I>
__global__ void gather_nd_kernel(const Element* __restrict__ data, const I* __restrict__ indices,
                                 Element* __restrict__ out, GatherNdGeometry geometry, int64_t count,
                                 DeviceErrorSink errors) {
  for (int64_t i = grid_start(); i < count; i += grid_step()) {
    const int64_t t = i / geometry.slice;
    const int64_t s = i - t * geometry.slice;
    int64_t offset = (t / geometry.tuples_per_batch) * geometry.batch_stride;
    bool valid = true;
    for (int c = 0; c < geometry.k; ++c) {
      // Only the first element of a tuple's slice reports, so one bad tuple is one record attempt.
      const int64_t value = static_cast<int64_t>(indices[t * geometry.k + c]);
      const int64_t extent = geometry.dims[c];
      if (value < -extent || value >= extent) {
        if (s == 0) report_device_error(errors.record, kIndexOutOfRange, errors.site, value, extent);
        valid = false;
        break;
      }
      offset += (value < 0 ? value + extent : value) * geometry.strides[c];
    }
    out[i] = valid ? data[offset + s] : Element{0};
  }
}

// ---------------------------------------------------------------- scatters

// Keys (targets) are unsigned and `key_bound` marks an invalid update: it sorts after all valid
// ones and is skipped. 32-bit keys and positions halve the sort's traffic whenever they fit.
template <typename K>
constexpr bool kIsKey = std::is_same<K, uint32_t>::value || std::is_same<K, uint64_t>::value;

bool fits_32bit_keys(int64_t items, int64_t key_bound) {
  return key_bound < static_cast<int64_t>(UINT32_MAX) && items <= static_cast<int64_t>(UINT32_MAX);
}

int key_bits(int64_t key_bound) {
  int bits = 1;
  while (bits < 63 && (key_bound >> bits) != 0) ++bits;
  return bits;
}

template <typename K, typename I>
__global__ void scatter_elements_keys_kernel(const I* __restrict__ indices, ElementsGeometry geometry, int64_t count,
                                             K key_bound, K* __restrict__ keys, K* __restrict__ positions,
                                             DeviceErrorSink errors) {
  for (int64_t p = grid_start(); p < count; p += grid_step()) {
    const int64_t offset = elements_offset(geometry, p);
    const int64_t index = checked_index(indices[p], geometry.extent, errors);
    keys[p] = index < 0 ? key_bound : static_cast<K>(offset + index * geometry.data_strides[geometry.axis]);
    positions[p] = static_cast<K>(p);
  }
}

// A tuple's key is its row-major position among data's leading k dims.
template <typename K, typename I>
__global__ void scatter_nd_keys_kernel(const I* __restrict__ indices, ScatterNdGeometry geometry, int64_t tuples,
                                       K key_bound, K* __restrict__ keys, K* __restrict__ positions,
                                       DeviceErrorSink errors) {
  for (int64_t t = grid_start(); t < tuples; t += grid_step()) {
    int64_t key = 0;
    bool valid = true;
    for (int c = 0; c < geometry.k; ++c) {
      const int64_t index = checked_index(indices[t * geometry.k + c], geometry.dims[c], errors);
      if (index < 0) {
        valid = false;
        break;
      }
      key = key * geometry.dims[c] + index;
    }
    keys[t] = valid ? static_cast<K>(key) : key_bound;
    positions[t] = static_cast<K>(t);
  }
}

// One update folded into the current value, exactly as the CPU's combine<R> (index_ops.cpp):
// integers wrap, Max/Min keep the current value unless the update compares greater/less (so a
// NaN update is ignored and a NaN current value stays).
template <typename T>
__device__ inline T combine(ScatterReduction reduction, T current, T update) {
  switch (reduction) {
    case ScatterReduction::Max: return update > current ? update : current;
    case ScatterReduction::Min: return update < current ? update : current;
    case ScatterReduction::Add:
      if constexpr (std::is_same<T, bool>::value) return update;  // rejected on the host
      else if constexpr (std::is_integral<T>::value)
        return static_cast<T>(static_cast<std::make_unsigned_t<T>>(current) +
                              static_cast<std::make_unsigned_t<T>>(update));
      else return current + update;
    case ScatterReduction::Mul:
      if constexpr (std::is_same<T, bool>::value) return update;  // rejected on the host
      else if constexpr (std::is_integral<T>::value)
        return static_cast<T>(static_cast<std::make_unsigned_t<T>>(current) *
                              static_cast<std::make_unsigned_t<T>>(update));
      else return current * update;
    case ScatterReduction::None: break;
  }
  return update;
}

// After the stable sort, the updates of one target are a run of equal keys in index order. The
// thread at a run's head (one per slice element) folds the run into the target, once.
template <typename T, typename K>
__global__ void apply_sorted_updates_kernel(const K* __restrict__ keys, const K* __restrict__ positions, int64_t items,
                                            int64_t slice, K key_bound, ScatterReduction reduction,
                                            const T* __restrict__ updates, T* __restrict__ out) {
  const int64_t total = items * slice;
  for (int64_t i = grid_start(); i < total; i += grid_step()) {
    const int64_t k = i / slice;
    const int64_t s = i - k * slice;
    const K key = keys[k];
    if (key >= key_bound) continue;              // an out-of-range update, already reported
    if (k > 0 && keys[k - 1] == key) continue;  // not the head of its run
    T* target = out + static_cast<int64_t>(key) * slice + s;
    if (reduction == ScatterReduction::None) {  // the last update in index order wins
      int64_t last = k;
      while (last + 1 < items && keys[last + 1] == key) ++last;
      *target = updates[static_cast<int64_t>(positions[last]) * slice + s];
      continue;
    }
    T value = *target;
    for (int64_t j = k; j < items && keys[j] == key; ++j)
      value = combine(reduction, value, updates[static_cast<int64_t>(positions[j]) * slice + s]);
    *target = value;
  }
}

// Scratch layout of a sorted scatter: keys and positions, two buffers each (CUB's double
// buffers), then CUB's temporary storage.
template <typename K>
struct SortScratch {
  K* keys[2] = {};
  K* positions[2] = {};
  void* cub_storage = nullptr;
  size_t cub_bytes = 0;
  size_t total = 0;
};

template <typename K>
SortScratch<K> sort_scratch(int64_t items, int end_bit, void* base, cudaStream_t stream) {
  SortScratch<K> layout;
  const size_t array = align_up(static_cast<size_t>(items) * sizeof(K));
  char* cursor = static_cast<char*>(base);
  for (int b = 0; b < 2; ++b) {
    layout.keys[b] = reinterpret_cast<K*>(cursor ? cursor + (2 * b) * array : nullptr);
    layout.positions[b] = reinterpret_cast<K*>(cursor ? cursor + (2 * b + 1) * array : nullptr);
  }
  cub::DoubleBuffer<K> keys(layout.keys[0], layout.keys[1]);
  cub::DoubleBuffer<K> positions(layout.positions[0], layout.positions[1]);
  GNNRT_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, layout.cub_bytes, keys, positions, items, 0, end_bit,
                                                   stream));
  layout.cub_storage = cursor ? cursor + 4 * array : nullptr;
  layout.total = 4 * array + align_up(layout.cub_bytes);
  return layout;
}

// Scratch bytes of a sorted scatter of `items` updates with keys below `key_bound`.
size_t sorted_scatter_bytes(int64_t items, int64_t key_bound) {
  return fits_32bit_keys(items, key_bound) ? sort_scratch<uint32_t>(items, key_bits(key_bound), nullptr, nullptr).total
                                           : sort_scratch<uint64_t>(items, key_bits(key_bound), nullptr, nullptr).total;
}

// Sorts (keys, positions) stably by key, then folds every run into `out`.
template <typename K>
void sort_and_apply(DType data_dtype, ScatterReduction reduction, SortScratch<K>& layout, int64_t items,
                    int64_t slice, int64_t key_bound, const void* updates, void* out, cudaStream_t stream) {
  cub::DoubleBuffer<K> keys(layout.keys[0], layout.keys[1]);
  cub::DoubleBuffer<K> positions(layout.positions[0], layout.positions[1]);
  size_t cub_bytes = layout.cub_bytes;
  GNNRT_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(layout.cub_storage, cub_bytes, keys, positions, items, 0,
                                                   key_bits(key_bound), stream));
  auto apply = [&](auto tag) {
    using T = typename decltype(tag)::type;
    apply_sorted_updates_kernel<T, K><<<blocks_for(items * slice), kThreads, 0, stream>>>(
        keys.Current(), positions.Current(), items, slice, static_cast<K>(key_bound), reduction,
        static_cast<const T*>(updates), static_cast<T*>(out));
    GNNRT_CUDA_CHECK_LAUNCH();
  };
  switch (data_dtype) {
    case DType::Float32: apply(Tag<float>{}); return;
    case DType::Float64: apply(Tag<double>{}); return;
    case DType::Int32: apply(Tag<int32_t>{}); return;
    case DType::Int64: apply(Tag<int64_t>{}); return;
    case DType::Bool: apply(Tag<bool>{}); return;
    default: fail_internal("CUDA scatter of dtype ", dtype_name(data_dtype));
  }
}

// A sorted scatter of `items` updates (of `slice` elements each) whose target keys are below
// `key_bound`, in `scratch` (sorted_scatter_bytes of it): make_keys(Tag<K>{}, layout) launches the
// kernel that writes every update's key and position into layout.keys[0] and layout.positions[0],
// then the pairs are sorted and applied to `out`. `what` names the op in internal errors.
template <typename MakeKeys>
void sorted_scatter(const char* what, DType data_dtype, ScatterReduction reduction, int64_t items, int64_t slice,
                    int64_t key_bound, const void* updates, void* out, void* scratch, size_t scratch_bytes,
                    cudaStream_t stream, MakeKeys&& make_keys) {
  auto run = [&](auto key_tag) {
    using K = typename decltype(key_tag)::type;
    SortScratch<K> layout = sort_scratch<K>(items, key_bits(key_bound), scratch, stream);
    GNNRT_CHECK(layout.total <= scratch_bytes, what, " scratch of ", scratch_bytes, " bytes, needs ", layout.total);
    make_keys(key_tag, layout);
    sort_and_apply<K>(data_dtype, reduction, layout, items, slice, key_bound, updates, out, stream);
  };
  if (fits_32bit_keys(items, key_bound)) run(Tag<uint32_t>{});
  else run(Tag<uint64_t>{});
}

// ---------------------------------------------------------------- NonZero

// Non-zero by bits: integers and bool compare every bit, floats all but the sign (so -0 is zero
// and NaN is not), matching `value != 0` on the CPU.
template <typename U>
__global__ void nonzero_flags_kernel(const U* __restrict__ data, U mask, int64_t count, uint8_t* __restrict__ flags) {
  for (int64_t i = grid_start(); i < count; i += grid_step()) flags[i] = (data[i] & mask) != 0 ? 1 : 0;
}

struct CoordinateDims {
  int32_t rank = 0;
  int64_t dims[kMaxIndexRank] = {};
};

__global__ void nonzero_coordinates_kernel(const int64_t* __restrict__ positions, int64_t selected, CoordinateDims dims,
                                           int64_t* __restrict__ out) {
  for (int64_t i = grid_start(); i < selected; i += grid_step()) {
    int64_t rest = positions[i];
    for (int d = dims.rank - 1; d >= 0; --d) {
      out[d * selected + i] = rest % dims.dims[d];
      rest /= dims.dims[d];
    }
  }
}

size_t nonzero_cub_bytes(int64_t count) {
  size_t bytes = 0;
  GNNRT_CUDA_CHECK(cub::DeviceSelect::Flagged(nullptr, bytes, thrust::counting_iterator<int64_t>(0),
                                              static_cast<const uint8_t*>(nullptr), static_cast<int64_t*>(nullptr),
                                              static_cast<int64_t*>(nullptr), count, nullptr));
  return bytes;
}

}  // namespace

bool index_dtype_supported(DType dtype) { return dtype == DType::Int32 || dtype == DType::Int64; }

bool gather_element_size_supported(size_t element_size) {
  return element_size == 1 || element_size == 2 || element_size == 4 || element_size == 8;
}

void launch_gather_rows(DType index_dtype, const void* data, const void* indices, void* out, int64_t outer,
                        int64_t extent, int64_t count, int64_t row_bytes, DeviceErrorSink errors,
                        cudaStream_t stream) {
  if (outer <= 0 || count <= 0 || row_bytes <= 0) return;
  // The widest access that the pointers and the row length allow (16 bytes for float rows of a
  // multiple of 4 features).
  const uint64_t alignment = reinterpret_cast<uintptr_t>(data) | reinterpret_cast<uintptr_t>(out) |
                             static_cast<uint64_t>(row_bytes);
  with_index_type(index_dtype, [&](auto index_tag) {
    using I = typename decltype(index_tag)::type;
    with_copy_unit(alignment, [&](auto unit_tag) {
      using Unit = typename decltype(unit_tag)::type;
      const int64_t units_per_row = row_bytes / static_cast<int64_t>(sizeof(Unit));
      gather_rows_kernel<Unit, I><<<blocks_for(outer * count * units_per_row), kThreads, 0, stream>>>(
          static_cast<const char*>(data), static_cast<const I*>(indices), static_cast<char*>(out), outer, extent,
          count, units_per_row, errors);
      GNNRT_CUDA_CHECK_LAUNCH();
    });
  });
}

void launch_gather_elements(size_t element_size, DType index_dtype, const void* data, const void* indices, void* out,
                            const ElementsGeometry& geometry, int64_t count, DeviceErrorSink errors,
                            cudaStream_t stream) {
  if (count <= 0) return;
  GNNRT_CHECK(geometry.rank >= 1 && geometry.rank <= kMaxIndexRank, "GatherElements of rank ", geometry.rank);
  with_element_type(element_size, "gather", [&](auto element_tag) {
    using Element = typename decltype(element_tag)::type;
    with_index_type(index_dtype, [&](auto index_tag) {
      using I = typename decltype(index_tag)::type;
      gather_elements_kernel<Element, I><<<blocks_for(count), kThreads, 0, stream>>>(
          static_cast<const Element*>(data), static_cast<const I*>(indices), static_cast<Element*>(out), geometry,
          count, errors);
      GNNRT_CUDA_CHECK_LAUNCH();
    });
  });
}

void launch_gather_nd(size_t element_size, DType index_dtype, const void* data, const void* indices, void* out,
                      const GatherNdGeometry& geometry, int64_t tuples, DeviceErrorSink errors, cudaStream_t stream) {
  const int64_t count = tuples * geometry.slice;
  if (count <= 0) return;
  GNNRT_CHECK(geometry.k >= 1 && geometry.k <= kMaxIndexRank && geometry.tuples_per_batch > 0, "GatherND with k ",
              geometry.k);
  with_element_type(element_size, "gather", [&](auto element_tag) {
    using Element = typename decltype(element_tag)::type;
    with_index_type(index_dtype, [&](auto index_tag) {
      using I = typename decltype(index_tag)::type;
      gather_nd_kernel<Element, I><<<blocks_for(count), kThreads, 0, stream>>>(
          static_cast<const Element*>(data), static_cast<const I*>(indices), static_cast<Element*>(out), geometry,
          count, errors);
      GNNRT_CUDA_CHECK_LAUNCH();
    });
  });
}

bool scatter_supported(DType data_dtype, ScatterReduction reduction) {
  switch (data_dtype) {
    case DType::Float32:
    case DType::Float64:
    case DType::Int32:
    case DType::Int64: return true;
    case DType::Bool: return reduction != ScatterReduction::Add && reduction != ScatterReduction::Mul;
    default: return false;
  }
}

size_t scatter_elements_scratch_bytes(int64_t updates, int64_t data_numel) {
  if (updates <= 0) return 0;
  return sorted_scatter_bytes(updates, data_numel);
}

void launch_scatter_elements(DType data_dtype, DType index_dtype, ScatterReduction reduction, const void* indices,
                             const void* updates, void* out, const ElementsGeometry& geometry, int64_t update_count,
                             int64_t data_numel, void* scratch, size_t scratch_bytes, DeviceErrorSink errors,
                             cudaStream_t stream) {
  if (update_count <= 0) return;
  GNNRT_CHECK(geometry.rank >= 1 && geometry.rank <= kMaxIndexRank, "ScatterElements of rank ", geometry.rank);
  GNNRT_CHECK(scatter_supported(data_dtype, reduction), "CUDA ScatterElements of ", dtype_name(data_dtype));
  sorted_scatter("ScatterElements", data_dtype, reduction, update_count, 1, data_numel, updates, out, scratch,
                 scratch_bytes, stream, [&](auto key_tag, auto& layout) {
                   using K = typename decltype(key_tag)::type;
                   with_index_type(index_dtype, [&](auto index_tag) {
                     using I = typename decltype(index_tag)::type;
                     scatter_elements_keys_kernel<K, I><<<blocks_for(update_count), kThreads, 0, stream>>>(
                         static_cast<const I*>(indices), geometry, update_count, static_cast<K>(data_numel),
                         layout.keys[0], layout.positions[0], errors);
                     GNNRT_CUDA_CHECK_LAUNCH();
                   });
                 });
}

namespace {
int64_t nd_key_bound(const ScatterNdGeometry& geometry) {
  int64_t bound = 1;
  for (int c = 0; c < geometry.k; ++c) bound *= geometry.dims[c];
  return bound;
}
}  // namespace

size_t scatter_nd_scratch_bytes(int64_t tuples, const ScatterNdGeometry& geometry) {
  if (tuples <= 0) return 0;
  return sorted_scatter_bytes(tuples, nd_key_bound(geometry));
}

void launch_scatter_nd(DType data_dtype, DType index_dtype, ScatterReduction reduction, const void* indices,
                       const void* updates, void* out, const ScatterNdGeometry& geometry, int64_t tuples,
                       int64_t slice, void* scratch, size_t scratch_bytes, DeviceErrorSink errors,
                       cudaStream_t stream) {
  if (tuples <= 0 || slice <= 0) return;
  GNNRT_CHECK(geometry.k >= 1 && geometry.k <= kMaxIndexRank, "ScatterND with k ", geometry.k);
  GNNRT_CHECK(scatter_supported(data_dtype, reduction), "CUDA ScatterND of ", dtype_name(data_dtype));
  const int64_t key_bound = nd_key_bound(geometry);
  sorted_scatter("ScatterND", data_dtype, reduction, tuples, slice, key_bound, updates, out, scratch, scratch_bytes,
                 stream, [&](auto key_tag, auto& layout) {
                   using K = typename decltype(key_tag)::type;
                   with_index_type(index_dtype, [&](auto index_tag) {
                     using I = typename decltype(index_tag)::type;
                     scatter_nd_keys_kernel<K, I><<<blocks_for(tuples), kThreads, 0, stream>>>(
                         static_cast<const I*>(indices), geometry, tuples, static_cast<K>(key_bound),
                         layout.keys[0], layout.positions[0], errors);
                     GNNRT_CUDA_CHECK_LAUNCH();
                   });
                 });
}

bool nonzero_supported(DType dtype) { return dtype != DType::Undefined; }

size_t nonzero_scratch_bytes(int64_t count) {
  if (count <= 0) return 0;
  return align_up(static_cast<size_t>(count)) + align_up(nonzero_cub_bytes(count));
}

void launch_nonzero_positions(DType dtype, const void* data, int64_t count, int64_t* positions, int64_t* selected,
                              void* scratch, size_t scratch_bytes, cudaStream_t stream) {
  if (count <= 0) {
    GNNRT_CUDA_CHECK(cudaMemsetAsync(selected, 0, sizeof(int64_t), stream));
    return;
  }
  uint8_t* flags = static_cast<uint8_t*>(scratch);
  void* cub_storage = static_cast<char*>(scratch) + align_up(static_cast<size_t>(count));
  size_t cub_bytes = nonzero_cub_bytes(count);
  GNNRT_CHECK(align_up(static_cast<size_t>(count)) + align_up(cub_bytes) <= scratch_bytes, "NonZero scratch of ",
              scratch_bytes, " bytes");
  auto flag = [&](auto tag, auto mask) {
    using U = typename decltype(tag)::type;
    nonzero_flags_kernel<U><<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const U*>(data),
                                                                        static_cast<U>(mask), count, flags);
    GNNRT_CUDA_CHECK_LAUNCH();
  };
  switch (dtype) {
    case DType::Float32: flag(Tag<uint32_t>{}, 0x7fffffffu); break;
    case DType::Float64: flag(Tag<uint64_t>{}, 0x7fffffffffffffffull); break;
    case DType::Float16:
    case DType::BFloat16: flag(Tag<uint16_t>{}, 0x7fffu); break;
    case DType::Undefined: fail_internal("CUDA NonZero of an undefined dtype");
    default:
      with_element_type(dtype_size(dtype), "gather", [&](auto tag) {
        using U = typename decltype(tag)::type;
        flag(tag, static_cast<U>(~U{0}));
      });
  }
  GNNRT_CUDA_CHECK(cub::DeviceSelect::Flagged(cub_storage, cub_bytes, thrust::counting_iterator<int64_t>(0),
                                              static_cast<const uint8_t*>(flags), positions, selected, count,
                                              stream));
}

void launch_nonzero_coordinates(const int64_t* positions, int64_t selected, const int64_t* dims, int32_t rank,
                                int64_t* out, cudaStream_t stream) {
  if (selected <= 0 || rank <= 0) return;
  GNNRT_CHECK(rank <= kMaxIndexRank, "NonZero of rank ", rank);
  CoordinateDims shape;
  shape.rank = rank;
  for (int32_t d = 0; d < rank; ++d) shape.dims[d] = dims[d];
  nonzero_coordinates_kernel<<<blocks_for(selected), kThreads, 0, stream>>>(positions, selected, shape, out);
  GNNRT_CUDA_CHECK_LAUNCH();
}

}  // namespace gnnrt::cuda
