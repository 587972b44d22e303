// CUDA kernels of gnnrt's sparse ops: CsrFromCoo (a CUB radix sort of the edge list by target)
// and SpMM in three tactics (see sparse.cuh). Every index read from a tensor is checked before it
// is used; 64-bit offsets throughout.
//
// SpMM's own tactics share one warp layout. A row's F features are read in "units" of V elements
// (16 bytes when F and the pointers allow: float4 for fp32, 8 halves for 16-bit types; narrower
// otherwise). `feature_lanes` lanes (a power of two, at most 32) take consecutive units of one
// "slab" of the row; the warp's other lanes, 32 / feature_lanes "edge lanes" of them, take further
// edges of the same row, and their sums are added by shuffles at the end. Slabs are grid.y, so the
// blocks of one slab run together: when X is larger than the L2 cache, narrower slabs keep the part
// of X being gathered resident there (every row of X is gathered once per out-edge).
//
// Within a warp, edges are read 32 at a time (column id and value coalesced, one edge per lane,
// loaded a batch ahead), then broadcast by shuffles; each lane keeps 8 gathered units in flight
// before adding them. Sums are fp32 with separate multiply and add (no FMA contraction): a row
// summed in one piece by one edge lane adds the CPU's terms in the CPU's order. No atomics: every
// tactic but cuSPARSE's is bit-identical from run to run.
#include "backends/cuda/launch/sparse.cuh"

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>
#include <cuda/functional>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cusparse.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/launch/launch_common.cuh"
#include "gnnrt/error.h"

namespace gnnrt::cuda {

namespace {

// ---------------------------------------------------------------- scratch

// Sub-allocations of one scratch buffer start at this alignment (CUB's and vector loads' needs).
constexpr size_t kScratchAlignment = 256;

size_t align_up(size_t bytes) { return (bytes + kScratchAlignment - 1) / kScratchAlignment * kScratchAlignment; }

// Hands out consecutive aligned pieces of one scratch buffer; with a null base it only counts the
// bytes (the same code sizes the buffer and then carves it).
class ScratchCarver {
 public:
  explicit ScratchCarver(void* base) : base_(static_cast<char*>(base)) {}

  template <typename T>
  T* take(int64_t count) {
    T* piece = base_ ? reinterpret_cast<T*>(base_ + used_) : nullptr;
    used_ += align_up(static_cast<size_t>(std::max<int64_t>(count, 0)) * sizeof(T));
    return piece;
  }
  void* take_bytes(size_t bytes) { return take<char>(static_cast<int64_t>(bytes)); }
  size_t used() const { return used_; }

 private:
  char* base_;
  size_t used_ = 0;
};

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kWarpsPerBlock = kThreads / 32;

// The smallest bit count that holds `value` (at least 1): the radix sort's end bit.
int bits_for(int64_t value) {
  int bits = 1;
  while (bits < 63 && (value >> bits) != 0) ++bits;
  return bits;
}

// ---------------------------------------------------------------- CsrFromCoo

// src values must fit a CSR column index: [-2^31, 2^31).
constexpr int64_t kInt32Extent = int64_t{1} << 31;

// Keys are the wrapped targets; an invalid edge gets key N, so it sorts after every row and is
// left out of row_ptr. The payload is the src as int32, or the edge's position when values must
// follow the sort too.
__global__ void csr_keys_kernel(const int64_t* __restrict__ src, const int64_t* __restrict__ dst, int64_t num_edges,
                                int64_t num_rows, bool positions, uint32_t* __restrict__ keys,
                                int32_t* __restrict__ payload, DeviceErrorSink errors) {
  GNNRT_GRID_STRIDE_LOOP(e, num_edges) {
    const int64_t target = dst[e];
    const bool target_ok = target >= -num_rows && target < num_rows;
    if (!target_ok) report_device_error(errors.record, kIndexOutOfRange, errors.site, target, num_rows);
    keys[e] = static_cast<uint32_t>(target_ok ? (target < 0 ? target + num_rows : target) : num_rows);
    const int64_t source = src[e];
    if (source < -kInt32Extent || source >= kInt32Extent)
      report_device_error(errors.record, kIndexOutOfRange, errors.site, source, kInt32Extent);
    payload[e] = positions ? static_cast<int32_t>(e) : static_cast<int32_t>(source);
  }
}

// row_ptr[r] = the first sorted position whose key is >= r (so row_ptr[N] counts the valid edges).
__global__ void csr_row_offsets_kernel(const uint32_t* __restrict__ sorted_keys, int64_t num_edges, int64_t num_rows,
                                       int32_t* __restrict__ row_ptr) {
  GNNRT_GRID_STRIDE_LOOP(r, num_rows + 1) {
    int64_t low = 0, high = num_edges;
    while (low < high) {
      const int64_t mid = low + (high - low) / 2;
      if (static_cast<int64_t>(sorted_keys[mid]) < r) low = mid + 1;
      else high = mid;
    }
    row_ptr[r] = static_cast<int32_t>(low);
  }
}

__global__ void csr_permute_kernel(const int32_t* __restrict__ order, const int64_t* __restrict__ src,
                                   const float* __restrict__ values, int64_t num_edges, int32_t* __restrict__ col,
                                   float* __restrict__ sorted_values) {
  GNNRT_GRID_STRIDE_LOOP(i, num_edges) {
    const int32_t e = order[i];
    col[i] = static_cast<int32_t>(src[e]);
    sorted_values[i] = values[e];
  }
}

struct CsrScratch {
  uint32_t* keys = nullptr;
  uint32_t* sorted_keys = nullptr;
  int32_t* payload = nullptr;
  int32_t* order = nullptr;  // the sorted positions, when values follow the sort
  void* cub_storage = nullptr;
  size_t cub_bytes = 0;
  size_t total = 0;
};

CsrScratch csr_scratch(int64_t num_edges, int64_t num_rows, bool has_values, void* base) {
  CsrScratch layout;
  ScratchCarver carver(base);
  layout.keys = carver.take<uint32_t>(num_edges);
  layout.sorted_keys = carver.take<uint32_t>(num_edges);
  layout.payload = carver.take<int32_t>(num_edges);
  if (has_values) layout.order = carver.take<int32_t>(num_edges);
  GNNRT_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, layout.cub_bytes, static_cast<const uint32_t*>(nullptr),
                                                   static_cast<uint32_t*>(nullptr),
                                                   static_cast<const int32_t*>(nullptr),
                                                   static_cast<int32_t*>(nullptr), static_cast<int>(num_edges), 0,
                                                   bits_for(num_rows)));
  layout.cub_storage = carver.take_bytes(layout.cub_bytes);
  layout.total = carver.used();
  return layout;
}

// ---------------------------------------------------------------- SpMM: feature storage

// X and Y hold float32, float16 or bfloat16; every sum is fp32. 16-bit values travel as raw bits.
// An int8 X (INT8 engines) is read as raw bytes, dequantised as it is summed; its Y is float32.
enum class Feature { F32, F16, BF16, I8 };

template <Feature K>
struct FeatureBits {
  using type = uint16_t;
};
template <>
struct FeatureBits<Feature::F32> {
  using type = uint32_t;
};
template <>
struct FeatureBits<Feature::I8> {
  using type = uint8_t;
};

template <Feature K>
__device__ inline float to_float(typename FeatureBits<K>::type bits) {
  if constexpr (K == Feature::F32) return __uint_as_float(bits);
  else if constexpr (K == Feature::F16) return __half2float(__ushort_as_half(bits));
  else if constexpr (K == Feature::I8) return static_cast<float>(static_cast<int8_t>(bits));
  else return __uint_as_float(static_cast<uint32_t>(bits) << 16);
}

