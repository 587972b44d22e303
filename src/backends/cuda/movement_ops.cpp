// CUDA host side of the data-movement ops: the shape rules and error messages shared with the CPU
// reference (backends/op_shapes/movement.h), output allocation, and calls to launch/movement.cuh.
//
// Reshape, Flatten, Squeeze, Unsqueeze and Identity never touch data: they run the CPU kernel
// itself (its shape logic is the reference) on the device tensor, which it only re-views, so the
// result shares the input's device storage. Dropout is the same view plus an all-true mask.
//
// Shape-like inputs (Reshape's shape, axes, Slice's starts/ends, pads, repeats, ConstantOfShape's
// shape, Range's scalars) are read on the host: a device tensor is copied back first (host_copy
// and host_reader, op_helpers.h).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/launch/movement.cuh"
#include "backends/cuda/op_helpers.h"
#include "backends/op_shapes/movement.h"
#include "core/dispatch.h"

namespace gnnrt::cuda {

namespace {

using op_shapes::contiguous_strides;

bool copyable(DType dtype) { return dtype != DType::Undefined && copy_element_size_supported(dtype_size(dtype)); }

const char* bytes_of(const Tensor& t) { return static_cast<const char*>(t.raw()); }
char* bytes_of(Tensor& t) { return static_cast<char*>(t.raw()); }

[[noreturn]] void fail_too_many_dims(const ir::Node& node, const Dims& shape) {
  fail_input(node.describe(), ": the output ", shape_to_string(shape), " needs more than ", kMaxCopyRank,
             " dimensions after merging, which the CUDA backend does not handle; run this node on the CPU");
}

// out[c] = in[base + sum_d c_d * strides[d]]: drops size-1 dims and merges neighbours whose walk
// is one longer walk, then copies with the copy engine (one contiguous run), the row copy (rows
// of a contiguous run) or the general strided kernel.
void strided_copy(const ir::Node& node, const Tensor& in, int64_t base, const std::vector<int64_t>& strides,
                  Tensor& out, cudaStream_t stream) {
  const int64_t count = out.numel();
  if (count == 0) return;
  const Dims& shape = out.shape();
  std::vector<int64_t> dims, steps;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (!dims.empty() && steps.back() == strides[d] * shape[d]) {
      dims.back() *= shape[d];
      steps.back() = strides[d];
    } else {
      dims.push_back(shape[d]);
      steps.push_back(strides[d]);
    }
  }
  const int64_t element = static_cast<int64_t>(dtype_size(in.dtype()));
  const char* source = bytes_of(in) + base * element;
  if (dims.empty()) {  // one element
    launch_copy_rows(source, element, bytes_of(out), element, 1, element, stream);
    return;
  }
  if (dims.size() == 1 && steps[0] == 1) {
    launch_copy_rows(source, count * element, bytes_of(out), count * element, 1, count * element, stream);
    return;
  }
  if (dims.size() == 2 && steps[1] == 1) {
    launch_copy_rows(source, steps[0] * element, bytes_of(out), dims[1] * element, dims[0], dims[1] * element, stream);
    return;
  }
  if (dims.size() > static_cast<size_t>(kMaxCopyRank)) fail_too_many_dims(node, shape);
  StridedCopyGeometry geometry;
  geometry.rank = static_cast<int32_t>(dims.size());
  geometry.base = base;
  for (size_t d = 0; d < dims.size(); ++d) {
    geometry.dims[d] = dims[d];
    geometry.strides[d] = steps[d];
  }
  launch_strided_copy(static_cast<size_t>(element), in.raw(), out.raw(), geometry, count, stream);
}

// ---------------------------------------------------------------- views

// Reshape, Flatten, Squeeze, Unsqueeze, Identity: the CPU kernel on the device tensor (it only
// re-views its data) with host copies of the shape-like inputs.
Outputs view_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  std::vector<Tensor> host_arguments(inputs.size());
  cpu::KernelInputs cpu_inputs{&data};
  for (size_t i = 1; i < inputs.size(); ++i) {
    if (inputs[i]) host_arguments[i] = host_copy(*inputs[i], context);
    cpu_inputs.push_back(inputs[i] ? &host_arguments[i] : nullptr);
  }
  const cpu::KernelFn* kernel = cpu::kernel_registry().find(node.op_type);
  GNNRT_CHECK(kernel != nullptr, "no CPU kernel for ", node.op_type);
  cpu::KernelContext cpu_context;
  Outputs outputs = (*kernel)(node, cpu_inputs, cpu_context);
  // Holds as long as the CPU kernels return views; a copy there would land in host memory.
  GNNRT_CHECK(outputs.size() == 1 && outputs[0].raw() == data.raw() && !outputs[0].on_host(), node.describe(),
              ": the CPU kernel did not return a view of its input");
  return outputs;
}

