// CPU kernels for reductions and axis-wise normalisations (opset-18 semantics): Reduce*,
// ArgMax/ArgMin, Softmax/LogSoftmax, CumSum, BatchNormalization (inference) and
// LayerNormalization.
//
// Determinism: every output element is folded sequentially, in the input's index order, by one
// thread; threads only split the set of output elements. Results are therefore bit-identical
// whatever the thread count. Floating-point sums accumulate in double, integer ones wrap in
// 64 bits (no signed-overflow UB on adversarial data).
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>

#include "backends/cpu/broadcast.h"
#include "backends/cpu/kernel_registry.h"
#include "backends/cpu/scalar_math.h"
#include "backends/op_shapes/reduction.h"
#include "core/dispatch.h"

namespace gnnrt::cpu {

namespace {

using Outputs = std::vector<Tensor>;

// ---------------------------------------------------------------- Reduce* layout

// How an input is walked for a reduction over a set of axes. Dims of size 1 are dropped and
// neighbouring dims of the same kind (kept or reduced) merged. If the innermost merged dim is
// reduced, each output element folds contiguous runs of `inner_size`; if it is kept, outputs
// come in rows of `inner_size` that are folded together, a vector at a time.
struct ReductionLayout {
  Dims output_shape;
  int64_t output_numel = 1;
  int64_t reduced_count = 1;  // input elements folded into each output element
  bool inner_is_reduced = true;
  int64_t inner_size = 1;
  // Kept dims other than an innermost kept run; they index output elements (or rows).
  Dims kept_sizes;
  std::vector<int64_t> kept_strides;
  // Reduced dims other than an innermost reduced run; walked in index order.
  Dims reduced_sizes;
  std::vector<int64_t> reduced_strides;
};

ReductionLayout make_reduction_layout(const Dims& shape, const std::vector<bool>& reduce_axis, bool keepdims) {
  op_shapes::ReductionDims dims = op_shapes::reduction_dims(shape, reduce_axis, keepdims);
  ReductionLayout layout;
  layout.output_shape = std::move(dims.output_shape);
  layout.reduced_count = dims.reduced_count;
  layout.output_numel = element_count(layout.output_shape);
  const auto& runs = dims.runs;
  if (runs.empty()) return layout;  // one element per output: inner_size 1, nothing to walk

  layout.inner_is_reduced = runs.back().reduced;
  layout.inner_size = runs.back().size;
  for (size_t d = 0; d + 1 < runs.size(); ++d) {
    if (runs[d].reduced) {
      layout.reduced_sizes.push_back(runs[d].size);
      layout.reduced_strides.push_back(runs[d].stride);
    } else {
      layout.kept_sizes.push_back(runs[d].size);
      layout.kept_strides.push_back(runs[d].stride);
    }
  }
  return layout;
}

// Input offset of the index-th combination of `sizes` (row-major).
int64_t decode_offset(int64_t index, const Dims& sizes, const std::vector<int64_t>& strides) {
  int64_t offset = 0;
  for (size_t d = sizes.size(); d-- > 0;) {
    offset += (index % sizes[d]) * strides[d];
    index /= sizes[d];
  }
  return offset;
}

// Calls fn(offset) for every combination of `sizes`, in row-major order.
template <typename Fn>
void for_each_offset(const Dims& sizes, const std::vector<int64_t>& strides, Fn&& fn) {
  for (int64_t s : sizes)
    if (s == 0) return;
  std::vector<int64_t> index(sizes.size(), 0);
  int64_t offset = 0;
  while (true) {
    fn(offset);
    size_t d = sizes.size();
    while (d > 0) {
      --d;
      ++index[d];
      offset += strides[d];
      if (index[d] < sizes[d]) break;
      offset -= strides[d] * sizes[d];
      index[d] = 0;
      if (d == 0) return;
    }
    if (sizes.empty()) return;
  }
}

// A fold: init() is the identity, add() folds one element in, finish() gives the output value.
template <typename T>
using WideAccumulator = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;

template <typename T>
struct SumFold {
  using Acc = WideAccumulator<T>;
  Acc init() const { return 0; }
  void add(Acc& acc, T x) const { acc += static_cast<Acc>(x); }
  T finish(Acc acc, int64_t) const { return static_cast<T>(acc); }
};

template <typename T>
struct MeanFold {
  using Acc = WideAccumulator<T>;
  Acc init() const { return 0; }
  void add(Acc& acc, T x) const { acc += static_cast<Acc>(x); }
  T finish(Acc acc, int64_t count) const {
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(acc / static_cast<double>(count));  // empty: 0/0 = NaN, as numpy
    } else {
      if (count == 0) return T{0};  // integer mean of nothing: no NaN to give, so 0
      if constexpr (std::is_signed_v<T>) return static_cast<T>(static_cast<int64_t>(acc) / count);
      else return static_cast<T>(acc / static_cast<uint64_t>(count));
    }
  }
};

template <typename T>
struct ProdFold {
  using Acc = WideAccumulator<T>;
  Acc init() const { return 1; }
  void add(Acc& acc, T x) const { acc *= static_cast<Acc>(x); }
  T finish(Acc acc, int64_t) const { return static_cast<T>(acc); }
};

template <typename T>
struct SumSquareFold {
  using Acc = WideAccumulator<T>;
  Acc init() const { return 0; }
  void add(Acc& acc, T x) const { acc += static_cast<Acc>(x) * static_cast<Acc>(x); }
  T finish(Acc acc, int64_t) const { return static_cast<T>(acc); }
};

template <typename T>
struct L2Fold {
  using Acc = double;
  Acc init() const { return 0; }
  void add(Acc& acc, T x) const { acc += static_cast<double>(x) * static_cast<double>(x); }
  T finish(Acc acc, int64_t) const { return saturating_cast<T>(std::sqrt(acc)); }
};

// Max/Min of nothing is the identity: -inf/+inf for floats, the type's limits for integers.
template <typename T>
struct MaxFold {
  using Acc = T;
  Acc init() const {
    if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<T>::infinity();
    else return std::numeric_limits<T>::lowest();
  }
  void add(Acc& acc, T x) const { acc = nan_max(acc, x); }
  T finish(Acc acc, int64_t) const { return acc; }
};

template <typename T>
struct MinFold {
  using Acc = T;
  Acc init() const {
    if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::infinity();
    else return std::numeric_limits<T>::max();
  }
  void add(Acc& acc, T x) const { acc = nan_min(acc, x); }
  T finish(Acc acc, int64_t) const { return acc; }
};

// Columns folded at once when the innermost dim is kept (the accumulators live on the stack).
constexpr int64_t kColumnBlock = 256;

template <typename T, typename Fold>
void run_reduction(const ReductionLayout& layout, int64_t input_numel, const T* input, T* output, const Fold& fold) {
  using Acc = typename Fold::Acc;
  const int64_t inner = layout.inner_size;
  if (layout.inner_is_reduced) {
    const int64_t outputs = layout.output_numel;
#pragma omp parallel for if (input_numel >= kParallelElementThreshold && outputs > 1) schedule(static)
    for (int64_t o = 0; o < outputs; ++o) {
      const T* base = input + decode_offset(o, layout.kept_sizes, layout.kept_strides);
      Acc acc = fold.init();
      for_each_offset(layout.reduced_sizes, layout.reduced_strides, [&](int64_t offset) {
        const T* run = base + offset;
        for (int64_t j = 0; j < inner; ++j) fold.add(acc, run[j]);
      });
      output[o] = fold.finish(acc, layout.reduced_count);
    }
    return;
  }
  if (layout.output_numel == 0) return;
  const int64_t rows = layout.output_numel / inner;
  const int64_t blocks_per_row = (inner + kColumnBlock - 1) / kColumnBlock;
  const int64_t tasks = rows * blocks_per_row;
#pragma omp parallel for if (input_numel >= kParallelElementThreshold && tasks > 1) schedule(static)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t row = task / blocks_per_row;
    const int64_t first_column = (task % blocks_per_row) * kColumnBlock;
    const int64_t width = std::min(kColumnBlock, inner - first_column);
    const T* base = input + decode_offset(row, layout.kept_sizes, layout.kept_strides) + first_column;
    Acc acc[kColumnBlock];
    for (int64_t j = 0; j < width; ++j) acc[j] = fold.init();
    for_each_offset(layout.reduced_sizes, layout.reduced_strides, [&](int64_t offset) {
      const T* run = base + offset;
      for (int64_t j = 0; j < width; ++j) fold.add(acc[j], run[j]);
    });
    T* out = output + row * inner + first_column;
    for (int64_t j = 0; j < width; ++j) out[j] = fold.finish(acc[j], layout.reduced_count);
  }
}

