#include "backends/op_shapes/reduction.h"

namespace gnnrt::op_shapes {

std::vector<bool> reduced_axes(const ir::Node& node, const KernelInputs& inputs, int64_t rank,
                               const HostReader& reader) {
  std::vector<int64_t> axes;
  if (const Tensor* axes_input = optional_input(inputs, 1)) {
    if (!is_integer(axes_input->dtype()))
      fail_input(node.describe(), ": input 1 (axes) must be an int64 tensor, got ", axes_input->describe());
    axes = on_host(*axes_input, reader).to_int_vector();
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

ReductionDims reduction_dims(const Dims& shape, const std::vector<bool>& reduce_axis, bool keepdims) {
  ReductionDims result;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (reduce_axis[d]) {
      result.reduced_count *= shape[d];
      if (keepdims) result.output_shape.push_back(1);
    } else {
      result.output_shape.push_back(shape[d]);
    }
    if (shape[d] == 1) continue;
    if (!result.runs.empty() && result.runs.back().reduced == reduce_axis[d]) result.runs.back().size *= shape[d];
    else result.runs.push_back({shape[d], static_cast<bool>(reduce_axis[d]), 1});
  }
  int64_t stride = 1;
  for (size_t d = result.runs.size(); d-- > 0;) {
    result.runs[d].stride = stride;
    stride *= result.runs[d].size;
  }
  return result;
}

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

ArgExtremeLayout arg_extreme_layout(const ir::Node& node, const Tensor& data, bool is_max) {
  ArgExtremeLayout layout;
  layout.axis = normalize_axis(node, node.attr_int("axis", 0), data.rank());
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  layout.select_last = node.attr_int("select_last_index", 0) != 0;
  layout.split = split_at_axis(data.shape(), layout.axis);
  layout.output_shape = data.shape();
  if (data.rank() > 0) {
    if (keepdims) layout.output_shape[static_cast<size_t>(layout.axis)] = 1;
    else layout.output_shape.erase(layout.output_shape.begin() + layout.axis);
  }
  if (element_count(layout.output_shape) != 0 && layout.split.length == 0)
    fail_input(node.describe(), ": cannot take the arg", is_max ? "max" : "min", " of ", data.describe(),
               " over axis ", layout.axis, ", which has size 0");
  return layout;
}

int64_t cumsum_axis(const ir::Node& node, const Tensor& data, const Tensor& axis_tensor, const HostReader& reader) {
  if (!is_integer(axis_tensor.dtype()) || axis_tensor.numel() != 1)
    fail_input(node.describe(), ": input 1 (axis) must be an int32 or int64 scalar, got ", axis_tensor.describe());
  return normalize_axis(node, on_host(axis_tensor, reader).scalar_as_int(0), data.rank());
}

void check_batch_norm_inputs(const ir::Node& node, const KernelInputs& inputs) {
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
  }
}

LayerNormLayout layer_norm_layout(const ir::Node& node, const Tensor& x) {
  if (x.rank() == 0) fail_input(node.describe(), ": X must have rank >= 1, got ", x.describe());
  LayerNormLayout layout;
  layout.axis = normalize_axis(node, node.attr_int("axis", -1), x.rank());
  layout.epsilon = node.attr_float("epsilon", 1e-5f);
  layout.stash = dtype_from_onnx(static_cast<int32_t>(node.attr_int("stash_type", 1)));
  if (layout.stash != DType::Float32 && layout.stash != DType::Float64)
    fail_input(node.describe(), ": stash_type ", node.attr_int("stash_type", 1), " is not supported (use 1, float32)");
  layout.normalized_shape.assign(x.shape().begin() + layout.axis, x.shape().end());
  layout.statistics_shape.assign(x.shape().begin(), x.shape().begin() + layout.axis);
  layout.statistics_shape.resize(x.shape().size(), 1);
  layout.row_length = element_count(layout.normalized_shape);
  layout.rows = element_count(layout.statistics_shape);
  return layout;
}

void check_layer_norm_dtypes(const ir::Node& node, const Tensor& x, const Tensor& scale, const Tensor* bias) {
  for (const Tensor* parameter : {&scale, bias})
    if (parameter && parameter->dtype() != x.dtype())
      fail_input(node.describe(), ": Scale and B must have X's dtype ", dtype_name(x.dtype()), ", got ",
                 parameter->describe());
}

}  // namespace gnnrt::op_shapes