bool view_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  if (dtype_at(dtypes, 0) == DType::Undefined) return false;
  for (size_t i = 1; i < dtypes.size(); ++i)
    if (!optional_index_input_ok(dtypes, i)) return false;
  return true;
}

Outputs dropout_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  op_shapes::check_dropout_inference(node, inputs, host_reader(context));
  Outputs outputs{data};
  if (node.outputs.size() > 1 && !node.outputs[1].empty()) {
    Tensor mask = context.allocate(DType::Bool, data.shape());
    launch_fill(1, 1, mask.raw(), mask.numel(), context.stream);
    outputs.push_back(mask);
  }
  return outputs;
}

bool dropout_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return dtype_at(dtypes, 0) != DType::Undefined;
}

// ---------------------------------------------------------------- Concat and Split

// torch.cat accepts legacy empty 1-D [0] tensors beside tensors of any rank; they add nothing.
bool is_legacy_empty(const Tensor& t) { return t.rank() == 1 && t.dim(0) == 0; }

Outputs concat_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const op_shapes::ConcatLayout layout = op_shapes::concat_layout(node, inputs);
  for (size_t k : layout.parts) require_device(node, *inputs[k], k);
  const Dims& out_shape = layout.output_shape;
  const int64_t axis = layout.axis;
  Tensor out = context.allocate(inputs[0]->dtype(), out_shape);  // every input has this dtype
  if (out.numel() == 0) return {out};
  const int64_t element = static_cast<int64_t>(dtype_size(out.dtype()));
  const int64_t outer = layout.outer, inner = layout.inner;
  const int64_t out_row_bytes = out_shape[static_cast<size_t>(axis)] * inner * element;
  int64_t column = 0;  // byte offset of the current input's block within an output row
  for (size_t k : layout.parts) {
    const Tensor* t = inputs[k];
    const int64_t block = t->dim(axis) * inner * element;
    if (block == 0) continue;
    launch_copy_rows(t->raw(), block, bytes_of(out) + column, out_row_bytes, outer, block, context.stream);
    column += block;
  }
  return {out};
}

bool concat_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  if (dtypes.empty() || !copyable(dtypes[0])) return false;
  for (DType dtype : dtypes)
    if (dtype != dtypes[0]) return false;
  return true;
}

Outputs split_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  const op_shapes::SplitLayout layout = op_shapes::split_layout(node, data, inputs, host_reader(context));
  require_device(node, data, 0);
  const int64_t axis = layout.axis;
  const int64_t extent = data.dim(axis);
  const int64_t element = static_cast<int64_t>(dtype_size(data.dtype()));
  const int64_t outer = layout.outer, inner = layout.inner;
  const int64_t in_row_bytes = extent * inner * element;
  Outputs outputs;
  int64_t column = 0;
  for (int64_t size : layout.sizes) {
    Dims shape = data.shape();
    shape[static_cast<size_t>(axis)] = size;
    Tensor out = context.allocate(data.dtype(), shape);
    const int64_t block = size * inner * element;
    if (out.numel() != 0)
      launch_copy_rows(bytes_of(data) + column, in_row_bytes, bytes_of(out), block, outer, block, context.stream);
    column += block;
    outputs.push_back(out);
  }
  return outputs;
}

bool split_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return copyable(dtype_at(dtypes, 0)) && optional_index_input_ok(dtypes, 1);
}

// ---------------------------------------------------------------- Slice, Transpose, Expand, Tile

