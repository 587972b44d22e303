// CUDA host side of the reductions and axis-wise normalisations: the CPU reference's checks and
// error messages (backends/cpu/reduction.cpp), the reduction layout (merged kept and reduced
// dims, so that any set of axes works without a transpose), and calls to launch/reduction.cuh.
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "backends/cpu/broadcast.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/launch/elementwise.cuh"
#include "backends/cuda/launch/reduction.cuh"

namespace gnnrt::cuda {

namespace {

using Outputs = std::vector<Tensor>;
using cpu::normalize_axis;
using cpu::require_input;

const Tensor* optional_input(const KernelInputs& inputs, size_t index) {
  return index < inputs.size() ? inputs[index] : nullptr;
}

DType dtype_at(const std::vector<DType>& dtypes, size_t index) {
  return index < dtypes.size() ? dtypes[index] : DType::Undefined;
}

template <typename Fn>
bool attributes_ok(Fn&& check) {
  try {
    return check();
  } catch (const Error&) {
    return false;
  }
}

void require_device(const ir::Node& node, const Tensor& tensor, size_t index) {
  GNNRT_CHECK(!tensor.on_host(), node.describe(), ": input ", index, " reached the CUDA kernel in host memory");
}

// Small parameter tensors (axes, CumSum's axis) are read on the host; a device copy comes back
// first (a synchronisation, but these are normally constants the executor keeps on the host).
Tensor host_copy(const Tensor& tensor, CudaKernelContext& context) {
  return tensor.on_host() ? tensor : context.to_host(tensor);
}

// Scratch memory of `bytes` for a launch (an empty tensor when none is needed).
Tensor scratch_tensor(size_t bytes, CudaKernelContext& context) {
  if (bytes == 0) return Tensor();
  return context.allocate(DType::UInt8, {static_cast<int64_t>(bytes)});
}

void* scratch_pointer(Tensor& scratch) { return scratch.defined() ? scratch.raw() : nullptr; }

// ---------------------------------------------------------------- Reduce*

// Which axes a Reduce* node folds: the optional `axes` input (opset 18), all axes when it is
// absent or empty, none when it is empty and noop_with_empty_axes=1.
std::vector<bool> reduced_axes(const ir::Node& node, const KernelInputs& inputs, int64_t rank,
                               CudaKernelContext& context) {
  std::vector<int64_t> axes;
  if (const Tensor* axes_input = optional_input(inputs, 1)) {
    if (!is_integer(axes_input->dtype()))
      fail_input(node.describe(), ": input 1 (axes) must be an int64 tensor, got ", axes_input->describe());
    axes = host_copy(*axes_input, context).to_int_vector();
  } else {
    axes = node.attr_ints("axes");  // pre-opset-18 form, should the importer leave it
  }
  const size_t dims = static_cast<size_t>(rank);
  if (axes.empty()) return std::vector<bool>(dims, node.attr_int("noop_with_empty_axes", 0) == 0);
  std::vector<bool> reduce(dims, false);
  for (int64_t axis : axes) {
    const int64_t normalized = normalize_axis(node, axis, rank);
    if (rank == 0) continue;  // a scalar: nothing to fold whatever the axis
    if (reduce[static_cast<size_t>(normalized)])
      fail_input(node.describe(), ": axis ", axis, " appears more than once in axes");
    reduce[static_cast<size_t>(normalized)] = true;
  }
  return reduce;
}

// The output shape and the kernel geometry: dims of size 1 dropped, neighbouring dims of the same
// kind (kept or reduced) merged, as the CPU's ReductionLayout.
ReduceGeometry reduction_geometry(const ir::Node& node, const Dims& shape, const std::vector<bool>& reduce_axis,
                                  bool keepdims, Dims& output_shape) {
  struct Merged {
    int64_t size;
    bool reduced;
  };
  std::vector<Merged> merged;
  int64_t reduced_count = 1;
  output_shape.clear();
  for (size_t d = 0; d < shape.size(); ++d) {
    if (reduce_axis[d]) {
      reduced_count *= shape[d];
      if (keepdims) output_shape.push_back(1);
    } else {
      output_shape.push_back(shape[d]);
    }
    if (shape[d] == 1) continue;
    if (!merged.empty() && merged.back().reduced == reduce_axis[d]) merged.back().size *= shape[d];
    else merged.push_back({shape[d], reduce_axis[d]});
  }
  ReduceGeometry geometry;
  geometry.outputs = element_count(output_shape);
  geometry.reduced = reduced_count;
  int64_t stride = 1;
  std::vector<int64_t> strides(merged.size());
  for (size_t d = merged.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= merged[d].size;
  }
  for (size_t d = 0; d < merged.size(); ++d) {
    int32_t& rank = merged[d].reduced ? geometry.reduced_rank : geometry.kept_rank;
    if (rank == kMaxReduceDims)
      fail_input(node.describe(), ": reducing ", shape_to_string(shape), " over these axes needs more than ",
                 kMaxReduceDims, " separate runs of dimensions, which the CUDA backend does not handle; run on the CPU");
    (merged[d].reduced ? geometry.reduced_sizes : geometry.kept_sizes)[rank] = merged[d].size;
    (merged[d].reduced ? geometry.reduced_strides : geometry.kept_strides)[rank] = strides[d];
    ++rank;
  }
  return geometry;
}

template <ReduceOp Op>
Outputs reduce_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  Dims output_shape;
  const ReduceGeometry geometry = reduction_geometry(
      node, data.shape(), reduced_axes(node, inputs, data.rank(), context), keepdims, output_shape);
  if (!reduce_supported(Op, data.dtype()))
    fail_input(node.describe(), ": dtype ", dtype_name(data.dtype()), " is not supported here");
  Tensor output = context.allocate(data.dtype(), output_shape);
  if (output.numel() == 0) return {output};
  Tensor scratch = scratch_tensor(reduce_scratch_bytes(Op, data.dtype(), geometry), context);
  launch_reduce(Op, data.dtype(), data.raw(), output.raw(), geometry, scratch_pointer(scratch), context.stream);
  return {output};
}

template <ReduceOp Op>
bool reduce_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  const DType axes = dtype_at(dtypes, 1);
  return !dtypes.empty() && reduce_supported(Op, dtypes[0]) && (axes == DType::Undefined || is_integer(axes));
}