// Round to nearest even, as the CPU's float_to_half / float_to_bfloat16.
template <Feature K>
__device__ inline typename FeatureBits<K>::type from_float(float value) {
  if constexpr (K == Feature::F32) return __float_as_uint(value);
  else if constexpr (K == Feature::F16) return __half_as_ushort(__float2half_rn(value));
  else return __bfloat16_as_ushort(__float2bfloat16_rn(value));
}

template <int Bytes>
struct RawUnit;
template <>
struct RawUnit<16> {
  using type = uint4;
};
template <>
struct RawUnit<8> {
  using type = uint2;
};
template <>
struct RawUnit<4> {
  using type = uint32_t;
};
template <>
struct RawUnit<2> {
  using type = uint16_t;
};
template <>
struct RawUnit<1> {
  using type = uint8_t;
};

#ifndef GNNRT_SPMM_INT8_PRMT
#define GNNRT_SPMM_INT8_PRMT 1  // 0: widen int8 with I2F, for A/B builds
#endif

// V consecutive features of one row, loaded and stored as one access.
template <Feature K, int V>
struct FeatureUnit {
  using Bits = typename FeatureBits<K>::type;
  using Raw = typename RawUnit<V * static_cast<int>(sizeof(Bits))>::type;
  static_assert(sizeof(Raw) == V * sizeof(Bits), "a unit is one access");

  __device__ static Raw load(const void* base, int64_t index) { return __ldg(static_cast<const Raw*>(base) + index); }

  // sum += weight * unit, element by element, in fp32.
  __device__ static void accumulate(float (&sum)[V], float weight, const Raw& raw) {
    if constexpr (K == Feature::I8 && V % 4 == 0 && GNNRT_SPMM_INT8_PRMT) {
      // Four int8 values a word, widened without I2F (a quarter-rate instruction): with the sign bit
      // flipped a byte is u = q + 128, and PRMT makes the float 2^23 + u of it exactly.
      uint32_t words[V / 4];
      memcpy(words, &raw, sizeof(Raw));
#pragma unroll
      for (int w = 0; w < V / 4; ++w) {
        const uint32_t biased = words[w] ^ 0x80808080u;
#pragma unroll
        for (int b = 0; b < 4; ++b) {
          const float q = __fsub_rn(__uint_as_float(__byte_perm(biased, 0x4B000000u, 0x7540u | b)), 8388736.0f);
          sum[w * 4 + b] = __fadd_rn(sum[w * 4 + b], __fmul_rn(weight, q));
        }
      }
    } else {
      Bits bits[V];
      memcpy(bits, &raw, sizeof(Raw));
#pragma unroll
      for (int i = 0; i < V; ++i) sum[i] = __fadd_rn(sum[i], __fmul_rn(weight, to_float<K>(bits[i])));
    }
  }

  __device__ static void store(void* base, int64_t index, const float (&values)[V]) {
    Bits bits[V];
#pragma unroll
    for (int i = 0; i < V; ++i) bits[i] = from_float<K>(values[i]);
    Raw raw;
    memcpy(&raw, bits, sizeof(Raw));
    static_cast<Raw*>(base)[index] = raw;
  }
};

// Partial sums (fp32 scratch) of one unit: V floats, aligned to their size.
template <int V>
__device__ inline void store_floats(float* target, const float (&values)[V]) {
  if constexpr (V % 4 == 0) {
#pragma unroll
    for (int i = 0; i < V; i += 4)
      reinterpret_cast<float4*>(target)[i / 4] = make_float4(values[i], values[i + 1], values[i + 2], values[i + 3]);
  } else if constexpr (V == 2) {
    *reinterpret_cast<float2*>(target) = make_float2(values[0], values[1]);
  } else {
    target[0] = values[0];
  }
}

template <int V>
__device__ inline void add_floats(float (&sum)[V], const float* source, bool first) {
#pragma unroll
  for (int i = 0; i < V; ++i) sum[i] = first ? source[i] : __fadd_rn(sum[i], source[i]);
}

// Stores unit `index` of Y (V features) for X's storage K: as one access of X's dtype, or as
// float32 for an int8 X (V floats, in 16-byte pieces where V allows).
template <Feature K, int V>
__device__ inline void store_output(void* y, int64_t index, const float (&values)[V]) {
  if constexpr (K == Feature::I8) store_floats<V>(static_cast<float*>(y) + index * V, values);
  else FeatureUnit<K, V>::store(y, index, values);
}

// ---------------------------------------------------------------- SpMM: shared device code

// The problem as the kernels take it.
struct SpmmArgs {
  const void* x = nullptr;
  const int32_t* row_ptr = nullptr;
  const int32_t* col = nullptr;
  const float* values = nullptr;
  const float* row_scale = nullptr;
  const float* col_scale = nullptr;
  const float* bias = nullptr;
  const float* x_row_scale = nullptr;  // an int8 X's per-row scales
  void* y = nullptr;
  int64_t num_rows = 0, num_cols = 0, num_edges = 0, width = 0;
  float x_scale = 1.0f;  // an int8 X's per-tensor scale
  bool relu = false;
  bool divide_rows = false;
  DeviceErrorSink errors;
};

// How a warp spreads over a row (see the top of this file).
struct WarpShape {
  int64_t row_units = 0;      // F / V
  int32_t feature_lanes = 1;  // a power of two <= 32
  int32_t feature_lane_bits = 0;
  int64_t slabs() const { return ceil_div(row_units, feature_lanes); }
};

struct LaneRole {
  int lane;        // 0..31
  int edge_lane;   // which of the warp's edge lanes this lane belongs to
  int edge_lanes;  // 32 / feature_lanes
  int64_t unit;    // the unit of the row this lane reads and writes
  bool has_unit;   // false for lanes past the row's last unit
};

__device__ inline LaneRole lane_role(const WarpShape& shape, int64_t slab) {
  LaneRole role;
  role.lane = static_cast<int>(threadIdx.x & 31);
  role.edge_lane = role.lane >> shape.feature_lane_bits;
  role.edge_lanes = 32 >> shape.feature_lane_bits;
  role.unit = slab * shape.feature_lanes + (role.lane & (shape.feature_lanes - 1));
  role.has_unit = role.unit < shape.row_units;
  return role;
}

__device__ inline int64_t warp_index() {
  return static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + static_cast<int64_t>(threadIdx.x / 32);
}

// The edges of `row`, clamped into [0, E]. A malformed row_ptr is recorded (when `report`) with
// bound E + 1 and never read past.
__device__ inline void row_edges(const SpmmArgs& a, int64_t row, bool report, int64_t& begin, int64_t& end) {
  const int64_t b = a.row_ptr[row], e = a.row_ptr[row + 1];
  if (report) {
    const bool bad_begin = b < 0 || b > a.num_edges || (row == 0 && b != 0);
    const bool bad_end = e < b || e > a.num_edges || (row == a.num_rows - 1 && e != a.num_edges);
    if (bad_begin || bad_end)
      report_device_error(a.errors.record, kIndexOutOfRange, a.errors.site, bad_begin ? b : e, a.num_edges + 1);
  }
  begin = min(max(b, int64_t{0}), a.num_edges);
  end = min(max(e, begin), a.num_edges);
}

// An edge's column id and value, read a batch ahead of their use (prefetch_edge), then checked
// and turned into the column wrapped into [0, M) and the weight values[e] * col_scale[c], as the
// CPU forms it (resolve_edge). An out-of-range column is recorded and gets column -1 (skipped);
// edges at or past `end` get column -1 too.
__device__ inline void prefetch_edge(const SpmmArgs& a, int64_t e, int64_t end, int32_t& raw_column, float& value) {
  if (e >= end) return;
  raw_column = a.col[e];
  value = a.values ? __ldg(a.values + e) : 1.0f;
}

