// Launch functions for the CUDA indexing kernels (index.cu): Gather, GatherElements, GatherND,
// ScatterElements, ScatterND and NonZero. Plain pointers, sizes and a stream; the host side
// (index_ops.cpp) checks shapes first, as the CPU reference does (backends/cpu/index_ops.cpp).
//
// Indices come from user data, so every one is range-checked on the device: a valid index is in
// [-extent, extent) (negative ones count from the end); an invalid one is recorded with
// report_device_error(kIndexOutOfRange, value = the index, bound = extent) and the access is
// skipped (a gathered element is written as zero bytes, a scatter update is dropped).
//
// Determinism: scatters never use atomics. Updates are radix-sorted (stably) by their target,
// and each target is then reduced by one thread, in index order, starting from the data value:
// exactly the CPU's order of operations, so results are bit-identical to the CPU's and from run
// to run.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "backends/cuda/device_errors.h"
#include "gnnrt/dtype.h"

namespace gnnrt::cuda {

// Index tensors (and the dims addressed through them) handled by these kernels; the host side
// fails clearly beyond this rank.
inline constexpr int kMaxIndexRank = 8;

// int32 or int64.
bool index_dtype_supported(DType dtype);
// Whether gathers copy elements of this size (1, 2, 4 or 8 bytes: every gnnrt dtype).
bool gather_element_size_supported(size_t element_size);

// ---------------------------------------------------------------- Gather

// Gather as a copy of rows: output row (o, j), o < outer, j < count, is data row
// o * extent + indices[j] (wrapped), each `row_bytes` long. For Gather on axis a of data, outer is
// the product of the dims before a, extent the dim a and row_bytes the bytes after it; the PyG
// case x[N, F] by edge_index[E] is outer 1, extent N, rows of F floats, copied 16 bytes at a time
// when the alignment allows.
void launch_gather_rows(DType index_dtype, const void* data, const void* indices, void* out, int64_t outer,
                        int64_t extent, int64_t count, int64_t row_bytes, DeviceErrorSink errors,
                        cudaStream_t stream);

// ---------------------------------------------------------------- GatherElements / ScatterElements

// An indices position p (a multi-index c over index_dims) addresses the data element at offset
// sum_{d != axis} c_d * data_strides[d] + wrap(indices[p]) * data_strides[axis].
struct ElementsGeometry {
  int32_t rank = 0;
  int32_t axis = 0;
  int64_t extent = 0;  // data's dim along the axis: the valid index range
  int64_t index_dims[kMaxIndexRank] = {};
  int64_t data_strides[kMaxIndexRank] = {};
};

void launch_gather_elements(size_t element_size, DType index_dtype, const void* data, const void* indices, void* out,
                            const ElementsGeometry& geometry, int64_t count, DeviceErrorSink errors,
                            cudaStream_t stream);

// ---------------------------------------------------------------- GatherND

// Tuple t (of k coordinates, indices[t * k + c]) addresses the slice at
// (t / tuples_per_batch) * batch_stride + sum_c wrap(coordinate c, dims[c]) * strides[c] in data;
// the output holds `slice` elements per tuple.
struct GatherNdGeometry {
  int32_t k = 0;
  int64_t tuples_per_batch = 1;
  int64_t batch_stride = 0;
  int64_t slice = 1;
  int64_t dims[kMaxIndexRank] = {};
  int64_t strides[kMaxIndexRank] = {};
};

void launch_gather_nd(size_t element_size, DType index_dtype, const void* data, const void* indices, void* out,
                      const GatherNdGeometry& geometry, int64_t tuples, DeviceErrorSink errors, cudaStream_t stream);

// ---------------------------------------------------------------- scatters

enum class ScatterReduction : int32_t { None, Add, Mul, Max, Min };

// float32, float64, int32, int64, and bool for None/Max/Min (as the CPU: add/mul of bool is an error).
bool scatter_supported(DType data_dtype, ScatterReduction reduction);

// ScatterElements: `out` already holds a copy of data; update p goes to the element that indices
// position p addresses (ElementsGeometry). `scratch` must hold scatter_elements_scratch_bytes.
size_t scatter_elements_scratch_bytes(int64_t updates, int64_t data_numel);
void launch_scatter_elements(DType data_dtype, DType index_dtype, ScatterReduction reduction, const void* indices,
                             const void* updates, void* out, const ElementsGeometry& geometry, int64_t update_count,
                             int64_t data_numel, void* scratch, size_t scratch_bytes, DeviceErrorSink errors,
                             cudaStream_t stream);

// ScatterND: `out` already holds a copy of data; tuple t (k coordinates into data's leading dims
// `dims`) receives the `slice` elements updates[t * slice, (t + 1) * slice).
struct ScatterNdGeometry {
  int32_t k = 0;
  int64_t dims[kMaxIndexRank] = {};
};
size_t scatter_nd_scratch_bytes(int64_t tuples, const ScatterNdGeometry& geometry);
void launch_scatter_nd(DType data_dtype, DType index_dtype, ScatterReduction reduction, const void* indices,
                       const void* updates, void* out, const ScatterNdGeometry& geometry, int64_t tuples,
                       int64_t slice, void* scratch, size_t scratch_bytes, DeviceErrorSink errors,
                       cudaStream_t stream);

// ---------------------------------------------------------------- NonZero

// Any dtype: an element is non-zero when it compares unequal to 0 (NaN counts, -0 does not).
bool nonzero_supported(DType dtype);
size_t nonzero_scratch_bytes(int64_t count);
// The flat positions of the non-zero elements of data[count], ascending, into `positions`
// (capacity count), and how many there are into *selected (one device int64).
void launch_nonzero_positions(DType dtype, const void* data, int64_t count, int64_t* positions, int64_t* selected,
                              void* scratch, size_t scratch_bytes, cudaStream_t stream);
// out[d * selected + i] = coordinate d of flat position positions[i] in `dims` (rank of them).
void launch_nonzero_coordinates(const int64_t* positions, int64_t selected, const int64_t* dims, int32_t rank,
                                int64_t* out, cudaStream_t stream);

}  // namespace gnnrt::cuda
