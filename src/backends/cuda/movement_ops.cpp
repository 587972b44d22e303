// CUDA host side of the data-movement ops: the CPU reference's shape rules and error messages
// (backends/cpu/shape_ops.cpp), output allocation, and calls to launch/movement.cuh.
//
// Reshape, Flatten, Squeeze, Unsqueeze and Identity never touch data: they run the CPU kernel
// itself (its shape logic is the reference) on the device tensor, which it only re-views, so the
// result shares the input's device storage. Dropout is the same view plus an all-true mask.
//
// Shape-like inputs (Reshape's shape, axes, Slice's starts/ends, pads, repeats, ConstantOfShape's
// shape, Range's scalars) are read on the host: a device tensor is copied back with
// context.to_host first, which synchronises the stream (the runtime normally keeps these small
// tensors on the host, where this costs nothing).
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
#include "core/dispatch.h"

namespace gnnrt::cuda {

namespace {

using Outputs = std::vector<Tensor>;
using cpu::normalize_axis;
using cpu::require_input;

template <typename Fn>
bool attributes_ok(Fn&& check) {
  try {
    return check();
  } catch (const Error&) {
    return false;
  }
}

DType dtype_at(const std::vector<DType>& dtypes, size_t index) {
  return index < dtypes.size() ? dtypes[index] : DType::Undefined;
}

bool is_index_dtype(DType dtype) { return dtype == DType::Int64 || dtype == DType::Int32; }

// An optional shape-like input: absent, or int32/int64 as the CPU kernel requires.
bool optional_index_input_ok(const std::vector<DType>& dtypes, size_t index) {
  const DType dtype = dtype_at(dtypes, index);
  return dtype == DType::Undefined || is_index_dtype(dtype);
}

bool copyable(DType dtype) { return dtype != DType::Undefined && copy_element_size_supported(dtype_size(dtype)); }

void require_device(const ir::Node& node, const Tensor& tensor, size_t index) {
  GNNRT_CHECK(!tensor.on_host(), node.describe(), ": input ", index, " reached the CUDA kernel in host memory");
}

Tensor host_copy(const Tensor& tensor, CudaKernelContext& context) {
  return tensor.on_host() ? tensor : context.to_host(tensor);
}

// The values of a 1-D (or scalar) integer input such as a shape, axes or pads (CPU: int_values).
std::vector<int64_t> int_values(const ir::Node& node, const Tensor& tensor, const char* what,
                                CudaKernelContext& context) {
  if (tensor.dtype() != DType::Int64 && tensor.dtype() != DType::Int32)
    fail_input(node.describe(), ": input '", what, "' must be int64 or int32, got ", tensor.describe());
  if (tensor.rank() > 1) fail_input(node.describe(), ": input '", what, "' must be 1-D, got ", tensor.describe());
  return host_copy(tensor, context).to_int_vector();
}

// Normalises every axis against `rank` and rejects repeats (CPU: normalize_axes).
std::vector<int64_t> normalize_axes(const ir::Node& node, const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> result;
  std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(rank, 0)), false);
  for (int64_t axis : axes) {
    const int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank)
      fail_input(node.describe(), ": axis ", axis, " is out of range for rank ", rank, " (expected [", -rank, ", ",
                 rank - 1, "])");
    if (seen[static_cast<size_t>(a)]) fail_input(node.describe(), ": axis ", axis, " is listed twice");
    seen[static_cast<size_t>(a)] = true;
    result.push_back(a);
  }
  return result;
}

void require_same_dtype(const ir::Node& node, const Tensor& a, const Tensor& b, const char* b_name) {
  if (a.dtype() != b.dtype())
    fail_input(node.describe(), ": input '", b_name, "' has dtype ", dtype_name(b.dtype()), ", expected ",
               dtype_name(a.dtype()), " (the data's dtype)");
}

std::vector<int64_t> contiguous_strides(const Dims& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[static_cast<size_t>(d)] = strides[static_cast<size_t>(d + 1)] * shape[static_cast<size_t>(d + 1)];
  return strides;
}