__device__ inline void resolve_edge(const SpmmArgs& a, int64_t e, int64_t end, int32_t raw_column, float value,
                                    int32_t& column, float& weight) {
  column = -1;
  weight = 0.0f;
  if (e >= end) return;
  int64_t c = raw_column;
  if (c < -a.num_cols || c >= a.num_cols) {
    report_device_error(a.errors.record, kIndexOutOfRange, a.errors.site, c, a.num_cols);
    return;
  }
  if (c < 0) c += a.num_cols;
  column = static_cast<int32_t>(c);
  weight = a.col_scale ? __fmul_rn(value, __ldg(a.col_scale + c)) : value;
  if (a.x_row_scale) weight = __fmul_rn(weight, __ldg(a.x_row_scale + c));  // an int8 row's own scale
}

// Gathered units in flight per lane: 8 covers the memory latency at the occupancy these kernels
// reach (8 x 16 bytes per lane). 16-bit units need more registers to widen (8 halves each): at 8 in
// flight they spill under the 64-register bound, and 4 was faster (arxiv-size 256-wide fp16 SpMM
// 0.63 vs 0.83 ms; fp32 at 4: 1.12 vs 0.99 ms; H100, 2026-12-05, A/B builds in one run).
#ifndef GNNRT_SPMM_IN_FLIGHT_16BIT
#define GNNRT_SPMM_IN_FLIGHT_16BIT 4  // overridable, for A/B builds
#endif
constexpr int kInFlightF32 = 8;
constexpr int kInFlight16Bit = GNNRT_SPMM_IN_FLIGHT_16BIT;
// int8 units widen to more floats still (16 per 16-byte unit); their own setting, for A/B builds.
#ifndef GNNRT_SPMM_IN_FLIGHT_INT8
#define GNNRT_SPMM_IN_FLIGHT_INT8 4
#endif
template <Feature K>
constexpr int kUnitsInFlight = K == Feature::F32  ? kInFlightF32
                               : K == Feature::I8 ? GNNRT_SPMM_IN_FLIGHT_INT8
                                                  : kInFlight16Bit;

// sum += the terms of edges [begin, end) of one row for this lane's unit; the whole warp calls it
// with the same range. Edge lane p takes edges begin + p, begin + p + edge_lanes, ... in order.
template <Feature K, int V>
__device__ inline void accumulate_edges(float (&sum)[V], const SpmmArgs& a, const LaneRole& role,
                                        const WarpShape& shape, int64_t begin, int64_t end) {
  using Unit = FeatureUnit<K, V>;
  using Raw = typename Unit::Raw;
  // The gathers need only the column ids; the weights (and the col_scale loads behind them) are
  // waited for when the units have arrived.
  constexpr int kInFlight = kUnitsInFlight<K>;
  const int step = role.edge_lanes * kInFlight;
  // The next batch's column ids and values are loaded while this batch's rows are gathered.
  int32_t next_column = 0;
  float next_value = 0.0f;
  prefetch_edge(a, begin + role.lane, end, next_column, next_value);
  for (int64_t batch = begin; batch < end; batch += 32) {
    int32_t my_column;
    float my_weight;
    resolve_edge(a, batch + role.lane, end, next_column, next_value, my_column, my_weight);
    prefetch_edge(a, batch + 32 + role.lane, end, next_column, next_value);
    const int count = static_cast<int>(min(int64_t{32}, end - batch));
    for (int first = 0; first < count; first += step) {
      Raw raw[kInFlight];
      unsigned taken = 0;  // bit u: unit u was loaded
#pragma unroll
      for (int u = 0; u < kInFlight; ++u) {
        const int slot = first + u * role.edge_lanes + role.edge_lane;
        const int32_t column = __shfl_sync(kFullMask, my_column, slot & 31);
        const bool take = slot < count && column >= 0 && role.has_unit;
        raw[u] = take ? Unit::load(a.x, static_cast<int64_t>(column) * shape.row_units + role.unit) : Raw{};
        taken |= take ? 1u << u : 0u;
      }
#pragma unroll
      for (int u = 0; u < kInFlight; ++u) {
        const int slot = first + u * role.edge_lanes + role.edge_lane;
        const float weight = __shfl_sync(kFullMask, my_weight, slot & 31);
        if (taken & (1u << u)) Unit::accumulate(sum, weight, raw[u]);
      }
    }
  }
}

// Adds the edge lanes' sums (a fixed butterfly: deterministic); every lane ends with the total.
template <int V>
__device__ inline void sum_over_edge_lanes(float (&sum)[V], const WarpShape& shape) {
  for (int offset = shape.feature_lanes; offset < 32; offset <<= 1) {
#pragma unroll
    for (int i = 0; i < V; ++i) sum[i] = __fadd_rn(sum[i], __shfl_xor_sync(kFullMask, sum[i], offset));
  }
}

// act(row_scale[row] * sum + bias[f]) (or sum / row_scale[row]) for the unit's features, in the CPU's operations. A row
// without entries keeps its sum of 0 unscaled (an inf scale would make it NaN): act(bias).
template <int V>
__device__ inline void finish_row(float (&values)[V], const SpmmArgs& a, int64_t row, int64_t unit,
                                  bool has_entries) {
  const float scale = a.row_scale && has_entries ? __ldg(a.row_scale + row) : 1.0f;
#pragma unroll
  for (int i = 0; i < V; ++i) {
    const float total = __fmul_rn(values[i], a.x_scale);  // exact for float X (scale 1), as the CPU
    const float scaled = a.divide_rows ? __fdiv_rn(total, scale) : __fmul_rn(scale, total);
    float v = __fadd_rn(scaled, a.bias ? __ldg(a.bias + unit * V + i) : 0.0f);
    if (a.relu && v < 0.0f) v = 0.0f;  // std::max(v, 0.0f): NaN stays NaN
    values[i] = v;
  }
}

// ---------------------------------------------------------------- SpMM: WarpPerRow

// Gathering kernels are latency-bound: at most 64 registers a thread, so that 4 blocks (32 warps)
// fit on an SM. Without the bound the 16-bit kernels take 78-80 registers and 3 blocks; with it
// they spill 76 bytes and still win: arxiv-size's 256-wide fp16 SpMM took 0.772 ms against
// 0.857 ms, fp32 unchanged (H100, 2026-12-05, A/B of two builds in one run).
#ifndef GNNRT_GATHER_BLOCKS_PER_SM
#define GNNRT_GATHER_BLOCKS_PER_SM 4  // overridable, for such A/B builds
#endif
constexpr int kGatherBlocksPerSm = GNNRT_GATHER_BLOCKS_PER_SM;

template <Feature K, int V>
__global__ void __launch_bounds__(kThreads, kGatherBlocksPerSm) spmm_warp_per_row_kernel(SpmmArgs a, WarpShape shape) {
  const int64_t row = warp_index();
  if (row >= a.num_rows) return;  // whole warps
  const LaneRole role = lane_role(shape, blockIdx.y);
  int64_t begin, end;
  row_edges(a, row, role.lane == 0 && blockIdx.y == 0, begin, end);
  float sum[V] = {};
  accumulate_edges<K, V>(sum, a, role, shape, begin, end);
  sum_over_edge_lanes(sum, shape);
  if (role.edge_lane == 0 && role.has_unit) {
    finish_row(sum, a, row, role.unit, end > begin);
    store_output<K, V>(a.y, row * shape.row_units + role.unit, sum);
  }
}

// ---------------------------------------------------------------- SpMM: RowsPerWarp

