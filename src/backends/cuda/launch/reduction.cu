// CUDA reductions and axis-wise normalisations. Mirrors backends/cpu/reduction.cpp: the same
// accumulator types (double for floats, wrapping uint64 for integers), identities, NaN rules and
// finishing steps. Parallel folds combine partial results in a fixed tree whose shape depends only
// on the sizes, so results are bit-identical run to run (no atomics).
#include "backends/cuda/launch/reduction.cuh"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/launch/launch_common.cuh"
#include "gnnrt/error.h"

namespace gnnrt::cuda {

namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = kThreads / kWarp;
constexpr unsigned kFullMask = 0xffffffffu;

// Rows longer than this get a whole block (256 threads) instead of one warp.
constexpr int64_t kWarpRowLimit = 1024;

// ---------------------------------------------------------------- device helpers

__device__ inline float dev_exp(float x) { return expf(x); }
__device__ inline double dev_exp(double x) { return exp(x); }

// y = x * a + b rounded twice, as the CPU computes it (no fused multiply-add).
__device__ inline float mul_add_unfused(float x, float a, float b) { return __fadd_rn(__fmul_rn(x, a), b); }
__device__ inline double mul_add_unfused(double x, double a, double b) { return __dadd_rn(__dmul_rn(x, a), b); }

template <typename T>
__device__ inline T lowest_value() {
  if constexpr (std::is_floating_point<T>::value) return -static_cast<T>(INFINITY);
  else return IntegerLimits<T>::lowest;
}
template <typename T>
__device__ inline T highest_value() {
  if constexpr (std::is_floating_point<T>::value) return static_cast<T>(INFINITY);
  else return IntegerLimits<T>::highest;
}

// A double converted to T without UB: floats round, integers clamp (NaN -> 0).
template <typename T>
__device__ inline T from_double(double value) {
  if constexpr (std::is_floating_point<T>::value) {
    return static_cast<T>(value);
  } else {
    return saturating_cast<T>(value);
  }
}

// Warp tree: lane 0 ends with combine() over all 32 lanes, always in the same order.
template <typename V, typename Combine>
__device__ inline V warp_reduce(V value, Combine combine) {
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset >>= 1)
    value = combine(value, __shfl_down_sync(kFullMask, value, offset));
  return value;
}

// All threads of a row group (a warp, or a whole block) get the same combined value: lane 0's
// warp result, then the warps' results folded in warp order by every thread alike.
template <int kRowThreads, typename V, typename Combine>
__device__ inline V row_all_reduce(V value, Combine combine) {
  value = warp_reduce(value, combine);
  if constexpr (kRowThreads == kWarp) {
    return __shfl_sync(kFullMask, value, 0);
  } else {
    __shared__ alignas(8) unsigned char storage[kThreads / kWarp * 8];
    V* shared = reinterpret_cast<V*>(storage);
    const int warp = threadIdx.x / kWarp;
    if (threadIdx.x % kWarp == 0) shared[warp] = value;
    __syncthreads();
    V total = shared[0];
    for (int w = 1; w < kRowThreads / kWarp; ++w) total = combine(total, shared[w]);
    __syncthreads();  // `storage` is reused by the next reduction
    return total;
  }
}

struct Plus {
  template <typename V>
  __device__ V operator()(V a, V b) const { return a + b; }
};
struct NanMax {
  template <typename V>
  __device__ V operator()(V a, V b) const { return nan_max(a, b); }
};

// ---------------------------------------------------------------- folds
// init() is the identity, add() folds one element in, combine() joins two partial results and
// finish() gives the output value (count: the elements folded, for Mean).

template <typename T>
using WideAccumulator = std::conditional_t<std::is_floating_point<T>::value, double, uint64_t>;

template <typename T>
struct SumFold {
  using Value = T;
  using Acc = WideAccumulator<T>;
  __device__ Acc init() const { return Acc(0); }
  __device__ void add(Acc& acc, T x) const { acc += static_cast<Acc>(x); }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ T finish(Acc acc, int64_t) const { return static_cast<T>(acc); }
};

template <typename T>
struct MeanFold {
  using Value = T;
  using Acc = WideAccumulator<T>;
  __device__ Acc init() const { return Acc(0); }
  __device__ void add(Acc& acc, T x) const { acc += static_cast<Acc>(x); }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ T finish(Acc acc, int64_t count) const {
    if constexpr (std::is_floating_point<T>::value) {
      return static_cast<T>(acc / static_cast<double>(count));  // empty: 0/0 = NaN, as numpy
    } else {
      if (count == 0) return T(0);  // integer mean of nothing: no NaN to give, so 0
      return static_cast<T>(static_cast<int64_t>(acc) / count);
    }
  }
};

