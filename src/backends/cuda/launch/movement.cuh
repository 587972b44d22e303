// Launch functions for the CUDA data-movement kernels (movement.cu): strided copies (Slice,
// Transpose, Expand), Tile, Pad, row-block copies (Concat, Split), fills (ConstantOfShape,
// Dropout's mask) and Range. Plain pointers, sizes and a stream; the host side
// (movement_ops.cpp) checks shapes first, as the CPU reference does (backends/cpu/shape_ops.cpp).
//
// Copies move bytes: every dtype works through its element size (1, 2, 4 or 8 bytes), so no
// kernel is instantiated per dtype. Each output element is written by exactly one thread.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "gnnrt/dtype.h"

namespace gnnrt::cuda {

// Output dims after merging neighbours that walk the input alike; rank 8 covers any realistic
// model (the host side fails clearly beyond it).
inline constexpr int kMaxCopyRank = 8;

// Whether the copy kernels handle elements of this size (1, 2, 4 or 8 bytes).
bool copy_element_size_supported(size_t element_size);

// out[c] = in[base + sum_d c_d * strides[d]] for every output multi-index c (row-major over
// dims). Strides are in elements and may be 0 (Expand) or negative (Slice with negative steps).
struct StridedCopyGeometry {
  int32_t rank = 0;  // 0: a single element
  int64_t base = 0;
  int64_t dims[kMaxCopyRank] = {};
  int64_t strides[kMaxCopyRank] = {};
};
void launch_strided_copy(size_t element_size, const void* in, void* out, const StridedCopyGeometry& geometry,
                         int64_t count, cudaStream_t stream);

// Tile: out[c] = in[sum_d (c_d % in_dims[d]) * in_strides[d]].
struct TileGeometry {
  int32_t rank = 0;
  int64_t out_dims[kMaxCopyRank] = {};
  int64_t in_dims[kMaxCopyRank] = {};
  int64_t in_strides[kMaxCopyRank] = {};
};
void launch_tile(size_t element_size, const void* in, void* out, const TileGeometry& geometry, int64_t count,
                 cudaStream_t stream);

// Pad: output coordinate o on axis d reads input coordinate o - begin[d]; outside [0, in_dims[d])
// it is the fill value (constant), the nearest edge (edge) or the mirror image without repeating
// the edge (reflect, which needs in_dims[d] >= 2 where it pads).
enum class PadMode : int32_t { Constant, Edge, Reflect };
struct PadGeometry {
  int32_t rank = 0;
  int64_t out_dims[kMaxCopyRank] = {};
  int64_t in_dims[kMaxCopyRank] = {};
  int64_t in_strides[kMaxCopyRank] = {};
  int64_t begin[kMaxCopyRank] = {};
};
// `fill_bits` holds the padding value's bytes (little-endian, element_size of them).
void launch_pad(size_t element_size, PadMode mode, const void* in, void* out, const PadGeometry& geometry,
                uint64_t fill_bits, int64_t count, cudaStream_t stream);

// `rows` rows of `row_bytes` each: row r goes from src + r * src_pitch to dst + r * dst_pitch
// (bytes). Concat and Split are one such copy per input / output. Moves 16, 8, 4, 2 or 1 bytes
// per access, the widest that the pointers, pitches and row length allow.
void launch_copy_rows(const void* src, int64_t src_pitch, void* dst, int64_t dst_pitch, int64_t rows,
                      int64_t row_bytes, cudaStream_t stream);

// out[i] = the value whose bytes are `value_bits` (element_size of them), for i in [0, count).
void launch_fill(size_t element_size, uint64_t value_bits, void* out, int64_t count, cudaStream_t stream);

// Range: out[i] = start + i * delta, computed as the CPU reference does (integers exactly in
// 128 bits, floats in double with no fused multiply-add), for float32, float64, int32 and int64.
// `start` and `delta` point to one host element of `dtype` each.
bool range_supported(DType dtype);
void launch_range(DType dtype, const void* start, const void* delta, void* out, int64_t count, cudaStream_t stream);

}  // namespace gnnrt::cuda