// 32 / feature_lanes rows per warp: lane group g takes row warp * groups + g and sums its edges
// one after another (the CPU's order), a few gathers in flight. Lanes never wait on each other.
template <Feature K, int V>
__global__ void __launch_bounds__(kThreads, kGatherBlocksPerSm) spmm_rows_per_warp_kernel(SpmmArgs a, WarpShape shape) {
  using Unit = FeatureUnit<K, V>;
  using Raw = typename Unit::Raw;
  constexpr int kInFlight = kUnitsInFlight<K>;
  const int lane = static_cast<int>(threadIdx.x & 31);
  const int lane_in_group = lane & (shape.feature_lanes - 1);
  const int64_t row = warp_index() * (32 >> shape.feature_lane_bits) + (lane >> shape.feature_lane_bits);
  if (row >= a.num_rows) return;
  const int64_t unit = static_cast<int64_t>(blockIdx.y) * shape.feature_lanes + lane_in_group;
  int64_t begin, end;
  row_edges(a, row, lane_in_group == 0 && blockIdx.y == 0, begin, end);
  if (unit >= shape.row_units) return;  // past the row's last unit (the group's first lane never is)
  float sum[V] = {};
  for (int64_t first = begin; first < end; first += kInFlight) {
    Raw raw[kInFlight];
    int32_t column[kInFlight];
    float weight[kInFlight];
#pragma unroll
    for (int u = 0; u < kInFlight; ++u) {
      int32_t raw_column = 0;
      float value = 0.0f;
      prefetch_edge(a, first + u, end, raw_column, value);
      resolve_edge(a, first + u, end, raw_column, value, column[u], weight[u]);
      raw[u] = column[u] >= 0 ? Unit::load(a.x, static_cast<int64_t>(column[u]) * shape.row_units + unit) : Raw{};
    }
#pragma unroll
    for (int u = 0; u < kInFlight; ++u)
      if (column[u] >= 0) Unit::accumulate(sum, weight[u], raw[u]);
  }
  finish_row(sum, a, row, unit, end > begin);
  store_output<K, V>(a.y, row * shape.row_units + unit, sum);
}

// ---------------------------------------------------------------- SpMM: RowBalanced

// Chunk c holds edges [c * chunk_edges, (c + 1) * chunk_edges). Each chunk's warp sums the rows
// its edges belong to: a row wholly inside the chunk is finished at once; the part of a row that
// began in an earlier chunk goes to the chunk's partial slot 0, the part of a row that goes on
// past the chunk to slot 1. The fix-up pass finishes each cut row in the chunk that holds its last
// edge: slot 1 of its first chunk plus slot 0 of every later one, in chunk order.
template <typename Pointer>  // float* or const float*
__device__ inline Pointer partial_slot(Pointer partials, int64_t chunk, int slot, int64_t width) {
  return partials + (chunk * 2 + slot) * width;
}

// A warp per 32 rows: records, for every chunk, the row that holds its first edge, and writes the
// rows without edges (act(row_scale * 0 + bias)), which no chunk visits.
template <Feature K, int V>
__global__ void __launch_bounds__(kThreads)
    row_balanced_prepare_kernel(SpmmArgs a, WarpShape shape, int64_t chunk_edges, int32_t* __restrict__ chunk_row) {
  const int64_t first_row = warp_index() * 32;
  if (first_row >= a.num_rows) return;  // whole warps
  const int lane = static_cast<int>(threadIdx.x & 31);
  const int64_t row = first_row + lane;
  bool empty = false;
  if (row < a.num_rows) {
    int64_t begin, end;
    row_edges(a, row, true, begin, end);
    empty = begin == end;
    for (int64_t chunk = (begin + chunk_edges - 1) / chunk_edges; chunk * chunk_edges < end; ++chunk)
      chunk_row[chunk] = static_cast<int32_t>(row);
  }
  for (unsigned empties = __ballot_sync(kFullMask, empty); empties != 0; empties &= empties - 1) {
    const int64_t empty_row = first_row + __ffs(empties) - 1;
    for (int64_t unit = lane; unit < shape.row_units; unit += 32) {
      float zero[V] = {};
      finish_row(zero, a, empty_row, unit, false);
      store_output<K, V>(a.y, empty_row * shape.row_units + unit, zero);
    }
  }
}

template <Feature K, int V>
__global__ void __launch_bounds__(kThreads, kGatherBlocksPerSm)
    spmm_row_balanced_kernel(SpmmArgs a, WarpShape shape, int64_t chunk_edges, int64_t num_chunks,
                             const int32_t* __restrict__ chunk_row, float* __restrict__ partials) {
  const int64_t chunk = warp_index();
  if (chunk >= num_chunks) return;  // whole warps
  const LaneRole role = lane_role(shape, blockIdx.y);
  const bool writer = role.edge_lane == 0 && role.has_unit;
  const int64_t chunk_begin = chunk * chunk_edges;
  const int64_t chunk_end = min(a.num_edges, chunk_begin + chunk_edges);
  int64_t row = min(max(static_cast<int64_t>(chunk_row[chunk]), int64_t{0}), a.num_rows - 1);
  int64_t row_begin = a.row_ptr[row], row_end = a.row_ptr[row + 1];
  int64_t edge = chunk_begin;
  // Every step takes at least one edge; a malformed row_ptr (recorded by the prepare kernel) ends
  // the walk instead of reading outside the chunk.
  while (edge < chunk_end && row_begin <= edge && edge < row_end) {
    const int64_t segment_end = min(row_end, chunk_end);
    float sum[V] = {};
    accumulate_edges<K, V>(sum, a, role, shape, edge, segment_end);
    sum_over_edge_lanes(sum, shape);
    if (writer) {
      if (row_begin >= chunk_begin && row_end <= chunk_end) {
        finish_row(sum, a, row, role.unit, true);
        store_output<K, V>(a.y, row * shape.row_units + role.unit, sum);
      } else {
        const int slot = row_begin < chunk_begin ? 0 : 1;
        store_floats(partial_slot(partials, chunk, slot, a.width) + role.unit * V, sum);
      }
    }
    edge = segment_end;
    if (edge >= chunk_end) break;
    // The next row that holds an edge (rows between hold none): 32 candidates per step.
    int64_t next = -1, next_end = 0;
    for (int64_t base = row + 1; base < a.num_rows && next < 0; base += 32) {
      const int64_t candidate = base + role.lane;
      const int64_t candidate_end = candidate < a.num_rows ? static_cast<int64_t>(a.row_ptr[candidate + 1]) : 0;
      const unsigned holds = __ballot_sync(kFullMask, candidate < a.num_rows && candidate_end > edge);
      if (holds != 0) {
        const int first = __ffs(holds) - 1;
        next = base + first;
        next_end = __shfl_sync(kFullMask, candidate_end, first);
      }
    }
    if (next < 0) break;
    row = next;
    row_begin = a.row_ptr[row];
    row_end = next_end;
  }
}

template <Feature K, int V>
__global__ void __launch_bounds__(kThreads)
    row_balanced_fixup_kernel(SpmmArgs a, WarpShape shape, int64_t chunk_edges, int64_t num_chunks,
                              const int32_t* __restrict__ chunk_row, const float* __restrict__ partials) {
  const int64_t chunk = warp_index();
  if (chunk == 0 || chunk >= num_chunks) return;
  const LaneRole role = lane_role(shape, blockIdx.y);
  if (role.edge_lane != 0 || !role.has_unit) return;  // no shuffles below: lanes may leave
  const int64_t chunk_begin = chunk * chunk_edges;
  const int64_t chunk_end = min(a.num_edges, chunk_begin + chunk_edges);
  const int64_t row = min(max(static_cast<int64_t>(chunk_row[chunk]), int64_t{0}), a.num_rows - 1);
  const int64_t row_begin = a.row_ptr[row], row_end = a.row_ptr[row + 1];
  // Only a row that began in an earlier chunk and ends in this one is finished here.
  if (!(row_begin >= 0 && row_begin < chunk_begin && chunk_begin < row_end && row_end <= chunk_end)) return;
  const int64_t first_chunk = row_begin / chunk_edges;
  float sum[V];
  add_floats(sum, partial_slot(partials, first_chunk, 1, a.width) + role.unit * V, true);
  for (int64_t c = first_chunk + 1; c <= chunk; ++c)
    add_floats(sum, partial_slot(partials, c, 0, a.width) + role.unit * V, false);
  finish_row(sum, a, row, role.unit, true);
  store_output<K, V>(a.y, row * shape.row_units + role.unit, sum);
}