template <template <typename> class Fold>
Outputs reduce_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  const ReductionLayout layout =
      make_reduction_layout(data.shape(), op_shapes::reduced_axes(node, inputs, data.rank()), keepdims);
  Tensor output(data.dtype(), layout.output_shape);
  dispatch_arithmetic(data.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    run_reduction(layout, data.numel(), data.data<T>(), output.data<T>(), Fold<T>{});
  });
  return {output};
}

// ---------------------------------------------------------------- single-axis ops

using op_shapes::AxisSplit;
using op_shapes::split_at_axis;

// Calls fn(line, start) for each of the outer * inner lines along the axis: line `line` is the
// `length` elements from flat offset `start`, `inner` elements apart. Each line is handled by
// one thread; lines run on OpenMP threads when `parallel`.
template <typename Fn>
void for_each_line(const AxisSplit& split, bool parallel, Fn&& fn) {
  const int64_t lines = split.outer * split.inner;
#pragma omp parallel for if (parallel) schedule(static)
  for (int64_t line = 0; line < lines; ++line)
    fn(line, (line / split.inner) * split.length * split.inner + line % split.inner);
}

template <bool IsMax>
Outputs arg_extreme_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const op_shapes::ArgExtremeLayout layout = op_shapes::arg_extreme_layout(node, data, IsMax);
  const bool select_last = layout.select_last;
  const AxisSplit& split = layout.split;
  Tensor output(DType::Int64, layout.output_shape);
  if (output.numel() == 0) return {output};
  dispatch_arithmetic(data.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = data.data<T>();
    int64_t* out = output.data<int64_t>();
    for_each_line(split, data.numel() >= kParallelElementThreshold, [&](int64_t line, int64_t start) {
      const T* x = in + start;
      T best = x[0];
      int64_t best_index = 0;
      for (int64_t i = 1; i < split.length; ++i) {
        const T v = x[i * split.inner];
        bool take;
        if (is_nan(best)) take = select_last && is_nan(v);  // NaN wins, as in numpy and torch
        else if (is_nan(v)) take = true;
        else if (select_last) take = IsMax ? v >= best : v <= best;
        else take = IsMax ? v > best : v < best;
        if (take) {
          best = v;
          best_index = i;
        }
      }
      out[line] = best_index;
    });
  });
  return {output};
}