// ---------------------------------------------------------------- single-axis ops

struct AxisSplit {
  int64_t outer = 1;
  int64_t length = 1;
  int64_t inner = 1;
};

AxisSplit split_at_axis(const Dims& shape, int64_t axis) {
  AxisSplit split;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    const int64_t size = shape[static_cast<size_t>(d)];
    if (d < axis) split.outer *= size;
    else if (d == axis) split.length = size;
    else split.inner *= size;
  }
  return split;
}

template <bool IsMax>
Outputs arg_extreme_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  const int64_t axis = normalize_axis(node, node.attr_int("axis", 0), data.rank());
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  const bool select_last = node.attr_int("select_last_index", 0) != 0;
  const AxisSplit split = split_at_axis(data.shape(), axis);
  Dims output_shape = data.shape();
  if (data.rank() > 0) {
    if (keepdims) output_shape[static_cast<size_t>(axis)] = 1;
    else output_shape.erase(output_shape.begin() + axis);
  }
  Tensor output = context.allocate(DType::Int64, output_shape);
  if (output.numel() == 0) return {output};
  if (split.length == 0)
    fail_input(node.describe(), ": cannot take the arg", IsMax ? "max" : "min", " of ", data.describe(),
               " over axis ", axis, ", which has size 0");
  if (!arg_extreme_supported(data.dtype()))
    fail_input(node.describe(), ": dtype ", dtype_name(data.dtype()), " is not supported here");
  launch_arg_extreme(data.dtype(), IsMax, select_last, data.raw(), static_cast<int64_t*>(output.raw()), split.outer,
                     split.length, split.inner, context.stream);
  return {output};
}

bool arg_extreme_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return !dtypes.empty() && arg_extreme_supported(dtypes[0]);
}

template <bool IsLog>
Outputs softmax_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  const int64_t axis = normalize_axis(node, node.attr_int("axis", -1), data.rank());
  const AxisSplit split = split_at_axis(data.shape(), axis);
  if (!softmax_supported(data.dtype()))
    fail_input(node.describe(), ": dtype ", dtype_name(data.dtype()),
               " is not supported here (expected float32 or float64)");
  Tensor output = context.allocate(data.dtype(), data.shape());
  if (output.numel() == 0) return {output};
  launch_softmax(data.dtype(), IsLog, data.raw(), output.raw(), split.outer, split.length, split.inner,
                 context.stream);
  return {output};
}

bool softmax_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return !dtypes.empty() && softmax_supported(dtypes[0]);
}