// ---------------------------------------------------------------- SpMM: cuSPARSE

// The CSR matrix as cuSPARSE takes it: columns wrapped, values[e] * col_scale[c] materialised. An
// out-of-range column is recorded and becomes a zero term on column 0.
__global__ void cusparse_columns_kernel(SpmmArgs a, int32_t* __restrict__ columns, float* __restrict__ weights) {
  GNNRT_GRID_STRIDE_LOOP(e, a.num_edges) {
    int64_t c = a.col[e];
    if (c < -a.num_cols || c >= a.num_cols) {
      report_device_error(a.errors.record, kIndexOutOfRange, a.errors.site, c, a.num_cols);
      columns[e] = 0;
      weights[e] = 0.0f;
      continue;
    }
    if (c < 0) c += a.num_cols;
    float w = a.values ? a.values[e] : 1.0f;
    if (a.col_scale) w = __fmul_rn(w, a.col_scale[c]);
    columns[e] = static_cast<int32_t>(c);
    weights[e] = w;
  }
}

// row_ptr clamped into [0, E] with ends 0 and E (a max-scan then makes it non-decreasing), so that
// cuSPARSE never reads outside the matrix even when row_ptr is malformed (which is recorded).
__global__ void cusparse_row_offsets_kernel(SpmmArgs a, int32_t* __restrict__ offsets) {
  GNNRT_GRID_STRIDE_LOOP(r, a.num_rows + 1) {
    const int64_t v = a.row_ptr[r];
    const bool bad = v < 0 || v > a.num_edges || (r == 0 && v != 0) || (r == a.num_rows && v != a.num_edges) ||
                     (r < a.num_rows && a.row_ptr[r + 1] < v);
    if (bad) report_device_error(a.errors.record, kIndexOutOfRange, a.errors.site, v, a.num_edges + 1);
    offsets[r] = static_cast<int32_t>(r == 0 ? 0 : r == a.num_rows ? a.num_edges : min(max(v, int64_t{0}), a.num_edges));
  }
}

// Y = act(row_scale * Y + bias), in place (float32); rows without entries unscaled.
__global__ void spmm_epilogue_kernel(SpmmArgs a) {
  float* y = static_cast<float*>(a.y);
  GNNRT_GRID_STRIDE_LOOP(i, a.num_rows * a.width) {
    const int64_t row = i / a.width;
    float v[1] = {y[i]};
    finish_row<1>(v, a, row, i - row * a.width, a.row_ptr[row] != a.row_ptr[row + 1]);
    y[i] = v[0];
  }
}

// Column ids of SpMM's degenerate shapes (no rows or no features): still checked, as the CPU does.
__global__ void spmm_check_columns_kernel(const int32_t* __restrict__ col, int64_t num_edges, int64_t num_cols,
                                          DeviceErrorSink errors) {
  GNNRT_GRID_STRIDE_LOOP(e, num_edges) {
    const int64_t c = col[e];
    if (c < -num_cols || c >= num_cols) report_device_error(errors.record, kIndexOutOfRange, errors.site, c, num_cols);
  }
}

// One cuSPARSE handle per host thread and device (a handle is not to be shared between threads
// that set different streams on it); made on first use, destroyed when the thread ends.
class CusparseHandles {
 public:
  ~CusparseHandles() {
    for (auto& entry : handles_) cusparseDestroy(entry.second);
  }
  cusparseHandle_t get() {
    int device = 0;
    GNNRT_CUDA_CHECK(cudaGetDevice(&device));
    auto it = handles_.find(device);
    if (it != handles_.end()) return it->second;
    cusparseHandle_t handle = nullptr;
    GNNRT_CUSPARSE_CHECK(cusparseCreate(&handle));
    handles_.emplace(device, handle);
    return handle;
  }

 private:
  std::map<int, cusparseHandle_t> handles_;
};

cusparseHandle_t cusparse_handle(cudaStream_t stream) {
  thread_local CusparseHandles handles;
  cusparseHandle_t handle = handles.get();
  GNNRT_CUSPARSE_CHECK(cusparseSetStream(handle, stream));
  return handle;
}

// The three descriptors of one cusparseSpMM call, destroyed with this object.
class CusparseMatrices {
 public:
  CusparseMatrices() = default;
  CusparseMatrices(const CusparseMatrices&) = delete;
  CusparseMatrices& operator=(const CusparseMatrices&) = delete;
  ~CusparseMatrices() {
    if (a_) cusparseDestroySpMat(a_);
    if (b_) cusparseDestroyDnMat(b_);
    if (c_) cusparseDestroyDnMat(c_);
  }

  // A (N x M CSR, int32 indices), B = X (M x F row-major), C = Y (N x F row-major).
  void describe(const SpmmProblem& p, const int32_t* offsets, const int32_t* columns, const float* weights) {
    GNNRT_CUSPARSE_CHECK(cusparseCreateCsr(&a_, p.num_rows, p.num_cols, p.num_edges, const_cast<int32_t*>(offsets),
                                           const_cast<int32_t*>(columns), const_cast<float*>(weights),
                                           CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO,
                                           CUDA_R_32F));
    GNNRT_CUSPARSE_CHECK(cusparseCreateDnMat(&b_, p.num_cols, p.width, p.width, const_cast<void*>(p.x), CUDA_R_32F,
                                             CUSPARSE_ORDER_ROW));
    GNNRT_CUSPARSE_CHECK(cusparseCreateDnMat(&c_, p.num_rows, p.width, p.width, p.y, CUDA_R_32F, CUSPARSE_ORDER_ROW));
  }

  // CSR_ALG2 (meant for row-major dense matrices, deterministic), or the default algorithm for
  // shapes where this cuSPARSE declines it; `bytes` gets the workspace size.
  cusparseSpMMAlg_t algorithm(cusparseHandle_t handle, size_t& bytes) const {
    const float alpha = 1.0f, beta = 0.0f;
    if (cusparseSpMM_bufferSize(handle, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE, &alpha, a_,
                                b_, &beta, c_, CUDA_R_32F, CUSPARSE_SPMM_CSR_ALG2, &bytes) == CUSPARSE_STATUS_SUCCESS)
      return CUSPARSE_SPMM_CSR_ALG2;
    GNNRT_CUSPARSE_CHECK(cusparseSpMM_bufferSize(handle, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                                 CUSPARSE_OPERATION_NON_TRANSPOSE, &alpha, a_, b_, &beta, c_,
                                                 CUDA_R_32F, CUSPARSE_SPMM_ALG_DEFAULT, &bytes));
    return CUSPARSE_SPMM_ALG_DEFAULT;
  }

  void multiply(cusparseHandle_t handle, cusparseSpMMAlg_t algorithm, void* workspace) const {
    const float alpha = 1.0f, beta = 0.0f;
    GNNRT_CUSPARSE_CHECK(cusparseSpMM(handle, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                      &alpha, a_, b_, &beta, c_, CUDA_R_32F, algorithm, workspace));
  }

 private:
  cusparseSpMatDescr_t a_ = nullptr;
  cusparseDnMatDescr_t b_ = nullptr, c_ = nullptr;
};

struct CusparseScratch {
  int32_t* raw_offsets = nullptr;
  int32_t* offsets = nullptr;
  int32_t* columns = nullptr;
  float* weights = nullptr;
  void* scan_storage = nullptr;
  size_t scan_bytes = 0;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
  size_t total = 0;
};

// Whether cuSPARSE runs at all: with no edges or no rows of X there is nothing to multiply (and
// cuSPARSE is not asked about empty matrices); the epilogue alone gives the rows.
bool cusparse_multiplies(const SpmmProblem& p) { return p.num_edges > 0 && p.num_cols > 0; }