int64_t product(const Dims& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

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
  if (node.has_input(2) && inputs.size() > 2 && inputs[2] && inputs[2]->numel() > 0 &&
      host_copy(*inputs[2], context).scalar_as_double() != 0.0)
    fail_input(node.describe(), ": training_mode=true is not supported by an inference engine; export the model "
               "in eval mode (model.eval())");
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
  const int64_t axis = normalize_axis(node, node.attr_int("axis", 0), rank);
  Dims out_shape = reference.shape();
  out_shape[static_cast<size_t>(axis)] = 0;
  std::vector<const Tensor*> parts;
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
    require_device(node, t, k);
    out_shape[static_cast<size_t>(axis)] += t.dim(axis);
    parts.push_back(&t);
  }
  Tensor out = context.allocate(reference.dtype(), out_shape);
  if (out.numel() == 0) return {out};
  const int64_t element = static_cast<int64_t>(dtype_size(reference.dtype()));
  const int64_t outer = product(out_shape, 0, static_cast<size_t>(axis));
  const int64_t inner = product(out_shape, static_cast<size_t>(axis) + 1, out_shape.size());
  const int64_t out_row_bytes = out_shape[static_cast<size_t>(axis)] * inner * element;
  int64_t column = 0;  // byte offset of the current input's block within an output row
  for (const Tensor* t : parts) {
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
  if (data.rank() == 0) fail_input(node.describe(), ": cannot split a scalar");
  require_device(node, data, 0);
  const int64_t axis = normalize_axis(node, node.attr_int("axis", 0), data.rank());
  const int64_t extent = data.dim(axis);
  const int64_t output_count = static_cast<int64_t>(node.outputs.size());
  std::vector<int64_t> sizes;
  if (node.has_input(1)) {
    sizes = int_values(node, require_input(node, inputs, 1), "split", context);
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
  const int64_t element = static_cast<int64_t>(dtype_size(data.dtype()));
  const int64_t outer = product(data.shape(), 0, static_cast<size_t>(axis));
  const int64_t inner = product(data.shape(), static_cast<size_t>(axis) + 1, data.shape().size());
  const int64_t in_row_bytes = extent * inner * element;
  Outputs outputs;
  int64_t column = 0;
  for (int64_t size : sizes) {
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
  const int64_t rank = data.rank();
  const auto starts = int_values(node, require_input(node, inputs, 1), "starts", context);
  const auto ends = int_values(node, require_input(node, inputs, 2), "ends", context);
  if (starts.size() != ends.size())
    fail_input(node.describe(), ": starts has ", starts.size(), " values but ends has ", ends.size());
  std::vector<int64_t> raw_axes;
  if (node.has_input(3)) {
    raw_axes = int_values(node, require_input(node, inputs, 3), "axes", context);
  } else {
    for (size_t i = 0; i < starts.size(); ++i) raw_axes.push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> steps(starts.size(), 1);
  if (node.has_input(4)) steps = int_values(node, require_input(node, inputs, 4), "steps", context);
  if (raw_axes.size() != starts.size() || steps.size() != starts.size())
    fail_input(node.describe(), ": starts, ends, axes and steps must have the same length (got ", starts.size(), ", ",
               ends.size(), ", ", raw_axes.size(), ", ", steps.size(), ")");
  const auto axes = normalize_axes(node, raw_axes, rank);

  Dims out_shape = data.shape();
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
      count = 0;
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
    out_shape[a] = count;
    first[a] = count > 0 ? start : 0;
    step_of[a] = step;
  }
  Tensor out = context.allocate(data.dtype(), out_shape);
  if (out.numel() == 0) return {out};
  const auto in_strides = contiguous_strides(data.shape());
  std::vector<int64_t> strides(static_cast<size_t>(rank));
  int64_t base = 0;
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    base += first[d] * in_strides[d];
    // A dim of output size 1 is never stepped: its step may be huge (INT64_MIN) without harm.
    strides[d] = out_shape[d] == 1 ? 0 : step_of[d] * in_strides[d];
  }
  strided_copy(node, data, base, strides, out, context.stream);
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
  Dims out_shape(static_cast<size_t>(rank));
  std::vector<int64_t> strides(static_cast<size_t>(rank));
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    out_shape[d] = data.shape()[static_cast<size_t>(perm[d])];
    strides[d] = in_strides[static_cast<size_t>(perm[d])];
  }
  Tensor out = context.allocate(data.dtype(), out_shape);
  strided_copy(node, data, 0, strides, out, context.stream);
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
  const auto target = int_values(node, require_input(node, inputs, 1), "shape", context);
  // Bidirectional (numpy) broadcast of the data's shape with the requested one.
  const size_t rank = std::max(target.size(), data.shape().size());
  Dims out_shape(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t a = i + data.shape().size() >= rank ? data.shape()[i + data.shape().size() - rank] : 1;
    const int64_t b = i + target.size() >= rank ? target[i + target.size() - rank] : 1;
    if (b < 0) fail_input(node.describe(), ": shape ", shape_to_string(target), " has a negative dimension");
    if (a != b && a != 1 && b != 1)
      fail_input(node.describe(), ": cannot broadcast ", data.describe(), " to shape ", shape_to_string(target),
                 " (dimension ", i, " of the result: ", a, " vs ", b, ")");
    out_shape[i] = a == 1 ? b : a;
  }
  // Nothing repeated (only leading 1s added): the same elements in the same order, so a view.
  if (element_count(out_shape) == data.numel()) return {data.reshaped(out_shape)};
  const auto in_strides = contiguous_strides(data.shape());
  std::vector<int64_t> strides(rank, 0);  // 0 on broadcast (and prepended) dims
  for (size_t i = 0; i < data.shape().size(); ++i) {
    const size_t o = i + rank - data.shape().size();
    strides[o] = data.shape()[i] == 1 ? 0 : in_strides[i];
  }
  Tensor out = context.allocate(data.dtype(), out_shape);
  strided_copy(node, data, 0, strides, out, context.stream);
  return {out};
}

