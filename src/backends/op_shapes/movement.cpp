#include "backends/op_shapes/movement.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/dispatch.h"

namespace gnnrt::op_shapes {

namespace {

// torch.cat accepts legacy empty 1-D [0] tensors beside tensors of any rank; they add nothing.
bool is_legacy_empty(const Tensor& t) { return t.rank() == 1 && t.dim(0) == 0; }

}  // namespace

void check_dropout_inference(const ir::Node& node, const KernelInputs& inputs, const HostReader& reader) {
  if (node.has_input(2) && inputs.size() > 2 && inputs[2] && inputs[2]->numel() > 0 &&
      on_host(*inputs[2], reader).scalar_as_double() != 0.0)
    fail_input(node.describe(), ": training_mode=true is not supported by an inference engine; export the model "
               "in eval mode (model.eval())");
}

ConcatLayout concat_layout(const ir::Node& node, const KernelInputs& inputs) {
  if (inputs.empty()) fail_input(node.describe(), ": needs at least one input");
  for (size_t k = 0; k < inputs.size(); ++k) require_input(node, inputs, k);
  size_t reference_index = 0;  // the input whose shape the others must match
  for (size_t k = 0; k < inputs.size(); ++k)
    if (!is_legacy_empty(*inputs[k])) {
      reference_index = k;
      break;
    }
  const Tensor& reference = *inputs[reference_index];
  const int64_t rank = reference.rank();
  if (rank == 0)
    fail_input(node.describe(), ": cannot concatenate scalars (input ", reference_index, " is ", reference.describe(),
               ")");
  if (!node.has_attribute("axis")) fail_input(node.describe(), ": required attribute 'axis' is missing");
  ConcatLayout layout;
  layout.axis = normalize_axis(node, node.attr_int("axis", 0), rank);
  const int64_t axis = layout.axis;
  layout.output_shape = reference.shape();
  layout.output_shape[static_cast<size_t>(axis)] = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& t = *inputs[k];
    if (t.dtype() != reference.dtype())
      fail_input(node.describe(), ": input ", k, " is ", t.describe(), " but input ", reference_index, " is ",
                 reference.describe(), " (dtypes must match)");
    if (t.rank() != rank && is_legacy_empty(t)) continue;
    if (t.rank() != rank)
      fail_input(node.describe(), ": input ", k, " is ", t.describe(), " but input ", reference_index, " is ",
                 reference.describe(), " (ranks must match)");
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t.dim(d) != reference.dim(d))
        fail_input(node.describe(), ": input ", k, " is ", t.describe(), " but input ", reference_index, " is ",
                   reference.describe(), " (dimension ", d, " must match; only axis ", axis, " may differ)");
    layout.output_shape[static_cast<size_t>(axis)] += t.dim(axis);
    layout.parts.push_back(k);
  }
  layout.outer = product(layout.output_shape, 0, static_cast<size_t>(axis));
  layout.inner = product(layout.output_shape, static_cast<size_t>(axis) + 1, layout.output_shape.size());
  return layout;
}