// Softmax / LogSoftmax over one axis (opset 13+), shifted by the maximum for stability.
template <bool IsLog>
Outputs softmax_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const int64_t axis = normalize_axis(node, node.attr_int("axis", -1), data.rank());
  const AxisSplit split = split_at_axis(data.shape(), axis);
  Tensor output(data.dtype(), data.shape());
  dispatch_float(data.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = data.data<T>();
    T* out = output.data<T>();
    const int64_t n = split.length, step = split.inner;
    for_each_line(split, data.numel() >= kParallelElementThreshold, [&](int64_t, int64_t start) {
      const T* x = in + start;
      T* y = out + start;
      T maximum = -std::numeric_limits<T>::infinity();
      for (int64_t i = 0; i < n; ++i) maximum = nan_max(maximum, x[i * step]);
      double sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        const T e = std::exp(x[i * step] - maximum);
        if constexpr (!IsLog) y[i * step] = e;
        sum += static_cast<double>(e);
      }
      if constexpr (IsLog) {
        const T log_sum = static_cast<T>(std::log(sum));
        for (int64_t i = 0; i < n; ++i) y[i * step] = x[i * step] - maximum - log_sum;
      } else {
        const T inverse = static_cast<T>(1.0 / sum);
        for (int64_t i = 0; i < n; ++i) y[i * step] *= inverse;
      }
    });
  });
  return {output};
}