// Sizing (no base) asks cuSPARSE for the workspace of a matrix described with the caller's own
// row_ptr and col (arrays of the same types and lengths; only the dimensions matter for the size).
// Carving (a base of `base_bytes`) leaves the rest of the buffer to the workspace; the launch then
// asks again with the real arrays and checks that it fits.
CusparseScratch cusparse_scratch(const SpmmProblem& p, void* base, size_t base_bytes, cudaStream_t stream) {
  CusparseScratch layout;
  if (!cusparse_multiplies(p)) return layout;
  ScratchCarver carver(base);
  layout.raw_offsets = carver.take<int32_t>(p.num_rows + 1);
  layout.offsets = carver.take<int32_t>(p.num_rows + 1);
  layout.columns = carver.take<int32_t>(p.num_edges);
  layout.weights = carver.take<float>(p.num_edges);
  GNNRT_CUDA_CHECK(cub::DeviceScan::InclusiveScan(nullptr, layout.scan_bytes, static_cast<const int32_t*>(nullptr),
                                                  static_cast<int32_t*>(nullptr), ::cuda::maximum<>{},
                                                  static_cast<int>(p.num_rows + 1)));
  layout.scan_storage = carver.take_bytes(layout.scan_bytes);
  if (base) {
    layout.workspace = static_cast<char*>(base) + carver.used();
    layout.workspace_bytes = base_bytes > carver.used() ? base_bytes - carver.used() : 0;
    layout.total = carver.used();
    return layout;
  }
  CusparseMatrices matrices;
  matrices.describe(p, p.row_ptr, p.col, reinterpret_cast<const float*>(p.col));
  matrices.algorithm(cusparse_handle(stream), layout.workspace_bytes);
  carver.take_bytes(layout.workspace_bytes);
  layout.total = carver.used();
  return layout;
}

// ---------------------------------------------------------------- SpMM: host planning

struct DeviceLimits {
  int sm_count = 0;
  int64_t l2_bytes = 0;
};

DeviceLimits current_device_limits() {
  int device = 0, sm_count = 0, l2_bytes = 0;
  GNNRT_CUDA_CHECK(cudaGetDevice(&device));
  GNNRT_CUDA_CHECK(cudaDeviceGetAttribute(&sm_count, cudaDevAttrMultiProcessorCount, device));
  GNNRT_CUDA_CHECK(cudaDeviceGetAttribute(&l2_bytes, cudaDevAttrL2CacheSize, device));
  return {std::max(sm_count, 1), l2_bytes};
}

// Features per unit: the widest access (16, 8, 4 bytes or one element) that F and the
// alignment of X and Y allow.
int unit_elements(const SpmmProblem& p) {
  const int64_t element = static_cast<int64_t>(dtype_size(p.dtype));
  // Y is float32 for an int8 X: a unit of V floats is stored in accesses of up to 16 bytes.
  const int64_t output_element = p.dtype == DType::Int8 ? 4 : element;
  const auto x = reinterpret_cast<uintptr_t>(p.x), y = reinterpret_cast<uintptr_t>(p.y);
  for (int64_t v = 16 / element; v > 1; v /= 2)
    if (p.width % v == 0 && x % static_cast<uint64_t>(v * element) == 0 &&
        y % static_cast<uint64_t>(std::min<int64_t>(v * output_element, 16)) == 0)
      return static_cast<int>(v);
  return 1;
}

// The heuristic's narrowest slab. Each slab is one more pass over the edge list; 128-byte slabs
// lost to unsliced rows on arxiv-size (256-wide fp16 SpMM 0.83 vs 0.44 ms, fp32 0.99 vs 0.78 ms,
// H100, 2026-12-05, A/B builds in one run), where power-law reuse already keeps hot rows in L2.
#ifndef GNNRT_SPMM_MIN_SLAB_BYTES
#define GNNRT_SPMM_MIN_SLAB_BYTES 256  // overridable, for A/B builds
#endif
constexpr int64_t kMinSlabBytes = GNNRT_SPMM_MIN_SLAB_BYTES;
#ifndef GNNRT_SPMM_L2_SHARE
#define GNNRT_SPMM_L2_SHARE 2  // the slab may take 1/N of L2; overridable, for A/B builds
#endif

WarpShape warp_shape(const SpmmProblem& p, int vector, const DeviceLimits& limits) {
  WarpShape shape;
  shape.row_units = p.width / vector;
  int64_t lanes = 1;
  while (lanes < 32 && lanes < shape.row_units) lanes *= 2;
  const int64_t unit_bytes = vector * static_cast<int64_t>(dtype_size(p.dtype));
  if (p.slab_bytes > 0) {
    // A measured choice (the builder's tactic timing): the widest power of two of units that fits.
    while (lanes > 1 && lanes * unit_bytes > p.slab_bytes) lanes /= 2;
  } else {
    // L2 tiling: when the slab of X being gathered is larger than half of L2 (the other half for
    // the edge list and the output) but a narrower slab of at least kMinSlabBytes fits, use that.
    const int64_t budget = limits.l2_bytes / GNNRT_SPMM_L2_SHARE;
    if (budget > 0 && p.num_cols * lanes * unit_bytes > budget) {
      for (int64_t narrower = lanes / 2; narrower * unit_bytes >= kMinSlabBytes; narrower /= 2) {
        if (p.num_cols * narrower * unit_bytes <= budget) {
          lanes = narrower;
          break;
        }
      }
    }
  }
  shape.feature_lanes = static_cast<int32_t>(lanes);
  while ((1 << shape.feature_lane_bits) < lanes) ++shape.feature_lane_bits;
  return shape;
}

// Most slabs a launch can have (grid.y).
constexpr int64_t kMaxSlabs = 65535;

SpmmArgs device_args(const SpmmProblem& p, DeviceErrorSink errors) {
  SpmmArgs a;
  a.x = p.x;
  a.row_ptr = p.row_ptr;
  a.col = p.col;
  a.values = p.values;
  a.row_scale = p.row_scale;
  a.col_scale = p.col_scale;
  a.bias = p.bias;
  a.x_row_scale = p.x_row_scale;
  a.y = p.y;
  a.num_rows = p.num_rows;
  a.num_cols = p.num_cols;
  a.num_edges = p.num_edges;
  a.width = p.width;
  a.x_scale = p.x_scale;
  a.relu = p.relu;
  a.divide_rows = p.divide_rows;
  a.errors = errors;
  return a;
}

template <Feature K, int V>
struct UnitTag {
  static constexpr Feature kind = K;
  static constexpr int vector = V;
};

// Calls fn(UnitTag<K, V>{}) for X's dtype and `vector` features per unit.
template <typename Fn>
void with_feature_unit(DType dtype, int vector, Fn&& fn) {
  auto by_width = [&](auto kind_tag) {
    constexpr Feature K = decltype(kind_tag)::value;
    switch (vector) {
      case 1: fn(UnitTag<K, 1>{}); return;
      case 2: fn(UnitTag<K, 2>{}); return;
      case 4: fn(UnitTag<K, 4>{}); return;
      case 8:
        if constexpr (K != Feature::F32) {
          fn(UnitTag<K, 8>{});
          return;
        }
        break;
      case 16:
        if constexpr (K == Feature::I8) {
          fn(UnitTag<K, 16>{});
          return;
        }
        break;
      default: break;
    }
    fail_internal("CUDA SpMM with ", vector, " features of ", dtype_name(dtype), " per access");
  };
  switch (dtype) {
    case DType::Float32: by_width(std::integral_constant<Feature, Feature::F32>{}); return;
    case DType::Float16: by_width(std::integral_constant<Feature, Feature::F16>{}); return;
    case DType::BFloat16: by_width(std::integral_constant<Feature, Feature::BF16>{}); return;
    case DType::Int8: by_width(std::integral_constant<Feature, Feature::I8>{}); return;
    default: fail_internal("CUDA SpMM of X of dtype ", dtype_name(dtype));
  }
}