Outputs cumsum_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  const Tensor& axis_tensor = require_input(node, inputs, 1);
  require_device(node, data, 0);
  if (!is_integer(axis_tensor.dtype()) || axis_tensor.numel() != 1)
    fail_input(node.describe(), ": input 1 (axis) must be an int32 or int64 scalar, got ", axis_tensor.describe());
  const int64_t axis = normalize_axis(node, host_copy(axis_tensor, context).scalar_as_int(0), data.rank());
  const bool exclusive = node.attr_int("exclusive", 0) != 0;
  const bool reverse = node.attr_int("reverse", 0) != 0;
  const AxisSplit split = split_at_axis(data.shape(), axis);
  if (!cumsum_supported(data.dtype()))
    fail_input(node.describe(), ": dtype ", dtype_name(data.dtype()), " is not supported here");
  Tensor output = context.allocate(data.dtype(), data.shape());
  if (output.numel() == 0) return {output};
  Tensor scratch =
      scratch_tensor(cumsum_scratch_bytes(data.dtype(), split.outer, split.length, split.inner), context);
  launch_cumsum(data.dtype(), exclusive, reverse, data.raw(), output.raw(), split.outer, split.length, split.inner,
                scratch_pointer(scratch), context.stream);
  return {output};
}

bool cumsum_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return dtypes.size() >= 2 && cumsum_supported(dtypes[0]) && is_integer(dtypes[1]);
}

// ---------------------------------------------------------------- normalisations

Outputs batch_normalization_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& x = require_input(node, inputs, 0);
  if (node.attr_int("training_mode", 0) != 0)
    fail_input(node.describe(), ": training_mode=1 is not supported (gnnrt runs inference; export the model in eval mode)");
  if (x.rank() < 2) fail_input(node.describe(), ": X must have rank >= 2 ([N, C, ...]), got ", x.describe());
  const int64_t channels = x.dim(1);
  const char* names[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (size_t index = 1; index <= 4; ++index) {
    const Tensor& parameter = require_input(node, inputs, index);
    if (parameter.dtype() != x.dtype() || parameter.rank() != 1 || parameter.dim(0) != channels)
      fail_input(node.describe(), ": input ", index, " (", names[index], ") must be ", dtype_name(x.dtype()), "[",
                 channels, "] to match X ", x.describe(), ", got ", parameter.describe());
    require_device(node, parameter, index);
  }
  require_device(node, x, 0);
  if (!batch_norm_supported(x.dtype()))
    fail_input(node.describe(), ": dtype ", dtype_name(x.dtype()),
               " is not supported here (expected float32 or float64)");
  const double epsilon = node.attr_float("epsilon", 1e-5f);
  Tensor output = context.allocate(x.dtype(), x.shape());
  if (x.numel() == 0) return {output};
  Tensor coefficients = context.allocate(x.dtype(), {2 * channels});
  const int64_t batch = x.dim(0);
  const int64_t spatial = x.numel() / (batch * channels);  // not 0: X is not empty
  launch_batch_norm(x.dtype(), x.raw(), inputs[1]->raw(), inputs[2]->raw(), inputs[3]->raw(), inputs[4]->raw(),
                    epsilon, output.raw(), batch, channels, spatial, coefficients.raw(), context.stream);
  return {output};
}

bool batch_normalization_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  if (dtypes.size() < 5 || !batch_norm_supported(dtypes[0])) return false;
  for (size_t index = 1; index <= 4; ++index)
    if (dtypes[index] != dtypes[0]) return false;
  return attributes_ok([&] { return node.attr_int("training_mode", 0) == 0; });
}

// Scale or B as a device tensor of exactly `shape` (numpy broadcast_to, with the CPU's checks).
Tensor broadcast_parameter(const ir::Node& node, const Tensor& parameter, size_t index, const Dims& shape,
                           const std::string& what, CudaKernelContext& context) {
  const Dims result = cpu::broadcast_shapes({parameter.shape(), shape}, what);
  if (result != shape)
    fail_input(what, ": cannot broadcast ", parameter.describe(), " to shape ", shape_to_string(shape),
               " (the result would be ", shape_to_string(result), ")");
  require_device(node, parameter, index);
  if (parameter.numel() == element_count(shape)) return parameter;  // same elements in the same order
  Tensor expanded = context.allocate(parameter.dtype(), shape);
  if (expanded.numel() == 0) return expanded;
  BroadcastIndexing indexing;
  GNNRT_CHECK(make_broadcast_indexing({parameter.shape()}, shape, indexing), "broadcast of ", parameter.describe(),
              " to ", shape_to_string(shape));
  launch_broadcast_copy(dtype_size(parameter.dtype()), parameter.raw(), expanded.raw(), indexing, expanded.numel(),
                        context.stream);
  return expanded;
}