template <typename T>
struct ProdFold {
  using Value = T;
  using Acc = WideAccumulator<T>;
  __device__ Acc init() const { return Acc(1); }
  __device__ void add(Acc& acc, T x) const { acc *= static_cast<Acc>(x); }
  __device__ Acc combine(Acc a, Acc b) const { return a * b; }
  __device__ T finish(Acc acc, int64_t) const { return static_cast<T>(acc); }
};

template <typename T>
struct SumSquareFold {
  using Value = T;
  using Acc = WideAccumulator<T>;
  __device__ Acc init() const { return Acc(0); }
  __device__ void add(Acc& acc, T x) const { acc += static_cast<Acc>(x) * static_cast<Acc>(x); }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ T finish(Acc acc, int64_t) const { return static_cast<T>(acc); }
};

template <typename T>
struct L2Fold {
  using Value = T;
  using Acc = double;
  __device__ Acc init() const { return 0.0; }
  __device__ void add(Acc& acc, T x) const { acc += static_cast<double>(x) * static_cast<double>(x); }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ T finish(Acc acc, int64_t) const { return from_double<T>(sqrt(acc)); }
};

// Max/Min of nothing is the identity: -inf/+inf for floats, the type's limits for integers.
template <typename T>
struct MaxFold {
  using Value = T;
  using Acc = T;
  __device__ Acc init() const { return lowest_value<T>(); }
  __device__ void add(Acc& acc, T x) const { acc = nan_max(acc, x); }
  __device__ Acc combine(Acc a, Acc b) const { return nan_max(a, b); }
  __device__ T finish(Acc acc, int64_t) const { return acc; }
};

template <typename T>
struct MinFold {
  using Value = T;
  using Acc = T;
  __device__ Acc init() const { return highest_value<T>(); }
  __device__ void add(Acc& acc, T x) const { acc = nan_min(acc, x); }
  __device__ Acc combine(Acc a, Acc b) const { return nan_min(a, b); }
  __device__ T finish(Acc acc, int64_t) const { return acc; }
};

// Calls fn(fold) with the fold of `op` for `dtype`; false when not instantiated.
template <typename Fn>
bool visit_fold(ReduceOp op, DType dtype, Fn&& fn) {
  return visit_arithmetic(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (op) {
      case ReduceOp::Sum: fn(SumFold<T>{}); break;
      case ReduceOp::Mean: fn(MeanFold<T>{}); break;
      case ReduceOp::Max: fn(MaxFold<T>{}); break;
      case ReduceOp::Min: fn(MinFold<T>{}); break;
      case ReduceOp::Prod: fn(ProdFold<T>{}); break;
      case ReduceOp::L2: fn(L2Fold<T>{}); break;
      case ReduceOp::SumSquare: fn(SumSquareFold<T>{}); break;
    }
  });
}

// ---------------------------------------------------------------- Reduce* kernels

__device__ inline int64_t kept_offset(const ReduceGeometry& g, int64_t output) {
  int64_t offset = 0;
#pragma unroll
  for (int d = kMaxReduceDims - 1; d >= 0; --d) {
    if (d < g.kept_rank) {
      offset += (output % g.kept_sizes[d]) * g.kept_strides[d];
      output /= g.kept_sizes[d];
    }
  }
  return offset;
}

__device__ inline int64_t reduced_offset(const ReduceGeometry& g, int64_t r) {
  if (g.reduced_rank == 1) return r * g.reduced_strides[0];
  int64_t offset = 0;
#pragma unroll
  for (int d = kMaxReduceDims - 1; d >= 0; --d) {
    if (d < g.reduced_rank) {
      offset += (r % g.reduced_sizes[d]) * g.reduced_strides[d];
      r /= g.reduced_sizes[d];
    }
  }
  return offset;
}

// How a reduction is spread over the GPU. With `lanes`, a warp folds each (output, chunk) task,
// its lanes reading consecutive elements (the reduced run is innermost); otherwise a thread folds
// each task, neighbouring threads taking neighbouring outputs (the kept run is innermost). Long
// reductions with few outputs are cut into `chunks` whose partials a second pass combines.
struct ReducePlan {
  bool lanes = false;
  int64_t chunk = 0;
  int64_t chunks = 1;
};