bool expand_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return copyable(dtype_at(dtypes, 0)) && is_index_dtype(dtype_at(dtypes, 1));
}

Outputs tile_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  const auto repeats = int_values(node, require_input(node, inputs, 1), "repeats", context);
  const int64_t rank = data.rank();
  if (static_cast<int64_t>(repeats.size()) != rank)
    fail_input(node.describe(), ": repeats ", shape_to_string(repeats), " has ", repeats.size(),
               " entries but the input ", data.describe(), " has rank ", rank);
  Dims out_shape(static_cast<size_t>(rank));
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    if (repeats[d] < 0) fail_input(node.describe(), ": repeats ", shape_to_string(repeats), " has a negative entry");
    const int64_t dim = data.shape()[d];
    if (dim != 0 && repeats[d] > std::numeric_limits<int64_t>::max() / dim)
      fail_input(node.describe(), ": tiling ", data.describe(), " by ", shape_to_string(repeats), " overflows int64");
    out_shape[d] = dim * repeats[d];
  }
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
  const auto pads = int_values(node, require_input(node, inputs, 1), "pads", context);
  const std::string mode_name = node.attr_string("mode", "constant");
  PadMode mode = PadMode::Constant;
  if (!parse_pad_mode(mode_name, mode))
    fail_input(node.describe(), ": mode '", mode_name, "' is not supported (expected constant, edge or reflect)");

  std::vector<int64_t> axes;
  if (node.has_input(3)) {
    axes = normalize_axes(node, int_values(node, require_input(node, inputs, 3), "axes", context), rank);
  } else {
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  }
  if (pads.size() != 2 * axes.size())
    fail_input(node.describe(), ": pads ", shape_to_string(pads), " has ", pads.size(), " entries, expected ",
               2 * axes.size(), " (begin and end for each of ", axes.size(), " axes)");
  std::vector<int64_t> begin(static_cast<size_t>(rank), 0), end(static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    begin[static_cast<size_t>(axes[i])] = pads[i];
    end[static_cast<size_t>(axes[i])] = pads[i + axes.size()];
  }

  // The padding value's bytes (zero when omitted).
  uint64_t fill_bits = 0;
  if (node.has_input(2) && mode == PadMode::Constant) {
    const Tensor& value = require_input(node, inputs, 2);
    require_same_dtype(node, data, value, "constant_value");
    if (value.numel() > 1) fail_input(node.describe(), ": constant_value must be a scalar, got ", value.describe());
    if (value.numel() == 1) std::memcpy(&fill_bits, host_copy(value, context).raw(), dtype_size(data.dtype()));
  }

  Dims out_shape(static_cast<size_t>(rank));
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    const int64_t dim = data.shape()[d];
    const int64_t out_dim = dim + begin[d] + end[d];
    if (out_dim < 0)
      fail_input(node.describe(), ": pads ", shape_to_string(pads), " remove more than the ", dim,
                 " elements of axis ", d);
    if (mode != PadMode::Constant && dim == 0 && out_dim > 0)
      fail_input(node.describe(), ": ", mode_name, " padding of an empty axis ", d, " is undefined");
    if (mode == PadMode::Reflect && dim == 1 && (begin[d] > 0 || end[d] > 0))
      fail_input(node.describe(), ": reflect padding needs at least 2 elements on axis ", d, ", got 1");
    out_shape[d] = out_dim;
  }

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
  const auto shape = int_values(node, require_input(node, inputs, 0), "input", context);
  for (int64_t d : shape)
    if (d < 0) fail_input(node.describe(), ": shape ", shape_to_string(shape), " has a negative dimension");
  DType dtype = DType::Float32;
  uint64_t value_bits = 0;
  if (node.has_attribute("value")) {
    const ir::Attribute& attr = node.attr("value");
    if (attr.kind != ir::Attribute::Kind::Tensor || !attr.t.defined() || attr.t.numel() != 1)
      fail_input(node.describe(), ": attribute 'value' must be a one-element tensor");
    dtype = attr.t.dtype();
    const Tensor value = host_copy(attr.t, context);
    std::memcpy(&value_bits, value.raw(), dtype_size(dtype));
  }
  Tensor out = context.allocate(dtype, shape);
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
  require_same_dtype(node, start_input, limit_input, "limit");
  require_same_dtype(node, start_input, delta_input, "delta");
  for (const Tensor* t : {&start_input, &limit_input, &delta_input})
    if (t->numel() != 1) fail_input(node.describe(), ": start, limit and delta must be scalars, got ", t->describe());
  if (!range_supported(start_input.dtype()))
    fail_input(node.describe(), ": dtype ", dtype_name(start_input.dtype()),
               " is not supported here (expected float32, float64, int32 or int64)");
  const Tensor start = host_copy(start_input, context);
  const Tensor limit = host_copy(limit_input, context);
  const Tensor delta = host_copy(delta_input, context);
  // The element count exactly as the CPU computes it.
  const int64_t count = dispatch_arithmetic(start.dtype(), node.describe(), [&](auto tag) -> int64_t {
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