Outputs slice_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  const op_shapes::StridedView view = op_shapes::slice_view(node, data, inputs, host_reader(context));
  Tensor out = context.allocate(data.dtype(), view.output_shape);
  if (out.numel() == 0) return {out};
  strided_copy(node, data, view.base, view.strides, out, context.stream);
  return {out};
}

bool slice_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  if (!copyable(dtype_at(dtypes, 0))) return false;
  for (size_t i = 1; i < dtypes.size(); ++i)
    if (!optional_index_input_ok(dtypes, i)) return false;
  return true;
}

Outputs transpose_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  const op_shapes::StridedView view = op_shapes::transpose_view(node, data);
  Tensor out = context.allocate(data.dtype(), view.output_shape);
  strided_copy(node, data, 0, view.strides, out, context.stream);
  return {out};
}

bool transpose_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  return copyable(dtype_at(dtypes, 0)) && attributes_ok([&] {
           node.attr_ints("perm");
           return true;
         });
}

Outputs expand_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  const op_shapes::StridedView view = op_shapes::expand_view(node, data, inputs, host_reader(context));
  // Nothing repeated (only leading 1s added): the same elements in the same order, so a view.
  if (element_count(view.output_shape) == data.numel()) return {data.reshaped(view.output_shape)};
  Tensor out = context.allocate(data.dtype(), view.output_shape);
  strided_copy(node, data, 0, view.strides, out, context.stream);
  return {out};
}

bool expand_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return copyable(dtype_at(dtypes, 0)) && is_index_dtype(dtype_at(dtypes, 1));
}

Outputs tile_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  const Dims out_shape = op_shapes::tile_layout(node, data, inputs, host_reader(context)).output_shape;
  const int64_t rank = data.rank();
  Tensor out = context.allocate(data.dtype(), out_shape);
  if (out.numel() == 0) return {out};
  const int64_t element = static_cast<int64_t>(dtype_size(data.dtype()));
  if (out.numel() == data.numel()) {  // every repeat is 1 (or a scalar): a plain copy
    launch_copy_rows(data.raw(), 0, out.raw(), 0, 1, data.numel() * element, context.stream);
    return {out};
  }
  // Dims that stay 1 on both sides do not affect addressing; the kernel sees the others.
  const auto in_strides = contiguous_strides(data.shape());
  TileGeometry geometry;
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    if (out_shape[d] == 1) continue;
    if (geometry.rank == kMaxCopyRank) fail_too_many_dims(node, out_shape);
    geometry.out_dims[geometry.rank] = out_shape[d];
    geometry.in_dims[geometry.rank] = data.shape()[d];
    geometry.in_strides[geometry.rank] = in_strides[d];
    ++geometry.rank;
  }
  launch_tile(static_cast<size_t>(element), data.raw(), out.raw(), geometry, out.numel(), context.stream);
  return {out};
}

bool tile_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return copyable(dtype_at(dtypes, 0)) && is_index_dtype(dtype_at(dtypes, 1));
}

// ---------------------------------------------------------------- Pad

bool parse_pad_mode(const std::string& mode, PadMode& parsed) {
  if (mode == "constant") parsed = PadMode::Constant;
  else if (mode == "edge") parsed = PadMode::Edge;
  else if (mode == "reflect") parsed = PadMode::Reflect;
  else return false;
  return true;
}

Outputs pad_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  const int64_t rank = data.rank();
  const op_shapes::PadLayout layout = op_shapes::pad_layout(node, data, inputs, host_reader(context));
  PadMode mode = PadMode::Constant;
  parse_pad_mode(layout.mode, mode);  // one of the three: pad_layout checked it
  const Dims& out_shape = layout.output_shape;
  const std::vector<int64_t>& begin = layout.begin;

  // The padding value's bytes (zero when omitted).
  uint64_t fill_bits = 0;
  if (layout.constant_value)
    std::memcpy(&fill_bits, host_copy(*layout.constant_value, context).raw(), dtype_size(data.dtype()));

  Tensor out = context.allocate(data.dtype(), out_shape);
  if (out.numel() == 0) return {out};
  const size_t element = dtype_size(data.dtype());
  const auto in_strides = contiguous_strides(data.shape());
  PadGeometry geometry;
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    if (out_shape[d] == 1 && data.shape()[d] == 1 && begin[d] == 0) continue;  // reads coordinate 0 whatever
    if (geometry.rank == kMaxCopyRank) fail_too_many_dims(node, out_shape);
    geometry.out_dims[geometry.rank] = out_shape[d];
    geometry.in_dims[geometry.rank] = data.shape()[d];
    geometry.in_strides[geometry.rank] = in_strides[d];
    geometry.begin[geometry.rank] = begin[d];
    ++geometry.rank;
  }
  launch_pad(element, mode, data.raw(), out.raw(), geometry, fill_bits, out.numel(), context.stream);
  return {out};
}