SplitLayout split_layout(const ir::Node& node, const Tensor& data, const KernelInputs& inputs,
                         const HostReader& reader) {
  if (data.rank() == 0) fail_input(node.describe(), ": cannot split a scalar");
  SplitLayout layout;
  layout.axis = normalize_axis(node, node.attr_int("axis", 0), data.rank());
  const int64_t axis = layout.axis;
  const int64_t extent = data.dim(axis);
  const int64_t output_count = static_cast<int64_t>(node.outputs.size());
  std::vector<int64_t>& sizes = layout.sizes;
  if (node.has_input(1)) {
    sizes = int_values(node, require_input(node, inputs, 1), "split", reader);
    int64_t sum = 0;
    for (int64_t s : sizes) {
      if (s < 0) fail_input(node.describe(), ": split sizes ", shape_to_string(sizes), " contain a negative size");
      sum += s;
    }
    if (sum != extent)
      fail_input(node.describe(), ": split sizes ", shape_to_string(sizes), " sum to ", sum, " but axis ", axis,
                 " of ", data.describe(), " has size ", extent);
    if (static_cast<int64_t>(sizes.size()) != output_count)
      fail_input(node.describe(), ": split has ", sizes.size(), " sizes but the node has ", output_count, " outputs");
  } else if (node.has_attribute("num_outputs")) {
    const int64_t parts = node.attr_int("num_outputs", 0);
    if (parts < 1 || parts != output_count)
      fail_input(node.describe(), ": num_outputs=", parts, " but the node has ", output_count, " outputs");
    // Opset 18: chunks of ceil(extent / parts); the last ones get what is left.
    const int64_t chunk = (extent + parts - 1) / parts;
    int64_t left = extent;
    for (int64_t i = 0; i < parts; ++i) {
      sizes.push_back(std::min(chunk, left));
      left -= sizes.back();
    }
  } else {
    if (output_count < 1 || extent % output_count != 0)
      fail_input(node.describe(), ": axis ", axis, " of ", data.describe(), " (size ", extent,
                 ") does not split evenly into ", output_count, " outputs");
    sizes.assign(static_cast<size_t>(output_count), extent / output_count);
  }
  layout.outer = product(data.shape(), 0, static_cast<size_t>(axis));
  layout.inner = product(data.shape(), static_cast<size_t>(axis) + 1, data.shape().size());
  return layout;
}

StridedView slice_view(const ir::Node& node, const Tensor& data, const KernelInputs& inputs,
                       const HostReader& reader) {
  const int64_t rank = data.rank();
  const auto starts = int_values(node, require_input(node, inputs, 1), "starts", reader);
  const auto ends = int_values(node, require_input(node, inputs, 2), "ends", reader);
  if (starts.size() != ends.size())
    fail_input(node.describe(), ": starts has ", starts.size(), " values but ends has ", ends.size());
  std::vector<int64_t> raw_axes;
  if (node.has_input(3)) {
    raw_axes = int_values(node, require_input(node, inputs, 3), "axes", reader);
  } else {
    for (size_t i = 0; i < starts.size(); ++i) raw_axes.push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> steps(starts.size(), 1);
  if (node.has_input(4)) steps = int_values(node, require_input(node, inputs, 4), "steps", reader);
  if (raw_axes.size() != starts.size() || steps.size() != starts.size())
    fail_input(node.describe(), ": starts, ends, axes and steps must have the same length (got ", starts.size(), ", ",
               ends.size(), ", ", raw_axes.size(), ", ", steps.size(), ")");
  const auto axes = normalize_axes(node, raw_axes, rank);

  StridedView view;
  view.output_shape = data.shape();
  std::vector<int64_t> first(static_cast<size_t>(rank), 0);
  std::vector<int64_t> step_of(static_cast<size_t>(rank), 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    const size_t a = static_cast<size_t>(axes[i]);
    const int64_t dim = data.shape()[a];
    const int64_t step = steps[i];
    if (step == 0) fail_input(node.describe(), ": step for axis ", axes[i], " is 0");
    // Negative values count from the end; then clamp as the ONNX spec does. torch writes
    // INT64_MAX (or INT64_MIN for reversed slices) to mean "to the end".
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    int64_t count = 0;
    if (dim == 0) {
      count = 0;  // nothing to take (and the clamps below need dim >= 1)
    } else if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      if (end > start) count = (end - start - 1) / step + 1;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      const int64_t magnitude =
          step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step;
      if (start > end) count = (start - end - 1) / magnitude + 1;
    }
    view.output_shape[a] = count;
    first[a] = count > 0 ? start : 0;
    step_of[a] = step;
  }
  const auto in_strides = contiguous_strides(data.shape());
  view.strides.resize(static_cast<size_t>(rank));
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    view.base += first[d] * in_strides[d];
    view.strides[d] = view.output_shape[d] == 1 ? 0 : step_of[d] * in_strides[d];
  }
  return view;
}