ReducePlan plan_reduce(const ReduceGeometry& g) {
  ReducePlan plan;
  const int64_t reduced = g.reduced;
  const bool inner_reduced = g.reduced_rank > 0 && g.reduced_strides[g.reduced_rank - 1] == 1;
  plan.lanes = inner_reduced && reduced >= kWarp;
  // Enough tasks to fill an H100 (132 SMs x 64 warps), fixed so results never depend on the card.
  const int64_t target_tasks = plan.lanes ? 8192 : 8192 * kWarp;
  const int64_t min_chunk = plan.lanes ? 1024 : 64;
  int64_t chunks = 1;
  if (reduced > min_chunk && g.outputs < target_tasks)
    chunks = std::min(ceil_div(target_tasks, g.outputs), ceil_div(reduced, min_chunk));
  int64_t chunk = reduced > 0 ? ceil_div(reduced, chunks) : 0;
  if (plan.lanes) chunk = ceil_div(chunk, kWarp) * kWarp;
  plan.chunk = chunk;
  plan.chunks = chunk > 0 ? ceil_div(reduced, chunk) : 1;
  return plan;
}

template <typename Fold>
__global__ void reduce_lanes_kernel(Fold fold, const typename Fold::Value* __restrict__ in, ReduceGeometry g,
                                    int64_t chunk, int64_t chunks, typename Fold::Value* __restrict__ out,
                                    typename Fold::Acc* __restrict__ partials) {
  using Acc = typename Fold::Acc;
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarp);
  const int64_t tasks = g.outputs * chunks;
  for (int64_t task = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp; task < tasks;
       task += warps) {
    const int64_t output = task / chunks;
    const int64_t c = task % chunks;
    const auto* base = in + kept_offset(g, output);
    const int64_t begin = c * chunk;
    const int64_t end = min(begin + chunk, g.reduced);
    Acc acc = fold.init();
    for (int64_t r = begin + lane; r < end; r += kWarp) fold.add(acc, base[reduced_offset(g, r)]);
    acc = warp_reduce(acc, [&](Acc a, Acc b) { return fold.combine(a, b); });
    if (lane == 0) {
      if (chunks == 1) out[output] = fold.finish(acc, g.reduced);
      else partials[output * chunks + c] = acc;
    }
  }
}

template <typename Fold>
__global__ void reduce_threads_kernel(Fold fold, const typename Fold::Value* __restrict__ in, ReduceGeometry g,
                                      int64_t chunk, int64_t chunks, typename Fold::Value* __restrict__ out,
                                      typename Fold::Acc* __restrict__ partials) {
  using Acc = typename Fold::Acc;
  const int64_t tasks = g.outputs * chunks;
  GNNRT_GRID_STRIDE_LOOP(task, tasks) {
    const int64_t output = task % g.outputs;
    const int64_t c = task / g.outputs;
    const auto* base = in + kept_offset(g, output);
    const int64_t begin = c * chunk;
    const int64_t end = min(begin + chunk, g.reduced);
    Acc acc = fold.init();
    if (g.reduced_rank == 1) {
      const int64_t stride = g.reduced_strides[0];
      for (int64_t r = begin; r < end; ++r) fold.add(acc, base[r * stride]);
    } else {
      for (int64_t r = begin; r < end; ++r) fold.add(acc, base[reduced_offset(g, r)]);
    }
    if (chunks == 1) out[output] = fold.finish(acc, g.reduced);
    else partials[output * chunks + c] = acc;
  }
}

// Second pass: a warp per output combines its chunks' partials.
template <typename Fold>
__global__ void reduce_partials_kernel(Fold fold, const typename Fold::Acc* __restrict__ partials, int64_t chunks,
                                       int64_t outputs, int64_t reduced, typename Fold::Value* __restrict__ out) {
  using Acc = typename Fold::Acc;
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarp);
  for (int64_t output = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp; output < outputs;
       output += warps) {
    Acc acc = fold.init();
    for (int64_t c = lane; c < chunks; c += kWarp) acc = fold.combine(acc, partials[output * chunks + c]);
    acc = warp_reduce(acc, [&](Acc a, Acc b) { return fold.combine(a, b); });
    if (lane == 0) out[output] = fold.finish(acc, reduced);
  }
}