// What every tactic checks first; false when the shapes leave nothing to compute (no rows or no
// features), after the column ids were still checked.
bool start_spmm(SpmmTactic tactic, const SpmmProblem& p, DeviceErrorSink errors, cudaStream_t stream) {
  GNNRT_CHECK(p.num_rows >= 0 && p.num_cols >= 0 && p.width >= 0 && p.num_edges >= 0, "CUDA SpMM with sizes N=",
              p.num_rows, " M=", p.num_cols, " F=", p.width, " E=", p.num_edges);
  GNNRT_CHECK(spmm_tactic_supports(tactic, p.dtype), "CUDA SpMM tactic ", static_cast<int>(tactic), " with X of dtype ",
              dtype_name(p.dtype));
  GNNRT_CHECK(p.num_cols <= INT32_MAX && p.num_edges <= INT32_MAX && p.num_rows < INT32_MAX,
              "CUDA SpMM beyond int32 CSR indices: N=", p.num_rows, " M=", p.num_cols, " E=", p.num_edges);
  if (p.num_rows > 0 && p.width > 0) return true;
  if (p.num_edges > 0) {
    spmm_check_columns_kernel<<<blocks_for(p.num_edges), kThreads, 0, stream>>>(p.col, p.num_edges, p.num_cols, errors);
    GNNRT_CUDA_CHECK_LAUNCH();
  }
  return false;
}

struct RowBalancedPlan {
  int vector = 1;
  WarpShape shape;
  int64_t chunk_edges = 0;
  int64_t num_chunks = 0;
  int32_t* chunk_row = nullptr;
  float* partials = nullptr;
  size_t total = 0;
};

// Chunks of at least this many edges (a partial slot per cut row costs 2 * F floats per chunk).
constexpr int64_t kMinChunkEdges = 128;
// Enough warps to fill every SM about twice at the occupancy these kernels reach.
constexpr int64_t kChunkWarpsPerSm = 96;

RowBalancedPlan row_balanced_plan(const SpmmProblem& p, void* base) {
  RowBalancedPlan plan;
  const DeviceLimits limits = current_device_limits();
  plan.vector = unit_elements(p);
  plan.shape = warp_shape(p, plan.vector, limits);
  const int64_t target_warps = limits.sm_count * kChunkWarpsPerSm;
  const int64_t per_warp = ceil_div(std::max<int64_t>(p.num_edges, 1) * plan.shape.slabs(), target_warps);
  plan.chunk_edges = std::max(kMinChunkEdges, ceil_div(per_warp, 32) * 32);
  plan.num_chunks = ceil_div(p.num_edges, plan.chunk_edges);
  ScratchCarver carver(base);
  plan.chunk_row = carver.take<int32_t>(plan.num_chunks);
  plan.partials = carver.take<float>(plan.num_chunks * 2 * p.width);
  plan.total = carver.used();
  return plan;
}

}  // namespace

// ---------------------------------------------------------------- CsrFromCoo (host)

size_t csr_from_coo_scratch_bytes(int64_t num_edges, int64_t num_rows, bool has_values) {
  if (num_edges <= 0) return 0;
  return csr_scratch(num_edges, num_rows, has_values, nullptr).total;
}

void launch_csr_from_coo(const int64_t* src, const int64_t* dst, const float* values, int64_t num_edges,
                         int64_t num_rows, int32_t* row_ptr, int32_t* col, float* sorted_values, void* scratch,
                         size_t scratch_bytes, DeviceErrorSink errors, cudaStream_t stream) {
  GNNRT_CHECK(num_edges >= 0 && num_edges <= INT32_MAX && num_rows >= 0 && num_rows < INT32_MAX,
              "CsrFromCoo with ", num_edges, " edges and ", num_rows, " rows");
  if (num_edges == 0) {
    GNNRT_CUDA_CHECK(cudaMemsetAsync(row_ptr, 0, static_cast<size_t>(num_rows + 1) * sizeof(int32_t), stream));
    return;
  }
  GNNRT_CHECK((values == nullptr) == (sorted_values == nullptr), "CsrFromCoo values without their output");
  const bool has_values = values != nullptr;
  CsrScratch layout = csr_scratch(num_edges, num_rows, has_values, scratch);
  GNNRT_CHECK(layout.total <= scratch_bytes, "CsrFromCoo scratch of ", scratch_bytes, " bytes, needs ", layout.total);
  csr_keys_kernel<<<blocks_for(num_edges), kThreads, 0, stream>>>(src, dst, num_edges, num_rows, has_values,
                                                                  layout.keys, layout.payload, errors);
  GNNRT_CUDA_CHECK_LAUNCH();
  // Stable: edges of one row keep their order in the list, as the CPU's counting sort.
  size_t cub_bytes = layout.cub_bytes;
  GNNRT_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(layout.cub_storage, cub_bytes, layout.keys, layout.sorted_keys,
                                                   layout.payload, has_values ? layout.order : col,
                                                   static_cast<int>(num_edges), 0, bits_for(num_rows), stream));
  csr_row_offsets_kernel<<<blocks_for(num_rows + 1), kThreads, 0, stream>>>(layout.sorted_keys, num_edges, num_rows,
                                                                            row_ptr);
  GNNRT_CUDA_CHECK_LAUNCH();
  if (has_values) {
    csr_permute_kernel<<<blocks_for(num_edges), kThreads, 0, stream>>>(layout.order, src, values, num_edges, col,
                                                                       sorted_values);
    GNNRT_CUDA_CHECK_LAUNCH();
  }
}

// ---------------------------------------------------------------- SpMM (host)

bool spmm_dtype_supported(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float16 || dtype == DType::BFloat16 || dtype == DType::Int8;
}

bool spmm_tactic_supports(SpmmTactic tactic, DType dtype) {
  switch (tactic) {
    case SpmmTactic::WarpPerRow:
    case SpmmTactic::RowBalanced:
    case SpmmTactic::RowsPerWarp: return spmm_dtype_supported(dtype);
    case SpmmTactic::CuSparse: return dtype == DType::Float32;
  }
  return false;
}

bool spmm_tactic_applies(SpmmTactic tactic, const SpmmProblem& problem) {
  if (!spmm_tactic_supports(tactic, problem.dtype)) return false;
  if (tactic != SpmmTactic::CuSparse) return true;
  const double dense_entries = static_cast<double>(problem.num_rows) * static_cast<double>(problem.num_cols);
  return static_cast<double>(problem.num_edges) <= dense_entries;
}

int64_t spmm_slab_bytes_used(const SpmmProblem& problem) {
  const int vector = unit_elements(problem);
  const WarpShape shape = warp_shape(problem, vector, current_device_limits());
  return std::min<int64_t>(shape.feature_lanes, shape.row_units) * vector * static_cast<int64_t>(dtype_size(problem.dtype));
}

size_t spmm_scratch_bytes(SpmmTactic tactic, const SpmmProblem& problem) {
  if (problem.num_rows <= 0 || problem.width <= 0) return 0;
  if (!spmm_tactic_applies(tactic, problem)) return 0;  // launch_spmm runs WarpPerRow, which needs none
  switch (tactic) {
    case SpmmTactic::WarpPerRow:
    case SpmmTactic::RowsPerWarp: return 0;
    case SpmmTactic::RowBalanced: return row_balanced_plan(problem, nullptr).total;
    case SpmmTactic::CuSparse: return cusparse_scratch(problem, nullptr, 0, nullptr).total;
  }
  return 0;
}


void launch_spmm(SpmmTactic tactic, const SpmmProblem& problem, void* scratch, size_t scratch_bytes,
                 DeviceErrorSink errors, cudaStream_t stream) {
  if (!spmm_tactic_applies(tactic, problem)) tactic = SpmmTactic::WarpPerRow;
  switch (tactic) {
    case SpmmTactic::WarpPerRow: launch_spmm_warp_per_row(problem, errors, stream); return;
    case SpmmTactic::RowsPerWarp: launch_spmm_rows_per_warp(problem, errors, stream); return;
    case SpmmTactic::RowBalanced: launch_spmm_row_balanced(problem, scratch, scratch_bytes, errors, stream); return;
    case SpmmTactic::CuSparse: launch_spmm_cusparse(problem, scratch, scratch_bytes, errors, stream); return;
  }
  fail_internal("CUDA SpMM tactic ", static_cast<int>(tactic));
}