StridedView transpose_view(const ir::Node& node, const Tensor& data) {
  const int64_t rank = data.rank();
  std::vector<int64_t> perm = node.attr_ints("perm");
  if (!node.has_attribute("perm"))
    for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
  if (static_cast<int64_t>(perm.size()) != rank)
    fail_input(node.describe(), ": perm ", shape_to_string(perm), " has ", perm.size(), " entries but the input ",
               data.describe(), " has rank ", rank);
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[static_cast<size_t>(p)])
      fail_input(node.describe(), ": perm ", shape_to_string(perm), " is not a permutation of 0..", rank - 1);
    seen[static_cast<size_t>(p)] = true;
  }
  const auto in_strides = contiguous_strides(data.shape());
  StridedView view;
  view.output_shape.resize(static_cast<size_t>(rank));
  view.strides.resize(static_cast<size_t>(rank));
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    view.output_shape[d] = data.shape()[static_cast<size_t>(perm[d])];
    view.strides[d] = in_strides[static_cast<size_t>(perm[d])];
  }
  return view;
}

StridedView expand_view(const ir::Node& node, const Tensor& data, const KernelInputs& inputs,
                        const HostReader& reader) {
  const auto target = int_values(node, require_input(node, inputs, 1), "shape", reader);
  // Bidirectional (numpy) broadcast of the data's shape with the requested one.
  const size_t rank = std::max(target.size(), data.shape().size());
  StridedView view;
  view.output_shape.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t a = i + data.shape().size() >= rank ? data.shape()[i + data.shape().size() - rank] : 1;
    const int64_t b = i + target.size() >= rank ? target[i + target.size() - rank] : 1;
    if (b < 0) fail_input(node.describe(), ": shape ", shape_to_string(target), " has a negative dimension");
    if (a != b && a != 1 && b != 1)
      fail_input(node.describe(), ": cannot broadcast ", data.describe(), " to shape ", shape_to_string(target),
                 " (dimension ", i, " of the result: ", a, " vs ", b, ")");
    view.output_shape[i] = a == 1 ? b : a;
  }
  const auto in_strides = contiguous_strides(data.shape());
  view.strides.assign(rank, 0);  // 0 on broadcast (and prepended) dims
  for (size_t i = 0; i < data.shape().size(); ++i) {
    const size_t o = i + rank - data.shape().size();
    view.strides[o] = data.shape()[i] == 1 ? 0 : in_strides[i];
  }
  return view;
}

TileLayout tile_layout(const ir::Node& node, const Tensor& data, const KernelInputs& inputs,
                       const HostReader& reader) {
  TileLayout layout;
  layout.repeats = int_values(node, require_input(node, inputs, 1), "repeats", reader);
  const std::vector<int64_t>& repeats = layout.repeats;
  const int64_t rank = data.rank();
  if (static_cast<int64_t>(repeats.size()) != rank)
    fail_input(node.describe(), ": repeats ", shape_to_string(repeats), " has ", repeats.size(),
               " entries but the input ", data.describe(), " has rank ", rank);
  layout.output_shape.resize(static_cast<size_t>(rank));
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    if (repeats[d] < 0) fail_input(node.describe(), ": repeats ", shape_to_string(repeats), " has a negative entry");
    const int64_t dim = data.shape()[d];
    if (dim != 0 && repeats[d] > std::numeric_limits<int64_t>::max() / dim)
      fail_input(node.describe(), ": tiling ", data.describe(), " by ", shape_to_string(repeats), " overflows int64");
    layout.output_shape[d] = dim * repeats[d];
  }
  return layout;
}