template <typename Fold>
void run_reduce(const Fold& fold, const void* in, void* out, const ReduceGeometry& g, void* scratch,
                cudaStream_t stream) {
  using T = typename Fold::Value;
  using Acc = typename Fold::Acc;
  if (g.outputs <= 0) return;
  const ReducePlan plan = plan_reduce(g);
  auto* partials = static_cast<Acc*>(scratch);
  GNNRT_CHECK(plan.chunks == 1 || partials != nullptr, "split reduction without scratch");
  const auto* input = static_cast<const T*>(in);
  auto* output = static_cast<T*>(out);
  const int64_t tasks = g.outputs * plan.chunks;
  if (plan.lanes)
    reduce_lanes_kernel<<<blocks_for(tasks, kWarpsPerBlock), kThreads, 0, stream>>>(fold, input, g, plan.chunk,
                                                                                    plan.chunks, output, partials);
  else
    reduce_threads_kernel<<<blocks_for(tasks, kThreads), kThreads, 0, stream>>>(fold, input, g, plan.chunk,
                                                                                plan.chunks, output, partials);
  GNNRT_CUDA_CHECK_LAUNCH();
  if (plan.chunks > 1) {
    reduce_partials_kernel<<<blocks_for(g.outputs, kWarpsPerBlock), kThreads, 0, stream>>>(
        fold, partials, plan.chunks, g.outputs, g.reduced, output);
    GNNRT_CUDA_CHECK_LAUNCH();
  }
}

// ---------------------------------------------------------------- Softmax kernels

// Rows of `length` contiguous elements (the axis is innermost); kRowThreads threads per row.
template <typename T, bool IsLog, int kRowThreads>
__global__ void softmax_rows_kernel(const T* __restrict__ in, T* __restrict__ out, int64_t rows, int64_t length) {
  constexpr int64_t kRowsPerBlock = kThreads / kRowThreads;
  const int t = threadIdx.x % kRowThreads;
  for (int64_t row = blockIdx.x * kRowsPerBlock + threadIdx.x / kRowThreads; row < rows;
       row += static_cast<int64_t>(gridDim.x) * kRowsPerBlock) {
    const T* x = in + row * length;
    T* y = out + row * length;
    T maximum = lowest_value<T>();
    for (int64_t i = t; i < length; i += kRowThreads) maximum = nan_max(maximum, x[i]);
    maximum = row_all_reduce<kRowThreads>(maximum, NanMax{});
    double sum = 0;
    for (int64_t i = t; i < length; i += kRowThreads) sum += static_cast<double>(dev_exp(x[i] - maximum));
    sum = row_all_reduce<kRowThreads>(sum, Plus{});
    if constexpr (IsLog) {
      const T log_sum = static_cast<T>(log(sum));
      for (int64_t i = t; i < length; i += kRowThreads) y[i] = x[i] - maximum - log_sum;
    } else {
      const T inverse = static_cast<T>(1.0 / sum);
      for (int64_t i = t; i < length; i += kRowThreads) y[i] = dev_exp(x[i] - maximum) * inverse;
    }
  }
}

// The axis is not innermost: a thread per line, neighbouring threads on neighbouring columns,
// folding sequentially exactly as the CPU does.
template <typename T, bool IsLog>
__global__ void softmax_strided_kernel(const T* __restrict__ in, T* __restrict__ out, int64_t outer, int64_t length,
                                       int64_t inner) {
  GNNRT_GRID_STRIDE_LOOP(line, outer * inner) {
    const int64_t start = (line / inner) * length * inner + line % inner;
    const T* x = in + start;
    T* y = out + start;
    T maximum = lowest_value<T>();
    for (int64_t i = 0; i < length; ++i) maximum = nan_max(maximum, x[i * inner]);
    double sum = 0;
    for (int64_t i = 0; i < length; ++i) sum += static_cast<double>(dev_exp(x[i * inner] - maximum));
    if constexpr (IsLog) {
      const T log_sum = static_cast<T>(log(sum));
      for (int64_t i = 0; i < length; ++i) y[i * inner] = x[i * inner] - maximum - log_sum;
    } else {
      const T inverse = static_cast<T>(1.0 / sum);
      for (int64_t i = 0; i < length; ++i) y[i * inner] = dev_exp(x[i * inner] - maximum) * inverse;
    }
  }
}

template <typename T, bool IsLog>
void run_softmax(const void* in, void* out, int64_t outer, int64_t length, int64_t inner, cudaStream_t stream) {
  const auto* x = static_cast<const T*>(in);
  auto* y = static_cast<T*>(out);
  if (inner == 1) {
    if (length <= kWarpRowLimit)
      softmax_rows_kernel<T, IsLog, kWarp><<<blocks_for(outer, kWarpsPerBlock), kThreads, 0, stream>>>(x, y, outer,
                                                                                                      length);
    else
      softmax_rows_kernel<T, IsLog, kThreads><<<blocks_for(outer, 1), kThreads, 0, stream>>>(x, y, outer, length);
  } else {
    softmax_strided_kernel<T, IsLog><<<blocks_for(outer * inner, kThreads), kThreads, 0, stream>>>(x, y, outer,
                                                                                                 length, inner);
  }
  GNNRT_CUDA_CHECK_LAUNCH();
}