// LayerNormalization (opset 17): normalises over X.shape[axis:], then scale and optional bias.
// Optional outputs Mean and InvStdDev have X.shape[:axis] followed by 1s, in stash_type.
Outputs layer_normalization_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& x = require_input(node, inputs, 0);
  const Tensor& scale_input = require_input(node, inputs, 1);
  const Tensor* bias_input = optional_input(inputs, 2);
  if (x.rank() == 0) fail_input(node.describe(), ": X must have rank >= 1, got ", x.describe());
  const int64_t axis = normalize_axis(node, node.attr_int("axis", -1), x.rank());
  const double epsilon = node.attr_float("epsilon", 1e-5f);
  const DType stash = dtype_from_onnx(static_cast<int32_t>(node.attr_int("stash_type", 1)));
  if (stash != DType::Float32 && stash != DType::Float64)
    fail_input(node.describe(), ": stash_type ", node.attr_int("stash_type", 1), " is not supported (use 1, float32)");
  require_device(node, x, 0);

  const Dims normalized_shape(x.shape().begin() + axis, x.shape().end());
  const Tensor scale =
      broadcast_parameter(node, scale_input, 1, normalized_shape, node.describe() + " input 1 (Scale)", context);
  Tensor bias;
  if (bias_input)
    bias = broadcast_parameter(node, *bias_input, 2, normalized_shape, node.describe() + " input 2 (B)", context);
  for (const Tensor* parameter : {&scale_input, bias_input})
    if (parameter && parameter->dtype() != x.dtype())
      fail_input(node.describe(), ": Scale and B must have X's dtype ", dtype_name(x.dtype()), ", got ",
                 parameter->describe());
  if (!layer_norm_supported(x.dtype(), stash))
    fail_input(node.describe(), ": dtype ", dtype_name(x.dtype()),
               " is not supported here (expected float32 or float64)");

  Dims statistics_shape(x.shape().begin(), x.shape().begin() + axis);
  statistics_shape.resize(x.shape().size(), 1);
  const int64_t row_length = element_count(normalized_shape);
  const int64_t rows = element_count(statistics_shape);

  Outputs results{context.allocate(x.dtype(), x.shape())};
  // Only as many outputs as the node declares (Mean and InvStdDev are optional).
  if (node.outputs.size() > 1) results.push_back(context.allocate(stash, statistics_shape));
  if (node.outputs.size() > 2) results.push_back(context.allocate(stash, statistics_shape));
  void* means = results.size() > 1 ? results[1].raw() : nullptr;
  void* inv_stds = results.size() > 2 ? results[2].raw() : nullptr;
  launch_layer_norm(x.dtype(), stash, x.raw(), scale.raw(), bias.defined() ? bias.raw() : nullptr, results[0].raw(),
                    means, inv_stds, rows, row_length, epsilon, context.stream);
  return results;
}

bool layer_normalization_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  if (dtypes.size() < 2 || dtypes[1] != dtypes[0]) return false;
  const DType bias = dtype_at(dtypes, 2);
  if (bias != DType::Undefined && bias != dtypes[0]) return false;
  return attributes_ok([&] {
    const DType stash = dtype_from_onnx(static_cast<int32_t>(node.attr_int("stash_type", 1)));
    return layer_norm_supported(dtypes[0], stash);
  });
}

}  // namespace

void register_cuda_reduction_kernels(CudaKernelRegistry& registry) {
  registry.add("ReduceSum", {reduce_kernel<ReduceOp::Sum>, reduce_supports<ReduceOp::Sum>});
  registry.add("ReduceMean", {reduce_kernel<ReduceOp::Mean>, reduce_supports<ReduceOp::Mean>});
  registry.add("ReduceMax", {reduce_kernel<ReduceOp::Max>, reduce_supports<ReduceOp::Max>});
  registry.add("ReduceMin", {reduce_kernel<ReduceOp::Min>, reduce_supports<ReduceOp::Min>});
  registry.add("ReduceProd", {reduce_kernel<ReduceOp::Prod>, reduce_supports<ReduceOp::Prod>});
  registry.add("ReduceL2", {reduce_kernel<ReduceOp::L2>, reduce_supports<ReduceOp::L2>});
  registry.add("ReduceSumSquare", {reduce_kernel<ReduceOp::SumSquare>, reduce_supports<ReduceOp::SumSquare>});
  registry.add("ArgMax", {arg_extreme_kernel<true>, arg_extreme_supports});
  registry.add("ArgMin", {arg_extreme_kernel<false>, arg_extreme_supports});
  registry.add("Softmax", {softmax_kernel<false>, softmax_supports});
  registry.add("LogSoftmax", {softmax_kernel<true>, softmax_supports});
  registry.add("CumSum", {cumsum_kernel, cumsum_supports});
  registry.add("BatchNormalization", {batch_normalization_kernel, batch_normalization_supports});
  registry.add("LayerNormalization", {layer_normalization_kernel, layer_normalization_supports});
}

}  // namespace gnnrt::cuda