// WarpPerRow and RowsPerWarp: one launch over the rows, `rows_per_warp(shape)` rows a warp.
template <typename Launch>
void launch_gathering_rows(SpmmTactic tactic, const SpmmProblem& problem, DeviceErrorSink errors, cudaStream_t stream,
                           int64_t (*rows_per_warp)(const WarpShape&), Launch&& launch) {
  if (!start_spmm(tactic, problem, errors, stream)) return;
  const int vector = unit_elements(problem);
  const WarpShape shape = warp_shape(problem, vector, current_device_limits());
  GNNRT_CHECK(shape.slabs() <= kMaxSlabs, "CUDA SpMM of width ", problem.width);
  const SpmmArgs args = device_args(problem, errors);
  const dim3 grid(static_cast<unsigned>(ceil_div(problem.num_rows, kWarpsPerBlock * rows_per_warp(shape))),
                  static_cast<unsigned>(shape.slabs()));
  with_feature_unit(problem.dtype, vector, [&](auto tag) {
    launch(tag, grid, args, shape);
    GNNRT_CUDA_CHECK_LAUNCH();
  });
}

void launch_spmm_warp_per_row(const SpmmProblem& problem, DeviceErrorSink errors, cudaStream_t stream) {
  launch_gathering_rows(
      SpmmTactic::WarpPerRow, problem, errors, stream, [](const WarpShape&) { return int64_t{1}; },
      [&](auto tag, dim3 grid, const SpmmArgs& args, const WarpShape& shape) {
        using Tag = decltype(tag);
        spmm_warp_per_row_kernel<Tag::kind, Tag::vector><<<grid, kThreads, 0, stream>>>(args, shape);
      });
}

void launch_spmm_rows_per_warp(const SpmmProblem& problem, DeviceErrorSink errors, cudaStream_t stream) {
  launch_gathering_rows(
      SpmmTactic::RowsPerWarp, problem, errors, stream,
      [](const WarpShape& shape) { return int64_t{32} >> shape.feature_lane_bits; },
      [&](auto tag, dim3 grid, const SpmmArgs& args, const WarpShape& shape) {
        using Tag = decltype(tag);
        spmm_rows_per_warp_kernel<Tag::kind, Tag::vector><<<grid, kThreads, 0, stream>>>(args, shape);
      });
}

void launch_spmm_row_balanced(const SpmmProblem& problem, void* scratch, size_t scratch_bytes, DeviceErrorSink errors,
                              cudaStream_t stream) {
  if (!start_spmm(SpmmTactic::RowBalanced, problem, errors, stream)) return;
  const RowBalancedPlan plan = row_balanced_plan(problem, scratch);
  GNNRT_CHECK(plan.total <= scratch_bytes, "SpMM scratch of ", scratch_bytes, " bytes, needs ", plan.total);
  GNNRT_CHECK(plan.shape.slabs() <= kMaxSlabs, "CUDA SpMM of width ", problem.width);
  const SpmmArgs args = device_args(problem, errors);
  const unsigned slabs = static_cast<unsigned>(plan.shape.slabs());
  if (plan.num_chunks > 0)  // a chunk that no row claims (malformed row_ptr) starts at row 0
    GNNRT_CUDA_CHECK(cudaMemsetAsync(plan.chunk_row, 0, static_cast<size_t>(plan.num_chunks) * sizeof(int32_t), stream));
  with_feature_unit(problem.dtype, plan.vector, [&](auto tag) {
    using Tag = decltype(tag);
    constexpr Feature K = Tag::kind;
    constexpr int V = Tag::vector;
    const unsigned prepare_blocks = static_cast<unsigned>(ceil_div(problem.num_rows, int64_t{32} * kWarpsPerBlock));
    row_balanced_prepare_kernel<K, V><<<prepare_blocks, kThreads, 0, stream>>>(args, plan.shape, plan.chunk_edges,
                                                                              plan.chunk_row);
    GNNRT_CUDA_CHECK_LAUNCH();
    if (plan.num_chunks == 0) return;
    const dim3 grid(static_cast<unsigned>(ceil_div(plan.num_chunks, kWarpsPerBlock)), slabs);
    spmm_row_balanced_kernel<K, V><<<grid, kThreads, 0, stream>>>(args, plan.shape, plan.chunk_edges,
                                                                  plan.num_chunks, plan.chunk_row, plan.partials);
    GNNRT_CUDA_CHECK_LAUNCH();
    row_balanced_fixup_kernel<K, V><<<grid, kThreads, 0, stream>>>(args, plan.shape, plan.chunk_edges,
                                                                   plan.num_chunks, plan.chunk_row, plan.partials);
    GNNRT_CUDA_CHECK_LAUNCH();
  });
}

void launch_spmm_cusparse(const SpmmProblem& problem, void* scratch, size_t scratch_bytes, DeviceErrorSink errors,
                          cudaStream_t stream) {
  if (!start_spmm(SpmmTactic::CuSparse, problem, errors, stream)) return;
  const SpmmArgs args = device_args(problem, errors);
  const int64_t outputs = problem.num_rows * problem.width;
  if (!cusparse_multiplies(problem)) {
    if (problem.num_edges > 0) {  // columns into an X without rows: every one is out of range
      spmm_check_columns_kernel<<<blocks_for(problem.num_edges), kThreads, 0, stream>>>(
          problem.col, problem.num_edges, problem.num_cols, errors);
      GNNRT_CUDA_CHECK_LAUNCH();
    }
    GNNRT_CUDA_CHECK(cudaMemsetAsync(problem.y, 0, static_cast<size_t>(outputs) * sizeof(float), stream));
  } else {
    const CusparseScratch layout = cusparse_scratch(problem, scratch, scratch_bytes, stream);
    GNNRT_CHECK(layout.total <= scratch_bytes, "SpMM scratch of ", scratch_bytes, " bytes, needs ", layout.total);
    cusparse_columns_kernel<<<blocks_for(problem.num_edges), kThreads, 0, stream>>>(args, layout.columns,
                                                                                    layout.weights);
    GNNRT_CUDA_CHECK_LAUNCH();
    cusparse_row_offsets_kernel<<<blocks_for(problem.num_rows + 1), kThreads, 0, stream>>>(args, layout.raw_offsets);
    GNNRT_CUDA_CHECK_LAUNCH();
    size_t scan_bytes = layout.scan_bytes;
    GNNRT_CUDA_CHECK(cub::DeviceScan::InclusiveScan(layout.scan_storage, scan_bytes, layout.raw_offsets,
                                                    layout.offsets, ::cuda::maximum<>{},
                                                    static_cast<int>(problem.num_rows + 1), stream));
    const cusparseHandle_t handle = cusparse_handle(stream);
    CusparseMatrices matrices;
    matrices.describe(problem, layout.offsets, layout.columns, layout.weights);
    size_t workspace_bytes = 0;
    const cusparseSpMMAlg_t algorithm = matrices.algorithm(handle, workspace_bytes);
    GNNRT_CHECK(workspace_bytes <= layout.workspace_bytes, "cuSPARSE workspace of ", layout.workspace_bytes,
                " bytes, needs ", workspace_bytes);
    matrices.multiply(handle, algorithm, layout.workspace);
  }
  if (problem.row_scale || problem.bias || problem.relu) {
    spmm_epilogue_kernel<<<blocks_for(outputs), kThreads, 0, stream>>>(args);
    GNNRT_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace gnnrt::cuda