// ---------------------------------------------------------------- ArgMax / ArgMin

template <typename T>
struct Candidate {
  T value;
  int64_t index;  // -1: no element yet
};

// Whether `challenger` beats `holder`: NaN beats numbers; then the larger (smaller) value; ties
// (equal values, or both NaN) go to the lower index, or the higher with select_last. Comparing
// indices explicitly makes the result independent of the order candidates are combined in, and
// equal to the CPU's sequential scan.
template <typename T, bool IsMax>
__device__ inline bool beats(const Candidate<T>& challenger, const Candidate<T>& holder, bool select_last) {
  if (challenger.index < 0) return false;
  if (holder.index < 0) return true;
  const bool challenger_nan = is_nan_value(challenger.value);
  const bool holder_nan = is_nan_value(holder.value);
  const bool tie_goes_to_challenger = select_last ? challenger.index > holder.index : challenger.index < holder.index;
  if (challenger_nan || holder_nan) return challenger_nan && holder_nan ? tie_goes_to_challenger : challenger_nan;
  if (challenger.value == holder.value) return tie_goes_to_challenger;
  return IsMax ? challenger.value > holder.value : challenger.value < holder.value;
}

// The axis is innermost: a warp per row.
template <typename T, bool IsMax>
__global__ void arg_rows_kernel(const T* __restrict__ in, int64_t* __restrict__ out, int64_t rows, int64_t length,
                                bool select_last) {
  const int lane = threadIdx.x % kWarp;
  for (int64_t row = blockIdx.x * static_cast<int64_t>(kWarpsPerBlock) + threadIdx.x / kWarp; row < rows;
       row += static_cast<int64_t>(gridDim.x) * kWarpsPerBlock) {
    const T* x = in + row * length;
    Candidate<T> best{T(0), -1};
    for (int64_t i = lane; i < length; i += kWarp) {
      const Candidate<T> next{x[i], i};
      if (beats<T, IsMax>(next, best, select_last)) best = next;
    }
#pragma unroll
    for (int offset = kWarp / 2; offset > 0; offset >>= 1) {
      const Candidate<T> other{__shfl_down_sync(kFullMask, best.value, offset),
                               __shfl_down_sync(kFullMask, best.index, offset)};
      if (beats<T, IsMax>(other, best, select_last)) best = other;
    }
    if (lane == 0) out[row] = best.index;
  }
}

// The axis is not innermost: a thread per line, the CPU's sequential scan.
template <typename T, bool IsMax>
__global__ void arg_strided_kernel(const T* __restrict__ in, int64_t* __restrict__ out, int64_t outer, int64_t length,
                                   int64_t inner, bool select_last) {
  GNNRT_GRID_STRIDE_LOOP(line, outer * inner) {
    const T* x = in + (line / inner) * length * inner + line % inner;
    Candidate<T> best{x[0], 0};
    for (int64_t i = 1; i < length; ++i) {
      const Candidate<T> next{x[i * inner], i};
      if (beats<T, IsMax>(next, best, select_last)) best = next;
    }
    out[line] = best.index;
  }
}

template <typename T, bool IsMax>
void run_arg_extreme(bool select_last, const void* in, int64_t* out, int64_t outer, int64_t length, int64_t inner,
                     cudaStream_t stream) {
  const auto* x = static_cast<const T*>(in);
  if (inner == 1)
    arg_rows_kernel<T, IsMax><<<blocks_for(outer, kWarpsPerBlock), kThreads, 0, stream>>>(x, out, outer, length,
                                                                                         select_last);
  else
    arg_strided_kernel<T, IsMax><<<blocks_for(outer * inner, kThreads), kThreads, 0, stream>>>(x, out, outer, length,
                                                                                              inner, select_last);
  GNNRT_CUDA_CHECK_LAUNCH();
}

// ---------------------------------------------------------------- CumSum

// Lines of `length` are scanned in chunks: a thread per (line, chunk). With several chunks, a
// first pass sums each chunk, a second turns the sums into each chunk's starting value (an
// exclusive scan per line), and the scan pass starts from it.
struct CumsumPlan {
  int64_t chunk = 0;
  int64_t chunks = 1;
};