Outputs cumsum_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const Tensor& axis_tensor = require_input(node, inputs, 1);
  const int64_t axis = op_shapes::cumsum_axis(node, data, axis_tensor);
  const bool exclusive = node.attr_int("exclusive", 0) != 0;
  const bool reverse = node.attr_int("reverse", 0) != 0;
  const AxisSplit split = split_at_axis(data.shape(), axis);
  Tensor output(data.dtype(), data.shape());
  dispatch_arithmetic(data.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Acc = WideAccumulator<T>;
    const T* in = data.data<T>();
    T* out = output.data<T>();
    const int64_t n = split.length, step = split.inner;
    for_each_line(split, data.numel() >= kParallelElementThreshold, [&](int64_t, int64_t start) {
      Acc running = 0;
      for (int64_t k = 0; k < n; ++k) {
        const int64_t i = reverse ? n - 1 - k : k;
        const T x = in[start + i * step];
        if (!exclusive) running += static_cast<Acc>(x);
        out[start + i * step] = static_cast<T>(running);
        if (exclusive) running += static_cast<Acc>(x);
      }
    });
  });
  return {output};
}

// BatchNormalization in inference mode: per channel (axis 1), y = x * a + b with
// a = scale / sqrt(var + epsilon) and b = bias - mean * a (folded in double).
Outputs batch_normalization_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& x = require_input(node, inputs, 0);
  op_shapes::check_batch_norm_inputs(node, inputs);
  const int64_t channels = x.dim(1);
  const double epsilon = node.attr_float("epsilon", 1e-5f);
  Tensor output(x.dtype(), x.shape());
  if (x.numel() == 0) return {output};
  dispatch_float(x.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* scale = inputs[1]->data<T>();
    const T* bias = inputs[2]->data<T>();
    const T* mean = inputs[3]->data<T>();
    const T* variance = inputs[4]->data<T>();
    std::vector<T> multiplier(static_cast<size_t>(channels)), offset(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) {
      const double a = static_cast<double>(scale[c]) / std::sqrt(static_cast<double>(variance[c]) + epsilon);
      multiplier[static_cast<size_t>(c)] = static_cast<T>(a);
      offset[static_cast<size_t>(c)] = static_cast<T>(static_cast<double>(bias[c]) - static_cast<double>(mean[c]) * a);
    }
    const int64_t planes = x.dim(0) * channels;  // not 0: X is not empty
    const int64_t spatial = x.numel() / planes;
    const T* in = x.data<T>();
    T* out = output.data<T>();
#pragma omp parallel for if (x.numel() >= kParallelElementThreshold) schedule(static)
    for (int64_t plane = 0; plane < planes; ++plane) {
      const size_t c = static_cast<size_t>(plane % channels);
      const T a = multiplier[c], b = offset[c];
      for (int64_t i = plane * spatial; i < (plane + 1) * spatial; ++i) out[i] = in[i] * a + b;
    }
  });
  return {output};
}

