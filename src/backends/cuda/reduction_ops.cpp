// CUDA host side of the reductions and axis-wise normalisations: the checks and error messages
// shared with the CPU reference (backends/op_shapes/reduction.h), the reduction layout (merged kept
// and reduced dims, so that any set of axes works without a transpose), and calls to
// launch/reduction.cuh.
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "backends/cpu/broadcast.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/launch/elementwise.cuh"
#include "backends/cuda/launch/reduction.cuh"
#include "backends/cuda/op_helpers.h"
#include "backends/op_shapes/reduction.h"

namespace gnnrt::cuda {

namespace {

using op_shapes::AxisSplit;
using op_shapes::split_at_axis;

// ---------------------------------------------------------------- Reduce*

// The output shape and the kernel geometry: dims of size 1 dropped, neighbouring dims of the same
// kind (kept or reduced) merged, as the CPU's ReductionLayout.
ReduceGeometry reduction_geometry(const ir::Node& node, const Dims& shape, const std::vector<bool>& reduce_axis,
                                  bool keepdims, Dims& output_shape) {
  const op_shapes::ReductionDims dims = op_shapes::reduction_dims(shape, reduce_axis, keepdims);
  output_shape = dims.output_shape;
  ReduceGeometry geometry;
  geometry.outputs = element_count(output_shape);
  geometry.reduced = dims.reduced_count;
  for (const op_shapes::ReductionDims::Run& run : dims.runs) {
    int32_t& rank = run.reduced ? geometry.reduced_rank : geometry.kept_rank;
    if (rank == kMaxReduceDims)
      fail_input(node.describe(), ": reducing ", shape_to_string(shape), " over these axes needs more than ",
                 kMaxReduceDims, " separate runs of dimensions, which the CUDA backend does not handle; run on the CPU");
    (run.reduced ? geometry.reduced_sizes : geometry.kept_sizes)[rank] = run.size;
    (run.reduced ? geometry.reduced_strides : geometry.kept_strides)[rank] = run.stride;
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
  const std::vector<bool> reduce_axis = op_shapes::reduced_axes(node, inputs, data.rank(), host_reader(context));
  const ReduceGeometry geometry = reduction_geometry(node, data.shape(), reduce_axis, keepdims, output_shape);
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

template <bool IsMax>
Outputs arg_extreme_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  const op_shapes::ArgExtremeLayout layout = op_shapes::arg_extreme_layout(node, data, IsMax);
  const AxisSplit& split = layout.split;
  Tensor output = context.allocate(DType::Int64, layout.output_shape);
  if (output.numel() == 0) return {output};
  if (!arg_extreme_supported(data.dtype()))
    fail_input(node.describe(), ": dtype ", dtype_name(data.dtype()), " is not supported here");
  launch_arg_extreme(data.dtype(), IsMax, layout.select_last, data.raw(), static_cast<int64_t*>(output.raw()),
                     split.outer, split.length, split.inner, context.stream);
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
  const int64_t axis = op_shapes::cumsum_axis(node, data, axis_tensor, host_reader(context));
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
  op_shapes::check_batch_norm_inputs(node, inputs);
  const int64_t channels = x.dim(1);
  for (size_t index = 1; index <= 4; ++index) require_device(node, *inputs[index], index);
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
  cpu::require_broadcastable_to(parameter, shape, what);
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
  const op_shapes::LayerNormLayout layout = op_shapes::layer_norm_layout(node, x);
  const DType stash = layout.stash;
  require_device(node, x, 0);

  const Dims& normalized_shape = layout.normalized_shape;
  const Tensor scale =
      broadcast_parameter(node, scale_input, 1, normalized_shape, node.describe() + " input 1 (Scale)", context);
  Tensor bias;
  if (bias_input)
    bias = broadcast_parameter(node, *bias_input, 2, normalized_shape, node.describe() + " input 2 (B)", context);
  op_shapes::check_layer_norm_dtypes(node, x, scale_input, bias_input);
  if (!layer_norm_supported(x.dtype(), stash))
    fail_input(node.describe(), ": dtype ", dtype_name(x.dtype()),
               " is not supported here (expected float32 or float64)");

  const Dims& statistics_shape = layout.statistics_shape;

  Outputs results{context.allocate(x.dtype(), x.shape())};
  // Only as many outputs as the node declares (Mean and InvStdDev are optional).
  if (node.outputs.size() > 1) results.push_back(context.allocate(stash, statistics_shape));
  if (node.outputs.size() > 2) results.push_back(context.allocate(stash, statistics_shape));
  void* means = results.size() > 1 ? results[1].raw() : nullptr;
  void* inv_stds = results.size() > 2 ? results[2].raw() : nullptr;
  launch_layer_norm(x.dtype(), stash, x.raw(), scale.raw(), bias.defined() ? bias.raw() : nullptr, results[0].raw(),
                    means, inv_stds, layout.rows, layout.row_length, layout.epsilon, context.stream);
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