CumsumPlan plan_cumsum(int64_t lines, int64_t length) {
  constexpr int64_t kTargetThreads = 65536;
  constexpr int64_t kMinChunk = 256;
  constexpr int64_t kMaxChunks = 1024;  // the per-line pass over chunk sums is sequential
  CumsumPlan plan;
  int64_t chunks = 1;
  if (length > kMinChunk && lines < kTargetThreads)
    chunks = std::min({ceil_div(kTargetThreads, lines), ceil_div(length, kMinChunk), kMaxChunks});
  plan.chunk = length > 0 ? ceil_div(length, chunks) : 0;
  plan.chunks = plan.chunk > 0 ? ceil_div(length, plan.chunk) : 1;
  return plan;
}

template <typename T>
__global__ void cumsum_chunk_sums_kernel(const T* __restrict__ in, int64_t lines, int64_t length, int64_t inner,
                                         int64_t chunk, int64_t chunks, bool reverse,
                                         WideAccumulator<T>* __restrict__ sums) {
  using Acc = WideAccumulator<T>;
  GNNRT_GRID_STRIDE_LOOP(task, lines * chunks) {
    const int64_t line = task % lines;
    const int64_t c = task / lines;
    const T* x = in + (line / inner) * length * inner + line % inner;
    const int64_t end = min((c + 1) * chunk, length);
    Acc sum = 0;
    for (int64_t k = c * chunk; k < end; ++k) sum += static_cast<Acc>(x[(reverse ? length - 1 - k : k) * inner]);
    sums[line * chunks + c] = sum;
  }
}

template <typename Acc>
__global__ void cumsum_chunk_starts_kernel(Acc* __restrict__ sums, int64_t lines, int64_t chunks) {
  GNNRT_GRID_STRIDE_LOOP(line, lines) {
    Acc running = 0;
    for (int64_t c = 0; c < chunks; ++c) {
      const Acc sum = sums[line * chunks + c];
      sums[line * chunks + c] = running;
      running += sum;
    }
  }
}

template <typename T>
__global__ void cumsum_scan_kernel(const T* __restrict__ in, T* __restrict__ out, int64_t lines, int64_t length,
                                   int64_t inner, int64_t chunk, int64_t chunks, bool exclusive, bool reverse,
                                   const WideAccumulator<T>* __restrict__ starts) {
  using Acc = WideAccumulator<T>;
  GNNRT_GRID_STRIDE_LOOP(task, lines * chunks) {
    const int64_t line = task % lines;
    const int64_t c = task / lines;
    const int64_t start = (line / inner) * length * inner + line % inner;
    const int64_t end = min((c + 1) * chunk, length);
    Acc running = starts ? starts[line * chunks + c] : Acc(0);
    for (int64_t k = c * chunk; k < end; ++k) {
      const int64_t i = start + (reverse ? length - 1 - k : k) * inner;
      const T x = in[i];
      if (!exclusive) running += static_cast<Acc>(x);
      out[i] = static_cast<T>(running);
      if (exclusive) running += static_cast<Acc>(x);
    }
  }
}

// ---------------------------------------------------------------- BatchNormalization

template <typename T>
__global__ void batch_norm_coefficients_kernel(const T* __restrict__ scale, const T* __restrict__ bias,
                                               const T* __restrict__ mean, const T* __restrict__ variance,
                                               double epsilon, int64_t channels, T* __restrict__ multiplier,
                                               T* __restrict__ offset) {
  GNNRT_GRID_STRIDE_LOOP(c, channels) {
    const double a = static_cast<double>(scale[c]) / sqrt(static_cast<double>(variance[c]) + epsilon);
    multiplier[c] = static_cast<T>(a);
    offset[c] = static_cast<T>(__dsub_rn(static_cast<double>(bias[c]), __dmul_rn(static_cast<double>(mean[c]), a)));
  }
}

template <typename T>
__global__ void batch_norm_apply_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t count, int64_t channels,
                                        int64_t spatial, const T* __restrict__ multiplier,
                                        const T* __restrict__ offset) {
  GNNRT_GRID_STRIDE_LOOP(i, count) {
    const int64_t c = (i / spatial) % channels;
    y[i] = mul_add_unfused(x[i], multiplier[c], offset[c]);
  }
}

// ---------------------------------------------------------------- LayerNormalization