// LayerNormalization (opset 17): normalises over X.shape[axis:], then scale and optional bias
// (each broadcast to that shape). Optional outputs Mean and InvStdDev have X.shape[:axis]
// followed by 1s, in stash_type (float32 by default).
Outputs layer_normalization_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& x = require_input(node, inputs, 0);
  const Tensor& scale_input = require_input(node, inputs, 1);
  const Tensor* bias_input = optional_input(inputs, 2);
  const op_shapes::LayerNormLayout layout = op_shapes::layer_norm_layout(node, x);
  const double epsilon = layout.epsilon;
  const DType stash = layout.stash;
  const Dims& statistics_shape = layout.statistics_shape;
  const int64_t row_length = layout.row_length;
  const int64_t rows = layout.rows;

  const Tensor scale = broadcast_to(scale_input, layout.normalized_shape, node.describe() + " input 1 (Scale)");
  Tensor bias;
  if (bias_input) bias = broadcast_to(*bias_input, layout.normalized_shape, node.describe() + " input 2 (B)");
  op_shapes::check_layer_norm_dtypes(node, x, scale_input, bias_input);

  Tensor output(x.dtype(), x.shape());
  Tensor row_means(DType::Float64, statistics_shape);
  Tensor row_inv_stds(DType::Float64, statistics_shape);
  dispatch_float(x.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = x.data<T>();
    const T* gamma = scale.data<T>();
    const T* beta = bias.defined() ? bias.data<T>() : nullptr;
    T* out = output.data<T>();
    double* means = row_means.data<double>();
    double* inv_stds = row_inv_stds.data<double>();
#pragma omp parallel for if (x.numel() >= kParallelElementThreshold) schedule(static)
    for (int64_t row = 0; row < rows; ++row) {
      const T* xr = in + row * row_length;
      T* yr = out + row * row_length;
      double sum = 0;
      for (int64_t i = 0; i < row_length; ++i) sum += static_cast<double>(xr[i]);
      const double mean = row_length ? sum / static_cast<double>(row_length) : 0.0;
      double squares = 0;
      for (int64_t i = 0; i < row_length; ++i) {
        const double centred = static_cast<double>(xr[i]) - mean;
        squares += centred * centred;
      }
      const double variance = row_length ? squares / static_cast<double>(row_length) : 0.0;
      const double inv_std = 1.0 / std::sqrt(variance + epsilon);
      for (int64_t i = 0; i < row_length; ++i) {
        double y = (static_cast<double>(xr[i]) - mean) * inv_std * static_cast<double>(gamma[i]);
        if (beta) y += static_cast<double>(beta[i]);
        yr[i] = static_cast<T>(y);
      }
      means[row] = mean;
      inv_stds[row] = inv_std;
    }
  });
  // Only as many outputs as the node declares (Mean and InvStdDev are optional).
  Outputs results{output};
  if (node.outputs.size() > 1) results.push_back(cast_tensor(row_means, stash));
  if (node.outputs.size() > 2) results.push_back(cast_tensor(row_inv_stds, stash));
  return results;
}

}  // namespace

void register_reduction_kernels(KernelRegistry& registry) {
  registry.add("ReduceSum", reduce_kernel<SumFold>);
  registry.add("ReduceMean", reduce_kernel<MeanFold>);
  registry.add("ReduceMax", reduce_kernel<MaxFold>);
  registry.add("ReduceMin", reduce_kernel<MinFold>);
  registry.add("ReduceProd", reduce_kernel<ProdFold>);
  registry.add("ReduceL2", reduce_kernel<L2Fold>);
  registry.add("ReduceSumSquare", reduce_kernel<SumSquareFold>);
  registry.add("ArgMax", arg_extreme_kernel<true>);
  registry.add("ArgMin", arg_extreme_kernel<false>);
  registry.add("Softmax", softmax_kernel<false>);
  registry.add("LogSoftmax", softmax_kernel<true>);
  registry.add("CumSum", cumsum_kernel);
  registry.add("BatchNormalization", batch_normalization_kernel);
  registry.add("LayerNormalization", layer_normalization_kernel);
}

}  // namespace gnnrt::cpu