PadLayout pad_layout(const ir::Node& node, const Tensor& data, const KernelInputs& inputs,
                     const HostReader& reader) {
  const int64_t rank = data.rank();
  const auto pads = int_values(node, require_input(node, inputs, 1), "pads", reader);
  PadLayout layout;
  layout.mode = node.attr_string("mode", "constant");
  const std::string& mode = layout.mode;
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    fail_input(node.describe(), ": mode '", mode, "' is not supported (expected constant, edge or reflect)");

  std::vector<int64_t> axes;
  if (node.has_input(3)) {
    axes = normalize_axes(node, int_values(node, require_input(node, inputs, 3), "axes", reader), rank);
  } else {
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  }
  if (pads.size() != 2 * axes.size())
    fail_input(node.describe(), ": pads ", shape_to_string(pads), " has ", pads.size(), " entries, expected ",
               2 * axes.size(), " (begin and end for each of ", axes.size(), " axes)");
  layout.begin.assign(static_cast<size_t>(rank), 0);
  layout.end.assign(static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    layout.begin[static_cast<size_t>(axes[i])] = pads[i];
    layout.end[static_cast<size_t>(axes[i])] = pads[i + axes.size()];
  }

  // The padding value (zero when omitted).
  if (node.has_input(2) && mode == "constant") {
    const Tensor& value = require_input(node, inputs, 2);
    require_data_dtype(node, data, value, "constant_value");
    if (value.numel() > 1) fail_input(node.describe(), ": constant_value must be a scalar, got ", value.describe());
    if (value.numel() == 1) layout.constant_value = &value;
  }

  layout.output_shape.resize(static_cast<size_t>(rank));
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    const int64_t dim = data.shape()[d];
    const int64_t out_dim = dim + layout.begin[d] + layout.end[d];
    if (out_dim < 0)
      fail_input(node.describe(), ": pads ", shape_to_string(pads), " remove more than the ", dim,
                 " elements of axis ", d);
    if (mode != "constant" && dim == 0 && out_dim > 0)
      fail_input(node.describe(), ": ", mode, " padding of an empty axis ", d, " is undefined");
    if (mode == "reflect" && dim == 1 && (layout.begin[d] > 0 || layout.end[d] > 0))
      fail_input(node.describe(), ": reflect padding needs at least 2 elements on axis ", d, ", got 1");
    layout.output_shape[d] = out_dim;
  }
  return layout;
}

ConstantFill constant_fill(const ir::Node& node, const KernelInputs& inputs, const HostReader& reader) {
  ConstantFill fill;
  const auto shape = int_values(node, require_input(node, inputs, 0), "input", reader);
  for (int64_t d : shape)
    if (d < 0) fail_input(node.describe(), ": shape ", shape_to_string(shape), " has a negative dimension");
  fill.shape.assign(shape.begin(), shape.end());
  if (node.has_attribute("value")) {
    const ir::Attribute& attr = node.attr("value");
    if (attr.kind != ir::Attribute::Kind::Tensor || !attr.t.defined() || attr.t.numel() != 1)
      fail_input(node.describe(), ": attribute 'value' must be a one-element tensor");
    fill.dtype = attr.t.dtype();
    fill.value = &attr.t;
  }
  return fill;
}

void check_range_inputs(const ir::Node& node, const Tensor& start, const Tensor& limit, const Tensor& delta) {
  require_data_dtype(node, start, limit, "limit");
  require_data_dtype(node, start, delta, "delta");
  for (const Tensor* t : {&start, &limit, &delta})
    if (t->numel() != 1) fail_input(node.describe(), ": start, limit and delta must be scalars, got ", t->describe());
}

int64_t range_length(const ir::Node& node, const Tensor& start, const Tensor& limit, const Tensor& delta) {
  return dispatch_arithmetic(start.dtype(), node.describe(), [&](auto tag) -> int64_t {
    using T = typename decltype(tag)::type;
    const T first = start.data<T>()[0];
    const T last = limit.data<T>()[0];
    const T step = delta.data<T>()[0];
    if (step == T(0)) fail_input(node.describe(), ": delta is 0");
    if constexpr (std::is_integral_v<T>) {
      // 128-bit so that limit - start cannot overflow.
      const __int128 span = static_cast<__int128>(last) - static_cast<__int128>(first);
      const __int128 s = step;
      const __int128 n = span / s + ((span % s) != 0 && ((span > 0) == (s > 0)) ? 1 : 0);  // ceil
      return static_cast<int64_t>(std::max<__int128>(0, n));
    } else {
      const double n = std::ceil((static_cast<double>(last) - static_cast<double>(first)) / static_cast<double>(step));
      if (!(n < 9.0e18))
        fail_input(node.describe(), ": range from ", to_double(first), " to ", to_double(last), " by ",
                   to_double(step), " has no finite length");
      return n > 0 ? static_cast<int64_t>(n) : 0;
    }
  });
}

}  // namespace gnnrt::op_shapes