template <typename T, typename S, int kRowThreads>
__global__ void layer_norm_kernel(const T* __restrict__ x, const T* __restrict__ gamma, const T* __restrict__ beta,
                                  T* __restrict__ y, S* __restrict__ means, S* __restrict__ inv_stds, int64_t rows,
                                  int64_t length, double epsilon) {
  constexpr int64_t kRowsPerBlock = kThreads / kRowThreads;
  const int t = threadIdx.x % kRowThreads;
  for (int64_t row = blockIdx.x * kRowsPerBlock + threadIdx.x / kRowThreads; row < rows;
       row += static_cast<int64_t>(gridDim.x) * kRowsPerBlock) {
    const T* xr = x + row * length;
    T* yr = y + row * length;
    double sum = 0;
    for (int64_t i = t; i < length; i += kRowThreads) sum += static_cast<double>(xr[i]);
    sum = row_all_reduce<kRowThreads>(sum, Plus{});
    const double mean = length ? sum / static_cast<double>(length) : 0.0;
    double squares = 0;
    for (int64_t i = t; i < length; i += kRowThreads) {
      const double centred = static_cast<double>(xr[i]) - mean;
      squares += centred * centred;
    }
    squares = row_all_reduce<kRowThreads>(squares, Plus{});
    const double variance = length ? squares / static_cast<double>(length) : 0.0;
    const double inv_std = 1.0 / sqrt(variance + epsilon);
    for (int64_t i = t; i < length; i += kRowThreads) {
      double value = (static_cast<double>(xr[i]) - mean) * inv_std * static_cast<double>(gamma[i]);
      if (beta) value += static_cast<double>(beta[i]);
      yr[i] = static_cast<T>(value);
    }
    if (t == 0) {
      if (means) means[row] = static_cast<S>(mean);
      if (inv_stds) inv_stds[row] = static_cast<S>(inv_std);
    }
  }
}

template <typename T, typename S>
void run_layer_norm(const void* x, const void* gamma, const void* beta, void* y, void* mean, void* inv_std,
                    int64_t rows, int64_t length, double epsilon, cudaStream_t stream) {
  const auto* px = static_cast<const T*>(x);
  const auto* pg = static_cast<const T*>(gamma);
  const auto* pb = static_cast<const T*>(beta);
  auto* py = static_cast<T*>(y);
  auto* pm = static_cast<S*>(mean);
  auto* ps = static_cast<S*>(inv_std);
  if (length <= kWarpRowLimit)
    layer_norm_kernel<T, S, kWarp><<<blocks_for(rows, kWarpsPerBlock), kThreads, 0, stream>>>(px, pg, pb, py, pm, ps,
                                                                                             rows, length, epsilon);
  else
    layer_norm_kernel<T, S, kThreads><<<blocks_for(rows, 1), kThreads, 0, stream>>>(px, pg, pb, py, pm, ps, rows,
                                                                                   length, epsilon);
  GNNRT_CUDA_CHECK_LAUNCH();
}

}  // namespace

// ---------------------------------------------------------------- host entry points

bool reduce_supported(ReduceOp, DType dtype) { return is_arithmetic(dtype); }

size_t reduce_scratch_bytes(ReduceOp op, DType dtype, const ReduceGeometry& geometry) {
  if (geometry.outputs <= 0) return 0;
  const ReducePlan plan = plan_reduce(geometry);
  if (plan.chunks <= 1) return 0;
  size_t accumulator_size = 0;
  visit_fold(op, dtype, [&](auto fold) { accumulator_size = sizeof(typename decltype(fold)::Acc); });
  return static_cast<size_t>(geometry.outputs * plan.chunks) * accumulator_size;
}

void launch_reduce(ReduceOp op, DType dtype, const void* in, void* out, const ReduceGeometry& geometry, void* scratch,
                   cudaStream_t stream) {
  const bool instantiated =
      visit_fold(op, dtype, [&](auto fold) { run_reduce(fold, in, out, geometry, scratch, stream); });
  GNNRT_CHECK(instantiated, "CUDA reduction ", static_cast<int>(op), " on ", dtype_name(dtype));
}

bool softmax_supported(DType dtype) { return is_float(dtype); }

void launch_softmax(DType dtype, bool log, const void* in, void* out, int64_t outer, int64_t length, int64_t inner,
                    cudaStream_t stream) {
  if (outer * length * inner == 0) return;
  const bool instantiated = visit_float(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (log) run_softmax<T, true>(in, out, outer, length, inner, stream);
    else run_softmax<T, false>(in, out, outer, length, inner, stream);
  });
  GNNRT_CHECK(instantiated, "CUDA Softmax on ", dtype_name(dtype));
}

bool arg_extreme_supported(DType dtype) { return is_arithmetic(dtype); }

void launch_arg_extreme(DType dtype, bool is_max, bool select_last, const void* in, int64_t* out, int64_t outer,
                        int64_t length, int64_t inner, cudaStream_t stream) {
  if (outer * inner == 0) return;
  GNNRT_CHECK(length > 0, "arg extreme over an empty axis");
  const bool instantiated = visit_arithmetic(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (is_max) run_arg_extreme<T, true>(select_last, in, out, outer, length, inner, stream);
    else run_arg_extreme<T, false>(select_last, in, out, outer, length, inner, stream);
  });
  GNNRT_CHECK(instantiated, "CUDA ArgMax/ArgMin on ", dtype_name(dtype));
}