bool pad_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  if (!copyable(dtype_at(dtypes, 0)) || !is_index_dtype(dtype_at(dtypes, 1))) return false;
  const DType value = dtype_at(dtypes, 2);
  if (value != DType::Undefined && value != dtypes[0]) return false;
  if (!optional_index_input_ok(dtypes, 3)) return false;
  return attributes_ok([&] {
    PadMode mode;
    return parse_pad_mode(node.attr_string("mode", "constant"), mode);
  });
}

// ---------------------------------------------------------------- constant producers

Outputs constant_of_shape_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const op_shapes::ConstantFill fill = op_shapes::constant_fill(node, inputs, host_reader(context));
  const DType dtype = fill.dtype;
  uint64_t value_bits = 0;
  if (fill.value) std::memcpy(&value_bits, host_copy(*fill.value, context).raw(), dtype_size(dtype));
  Tensor out = context.allocate(dtype, fill.shape);
  launch_fill(dtype_size(dtype), value_bits, out.raw(), out.numel(), context.stream);
  return {out};
}

bool constant_of_shape_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  if (!is_index_dtype(dtype_at(dtypes, 0))) return false;
  return attributes_ok([&] {
    if (!node.has_attribute("value")) return true;
    const ir::Attribute& attr = node.attr("value");
    return attr.kind == ir::Attribute::Kind::Tensor && attr.t.defined() && attr.t.numel() == 1 &&
           copyable(attr.t.dtype());
  });
}

Outputs range_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& start_input = require_input(node, inputs, 0);
  const Tensor& limit_input = require_input(node, inputs, 1);
  const Tensor& delta_input = require_input(node, inputs, 2);
  op_shapes::check_range_inputs(node, start_input, limit_input, delta_input);
  if (!range_supported(start_input.dtype()))
    fail_input(node.describe(), ": dtype ", dtype_name(start_input.dtype()),
               " is not supported here (expected float32, float64, int32 or int64)");
  const Tensor start = host_copy(start_input, context);
  const Tensor limit = host_copy(limit_input, context);
  const Tensor delta = host_copy(delta_input, context);
  // The element count exactly as the CPU computes it.
  const int64_t count = op_shapes::range_length(node, start, limit, delta);
  Tensor out = context.allocate(start.dtype(), {count});
  launch_range(start.dtype(), start.raw(), delta.raw(), out.raw(), count, context.stream);
  return {out};
}

bool range_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return dtypes.size() == 3 && range_supported(dtypes[0]) && dtypes[1] == dtypes[0] && dtypes[2] == dtypes[0];
}

}  // namespace

void register_cuda_movement_kernels(CudaKernelRegistry& registry) {
  registry.add("Reshape", {view_kernel, view_supports});
  registry.add("Flatten", {view_kernel, view_supports});
  registry.add("Squeeze", {view_kernel, view_supports});
  registry.add("Unsqueeze", {view_kernel, view_supports});
  registry.add("Identity", {view_kernel, view_supports});
  registry.add("Dropout", {dropout_kernel, dropout_supports});
  registry.add("Concat", {concat_kernel, concat_supports});
  registry.add("Split", {split_kernel, split_supports});
  registry.add("Slice", {slice_kernel, slice_supports});
  registry.add("Transpose", {transpose_kernel, transpose_supports});
  registry.add("Expand", {expand_kernel, expand_supports});
  registry.add("Tile", {tile_kernel, tile_supports});
  registry.add("Pad", {pad_kernel, pad_supports});
  registry.add("ConstantOfShape", {constant_of_shape_kernel, constant_of_shape_supports});
  registry.add("Range", {range_kernel, range_supports});
}

}  // namespace gnnrt::cuda