bool cumsum_supported(DType dtype) { return is_arithmetic(dtype); }

size_t cumsum_scratch_bytes(DType dtype, int64_t outer, int64_t length, int64_t inner) {
  const int64_t lines = outer * inner;
  if (lines == 0) return 0;
  const CumsumPlan plan = plan_cumsum(lines, length);
  return plan.chunks > 1 ? static_cast<size_t>(lines * plan.chunks) * 8 : 0;  // double or uint64 sums
}

void launch_cumsum(DType dtype, bool exclusive, bool reverse, const void* in, void* out, int64_t outer, int64_t length,
                   int64_t inner, void* scratch, cudaStream_t stream) {
  const int64_t lines = outer * inner;
  if (lines * length == 0) return;
  const CumsumPlan plan = plan_cumsum(lines, length);
  const bool instantiated = visit_arithmetic(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Acc = WideAccumulator<T>;
    static_assert(sizeof(Acc) == 8, "cumsum_scratch_bytes assumes 8-byte sums");
    const auto* x = static_cast<const T*>(in);
    auto* y = static_cast<T*>(out);
    Acc* starts = nullptr;
    const int64_t tasks = lines * plan.chunks;
    if (plan.chunks > 1) {
      GNNRT_CHECK(scratch != nullptr, "split CumSum without scratch");
      starts = static_cast<Acc*>(scratch);
      cumsum_chunk_sums_kernel<T><<<blocks_for(tasks, kThreads), kThreads, 0, stream>>>(
          x, lines, length, inner, plan.chunk, plan.chunks, reverse, starts);
      GNNRT_CUDA_CHECK_LAUNCH();
      cumsum_chunk_starts_kernel<Acc><<<blocks_for(lines, kThreads), kThreads, 0, stream>>>(starts, lines, plan.chunks);
      GNNRT_CUDA_CHECK_LAUNCH();
    }
    cumsum_scan_kernel<T><<<blocks_for(tasks, kThreads), kThreads, 0, stream>>>(
        x, y, lines, length, inner, plan.chunk, plan.chunks, exclusive, reverse, starts);
    GNNRT_CUDA_CHECK_LAUNCH();
  });
  GNNRT_CHECK(instantiated, "CUDA CumSum on ", dtype_name(dtype));
}

bool batch_norm_supported(DType dtype) { return is_float(dtype); }

void launch_batch_norm(DType dtype, const void* x, const void* scale, const void* bias, const void* mean,
                       const void* variance, double epsilon, void* y, int64_t batch, int64_t channels,
                       int64_t spatial, void* scratch, cudaStream_t stream) {
  const int64_t count = batch * channels * spatial;
  if (count == 0) return;
  const bool instantiated = visit_float(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* multiplier = static_cast<T*>(scratch);
    T* offset = multiplier + channels;
    batch_norm_coefficients_kernel<T><<<blocks_for(channels, kThreads), kThreads, 0, stream>>>(
        static_cast<const T*>(scale), static_cast<const T*>(bias), static_cast<const T*>(mean),
        static_cast<const T*>(variance), epsilon, channels, multiplier, offset);
    GNNRT_CUDA_CHECK_LAUNCH();
    batch_norm_apply_kernel<T><<<blocks_for(count, kThreads), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), count, channels, spatial, multiplier, offset);
    GNNRT_CUDA_CHECK_LAUNCH();
  });
  GNNRT_CHECK(instantiated, "CUDA BatchNormalization on ", dtype_name(dtype));
}

bool layer_norm_supported(DType dtype, DType stash) { return is_float(dtype) && is_float(stash); }

void launch_layer_norm(DType dtype, DType stash, const void* x, const void* gamma, const void* beta, void* y,
                       void* mean, void* inv_std, int64_t rows, int64_t row_length, double epsilon,
                       cudaStream_t stream) {
  GNNRT_CHECK(layer_norm_supported(dtype, stash), "CUDA LayerNormalization on ", dtype_name(dtype), " stashing ",
              dtype_name(stash));
  if (rows == 0) return;
  visit_float(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    visit_float(stash, [&](auto stash_tag) {
      using S = typename decltype(stash_tag)::type;
      run_layer_norm<T, S>(x, gamma, beta, y, mean, inv_std, rows, row_length, epsilon, stream);
    });
  });
}

}  // namespace gnnrt::cuda
