// CPU kernels that move data without arithmetic: shape queries, reshapes, concatenation and
// splitting, slicing, tiling, broadcasting, transposition, padding, and constant fills.
//
// Every kernel here but Range works on any dtype by copying bytes (dtype_size per element), so
// none needs a per-type instantiation. Reshape-like ops (Reshape, Flatten, Squeeze, Unsqueeze,
// Identity, Dropout) return a view that shares the input's storage: kernels never write into
// their inputs, so aliasing is safe and saves a copy of what may be an [E, F] tensor.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "backends/cpu/byte_copy.h"
#include "backends/cpu/kernel_registry.h"
#include "core/dispatch.h"

namespace gnnrt::cpu {
namespace {

// The values of a 1-D (or scalar) integer tensor such as a shape, axes or pads input.
std::vector<int64_t> int_values(const ir::Node& node, const Tensor& tensor, const char* what) {
  if (tensor.dtype() != DType::Int64 && tensor.dtype() != DType::Int32)
    fail_input(node.describe(), ": input '", what, "' must be int64 or int32, got ", tensor.describe());
  if (tensor.rank() > 1)
    fail_input(node.describe(), ": input '", what, "' must be 1-D, got ", tensor.describe());
  return tensor.to_int_vector();
}

// Normalises every axis against `rank` and rejects repeats.
std::vector<int64_t> normalize_axes(const ir::Node& node, const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> result;
  std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(rank, 0)), false);
  for (int64_t axis : axes) {
    const int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank)
      fail_input(node.describe(), ": axis ", axis, " is out of range for rank ", rank, " (expected [",
                 -rank, ", ", rank - 1, "])");
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

// Writes the tensor of shape `out_shape` whose element at multi-index i is
// src[sum_d i_d * src_strides[d]] (strides in elements, may be 0 or negative). This one walk
// serves Slice (offset base, stepped strides), Transpose (permuted strides) and Expand (zero
// strides on broadcast dims). Rows of the innermost dim are independent, so they run in parallel.
void strided_copy(const uint8_t* src, const std::vector<int64_t>& src_strides, const Dims& out_shape,
                  uint8_t* dst, size_t elem_size) {
  const int64_t total = element_count(out_shape);
  if (total == 0) return;
  const int64_t rank = static_cast<int64_t>(out_shape.size());
  if (rank == 0) {
    copy_element(dst, src, elem_size);
    return;
  }
  const int64_t inner = out_shape.back();
  const int64_t inner_stride = src_strides.back();
  const int64_t rows = total / inner;
  const bool parallel = static_cast<int64_t>(total * elem_size) >= kParallelMinBytes && rows > 1;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t row = 0; row < rows; ++row) {
    int64_t offset = 0;
    int64_t rest = row;
    for (int64_t d = rank - 2; d >= 0; --d) {
      const int64_t extent = out_shape[static_cast<size_t>(d)];
      offset += (rest % extent) * src_strides[static_cast<size_t>(d)];
      rest /= extent;
    }
    uint8_t* out = dst + static_cast<size_t>(row * inner) * elem_size;
    const uint8_t* in = src + offset * static_cast<int64_t>(elem_size);
    if (inner_stride == 1) {
      std::memcpy(out, in, static_cast<size_t>(inner) * elem_size);
    } else {
      for (int64_t i = 0; i < inner; ++i)
        copy_element(out + static_cast<size_t>(i) * elem_size, in + i * inner_stride * static_cast<int64_t>(elem_size),
                     elem_size);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Shape queries

std::vector<Tensor> shape_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const int64_t rank = data.rank();
  // Per spec, start/end are clamped to [0, rank] after adding rank to negative values.
  auto clamp_bound = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
  const int64_t start = clamp_bound(node.attr_int("start", 0));
  const int64_t end = clamp_bound(node.attr_int("end", rank));
  const int64_t count = std::max<int64_t>(0, end - start);
  Tensor out(DType::Int64, {count});
  for (int64_t i = 0; i < count; ++i) out.data<int64_t>()[i] = data.dim(start + i);
  return {out};
}

std::vector<Tensor> size_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  Tensor out(DType::Int64, {});
  out.data<int64_t>()[0] = require_input(node, inputs, 0).numel();
  return {out};
}

// ---------------------------------------------------------------------------------------------
// Reshapes: views over the input's storage

std::vector<Tensor> reshape_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const std::vector<int64_t> requested = int_values(node, require_input(node, inputs, 1), "shape");
  const bool allow_zero = node.attr_int("allowzero", 0) != 0;
  Dims shape(requested.begin(), requested.end());
  int64_t inferred_axis = -1;
  int64_t known_product = 1;
  bool has_zero = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t& d = shape[i];
    if (d == -1) {
      if (inferred_axis >= 0)
        fail_input(node.describe(), ": shape ", shape_to_string(requested), " has more than one -1");
      inferred_axis = static_cast<int64_t>(i);
      continue;
    }
    if (d < -1) fail_input(node.describe(), ": shape ", shape_to_string(requested), " has invalid dimension ", d);
    if (d == 0 && !allow_zero) {
      if (static_cast<int64_t>(i) >= data.rank())
        fail_input(node.describe(), ": shape ", shape_to_string(requested), " copies dimension ", i,
                   " (a 0) but the input ", data.describe(), " has rank ", data.rank());
      d = data.dim(static_cast<int64_t>(i));
    }
    if (d == 0) has_zero = true;
    if (d != 0 && known_product > std::numeric_limits<int64_t>::max() / d)
      fail_input(node.describe(), ": shape ", shape_to_string(requested), " overflows int64");
    known_product *= d;
  }
  if (inferred_axis >= 0) {
    if (has_zero && allow_zero)
      fail_input(node.describe(), ": shape ", shape_to_string(requested), " has both -1 and 0 with allowzero=1");
    if (known_product == 0 || data.numel() % known_product != 0)
      fail_input(node.describe(), ": cannot reshape ", data.describe(), " to ", shape_to_string(requested),
                 " (", data.numel(), " elements do not divide into the known dimensions' ", known_product, ")");
    shape[static_cast<size_t>(inferred_axis)] = data.numel() / known_product;
  } else if (known_product != data.numel()) {
    fail_input(node.describe(), ": cannot reshape ", data.describe(), " (", data.numel(), " elements) to ",
               shape_to_string(shape), " (", known_product, " elements)");
  }
  return {data.reshaped(shape)};
}

std::vector<Tensor> flatten_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const int64_t rank = data.rank();
  int64_t axis = node.attr_int("axis", 1);
  if (axis < -rank || axis > rank)
    fail_input(node.describe(), ": axis ", axis, " is out of range for rank ", rank, " (expected [", -rank, ", ",
               rank, "])");
  if (axis < 0) axis += rank;
  const Dims& s = data.shape();
  return {data.reshaped({product(s, 0, static_cast<size_t>(axis)), product(s, static_cast<size_t>(axis), s.size())})};
}

std::vector<Tensor> squeeze_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const Dims& in = data.shape();
  std::vector<bool> drop(in.size(), false);
  // An empty axes tensor means "all size-1 dims", as when it is omitted (ONNX Runtime agrees).
  if (node.has_input(1) && require_input(node, inputs, 1).numel() > 0) {
    const auto axes = normalize_axes(node, int_values(node, require_input(node, inputs, 1), "axes"), data.rank());
    for (int64_t a : axes) {
      if (in[static_cast<size_t>(a)] != 1)
        fail_input(node.describe(), ": cannot squeeze axis ", a, " of ", data.describe(), " (its size is ",
                   in[static_cast<size_t>(a)], ", expected 1)");
      drop[static_cast<size_t>(a)] = true;
    }
  } else {
    for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
  }
  Dims out;
  for (size_t i = 0; i < in.size(); ++i)
    if (!drop[i]) out.push_back(in[i]);
  return {data.reshaped(out)};
}

std::vector<Tensor> unsqueeze_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const auto raw_axes = int_values(node, require_input(node, inputs, 1), "axes");
  const int64_t out_rank = data.rank() + static_cast<int64_t>(raw_axes.size());
  const auto axes = normalize_axes(node, raw_axes, out_rank);
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : axes) inserted[static_cast<size_t>(a)] = true;
  Dims out;
  size_t next_input_dim = 0;
  for (int64_t i = 0; i < out_rank; ++i)
    out.push_back(inserted[static_cast<size_t>(i)] ? 1 : data.shape()[next_input_dim++]);
  return {data.reshaped(out)};
}

std::vector<Tensor> identity_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return {require_input(node, inputs, 0)};
}

std::vector<Tensor> dropout_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  if (node.has_input(2) && inputs.size() > 2 && inputs[2] && inputs[2]->numel() > 0 &&
      inputs[2]->scalar_as_double() != 0.0)
    fail_input(node.describe(), ": training_mode=true is not supported by an inference engine; export the model "
               "in eval mode (model.eval())");
  std::vector<Tensor> outputs{data};
  if (node.outputs.size() > 1 && !node.outputs[1].empty()) {
    Tensor mask(DType::Bool, data.shape());
    std::fill_n(mask.data<bool>(), mask.numel(), true);
    outputs.push_back(mask);
  }
  return outputs;
}

// ---------------------------------------------------------------------------------------------
// Concat and Split

// torch.cat accepts legacy empty 1-D [0] tensors beside tensors of any rank; they add nothing.
bool is_legacy_empty(const Tensor& t) { return t.rank() == 1 && t.dim(0) == 0; }

std::vector<Tensor> concat_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
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
  if (rank == 0) fail_input(node.describe(), ": cannot concatenate scalars (input ", reference_index, " is ",
                            reference.describe(), ")");
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
    out_shape[static_cast<size_t>(axis)] += t.dim(axis);
    parts.push_back(&t);
  }
  Tensor out(reference.dtype(), out_shape);
  const size_t elem = dtype_size(reference.dtype());
  const int64_t outer = product(out_shape, 0, static_cast<size_t>(axis));
  const int64_t inner = product(out_shape, static_cast<size_t>(axis) + 1, out_shape.size());
  const size_t out_row_bytes = static_cast<size_t>(out_shape[static_cast<size_t>(axis)] * inner) * elem;
  size_t column = 0;  // byte offset of the current input's block within an output row
  for (const Tensor* t : parts) {
    const size_t block = static_cast<size_t>(t->dim(axis) * inner) * elem;
    if (block == 0) continue;
    const uint8_t* src = bytes_of(*t);
    uint8_t* dst = bytes_of(out) + column;
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + static_cast<size_t>(o) * out_row_bytes, src + static_cast<size_t>(o) * block, block);
    column += block;
  }
  return {out};
}

std::vector<Tensor> split_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  if (data.rank() == 0) fail_input(node.describe(), ": cannot split a scalar");
  const int64_t axis = normalize_axis(node, node.attr_int("axis", 0), data.rank());
  const int64_t extent = data.dim(axis);
  const int64_t output_count = static_cast<int64_t>(node.outputs.size());
  std::vector<int64_t> sizes;
  if (node.has_input(1)) {
    sizes = int_values(node, require_input(node, inputs, 1), "split");
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
  const size_t elem = dtype_size(data.dtype());
  const int64_t outer = product(data.shape(), 0, static_cast<size_t>(axis));
  const int64_t inner = product(data.shape(), static_cast<size_t>(axis) + 1, data.shape().size());
  const size_t in_row_bytes = static_cast<size_t>(extent * inner) * elem;
  std::vector<Tensor> outputs;
  size_t column = 0;
  for (int64_t size : sizes) {
    Dims shape = data.shape();
    shape[static_cast<size_t>(axis)] = size;
    Tensor out(data.dtype(), shape);
    const size_t block = static_cast<size_t>(size * inner) * elem;
    if (block != 0)
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(bytes_of(out) + static_cast<size_t>(o) * block,
                    bytes_of(data) + static_cast<size_t>(o) * in_row_bytes + column, block);
    column += block;
    outputs.push_back(out);
  }
  return outputs;
}

// ---------------------------------------------------------------------------------------------
// Slice, Transpose, Expand, Tile: strided copies

std::vector<Tensor> slice_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const int64_t rank = data.rank();
  const auto starts = int_values(node, require_input(node, inputs, 1), "starts");
  const auto ends = int_values(node, require_input(node, inputs, 2), "ends");
  if (starts.size() != ends.size())
    fail_input(node.describe(), ": starts has ", starts.size(), " values but ends has ", ends.size());
  std::vector<int64_t> raw_axes;
  if (node.has_input(3)) {
    raw_axes = int_values(node, require_input(node, inputs, 3), "axes");
  } else {
    for (size_t i = 0; i < starts.size(); ++i) raw_axes.push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> steps(starts.size(), 1);
  if (node.has_input(4)) steps = int_values(node, require_input(node, inputs, 4), "steps");
  if (raw_axes.size() != starts.size() || steps.size() != starts.size())
    fail_input(node.describe(), ": starts, ends, axes and steps must have the same length (got ", starts.size(),
               ", ", ends.size(), ", ", raw_axes.size(), ", ", steps.size(), ")");
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
      count = 0;  // nothing to take (and the clamps below need dim >= 1)
    } else if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      if (end > start) count = (end - start - 1) / step + 1;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      const int64_t magnitude = step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step;
      if (start > end) count = (start - end - 1) / magnitude + 1;
    }
    out_shape[a] = count;
    first[a] = count > 0 ? start : 0;
    step_of[a] = step;
  }
  Tensor out(data.dtype(), out_shape);
  if (out.numel() == 0) return {out};
  const auto in_strides = contiguous_strides(data.shape());
  std::vector<int64_t> strides(static_cast<size_t>(rank));
  int64_t base = 0;
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    base += first[d] * in_strides[d];
    strides[d] = step_of[d] * in_strides[d];
  }
  const size_t elem = dtype_size(data.dtype());
  strided_copy(bytes_of(data) + static_cast<size_t>(base) * elem, strides, out_shape, bytes_of(out), elem);
  return {out};
}

std::vector<Tensor> transpose_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
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
  Tensor out(data.dtype(), out_shape);
  strided_copy(bytes_of(data), strides, out_shape, bytes_of(out), dtype_size(data.dtype()));
  return {out};
}

std::vector<Tensor> expand_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const auto target = int_values(node, require_input(node, inputs, 1), "shape");
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
  const auto in_strides = contiguous_strides(data.shape());
  std::vector<int64_t> strides(rank, 0);  // 0 on broadcast (and prepended) dims
  for (size_t i = 0; i < data.shape().size(); ++i) {
    const size_t o = i + rank - data.shape().size();
    strides[o] = data.shape()[i] == 1 ? 0 : in_strides[i];
  }
  Tensor out(data.dtype(), out_shape);
  strided_copy(bytes_of(data), strides, out_shape, bytes_of(out), dtype_size(data.dtype()));
  return {out};
}

std::vector<Tensor> tile_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const auto repeats = int_values(node, require_input(node, inputs, 1), "repeats");
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
  Tensor out(data.dtype(), out_shape);
  if (out.numel() == 0) return {out};
  if (rank == 0) return {data.clone()};
  const size_t elem = dtype_size(data.dtype());
  const auto in_strides = contiguous_strides(data.shape());
  const int64_t inner_in = data.shape().back();
  const int64_t inner_out = out_shape.back();
  const int64_t rows = out.numel() / inner_out;
  const uint8_t* src = bytes_of(data);
  uint8_t* dst = bytes_of(out);
  const bool parallel = static_cast<int64_t>(out.nbytes()) >= kParallelMinBytes && rows > 1;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t row = 0; row < rows; ++row) {
    // Output coordinate o maps to input coordinate o % dim on every axis.
    int64_t offset = 0;
    int64_t rest = row;
    for (int64_t d = rank - 2; d >= 0; --d) {
      const size_t du = static_cast<size_t>(d);
      offset += ((rest % out_shape[du]) % data.shape()[du]) * in_strides[du];
      rest /= out_shape[du];
    }
    const size_t run = static_cast<size_t>(inner_in) * elem;
    uint8_t* out_row = dst + static_cast<size_t>(row * inner_out) * elem;
    for (int64_t r = 0; r < repeats.back(); ++r)
      std::memcpy(out_row + static_cast<size_t>(r) * run, src + static_cast<size_t>(offset) * elem, run);
  }
  return {out};
}

// ---------------------------------------------------------------------------------------------
// Pad

std::vector<Tensor> pad_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const int64_t rank = data.rank();
  const auto pads = int_values(node, require_input(node, inputs, 1), "pads");
  const std::string mode = node.attr_string("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    fail_input(node.describe(), ": mode '", mode, "' is not supported (expected constant, edge or reflect)");

  std::vector<int64_t> axes;
  if (node.has_input(3)) {
    axes = normalize_axes(node, int_values(node, require_input(node, inputs, 3), "axes"), rank);
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

  // The padding value as raw bytes of the data's dtype (zero when omitted).
  std::vector<uint8_t> fill(dtype_size(data.dtype()), 0);
  if (node.has_input(2) && mode == "constant") {
    const Tensor& value = require_input(node, inputs, 2);
    require_same_dtype(node, data, value, "constant_value");
    if (value.numel() > 1)
      fail_input(node.describe(), ": constant_value must be a scalar, got ", value.describe());
    if (value.numel() == 1) std::memcpy(fill.data(), value.raw(), fill.size());
  }

  // For each axis, which input coordinate feeds each output coordinate (-1: the padding value).
  Dims out_shape(static_cast<size_t>(rank));
  std::vector<std::vector<int64_t>> source(static_cast<size_t>(rank));
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    const int64_t dim = data.shape()[d];
    const int64_t out_dim = dim + begin[d] + end[d];
    if (out_dim < 0)
      fail_input(node.describe(), ": pads ", shape_to_string(pads), " remove more than the ", dim,
                 " elements of axis ", d);
    if (mode != "constant" && dim == 0 && out_dim > 0)
      fail_input(node.describe(), ": ", mode, " padding of an empty axis ", d, " is undefined");
    if (mode == "reflect" && dim == 1 && (begin[d] > 0 || end[d] > 0))
      fail_input(node.describe(), ": reflect padding needs at least 2 elements on axis ", d, ", got 1");
    out_shape[d] = out_dim;
    auto& map = source[d];
    map.resize(static_cast<size_t>(out_dim));
    for (int64_t o = 0; o < out_dim; ++o) {
      int64_t s = o - begin[d];
      if (s < 0 || s >= dim) {
        if (mode == "constant") {
          s = -1;
        } else if (mode == "edge") {
          s = std::clamp<int64_t>(s, 0, dim - 1);
        } else {  // reflect (without repeating the edge), folded until it lands inside
          const int64_t period = 2 * (dim - 1);
          s = ((s % period) + period) % period;
          if (s >= dim) s = period - s;
        }
      }
      map[static_cast<size_t>(o)] = s;
    }
  }

  Tensor out(data.dtype(), out_shape);
  const int64_t total = out.numel();
  if (total == 0) return {out};
  const size_t elem = fill.size();
  const auto in_strides = contiguous_strides(data.shape());
  const uint8_t* src = bytes_of(data);
  uint8_t* dst = bytes_of(out);
  if (rank == 0) {
    std::memcpy(dst, src, elem);
    return {out};
  }
  const int64_t inner = out_shape.back();
  const int64_t rows = total / inner;
  const auto& inner_map = source.back();
  const bool parallel = static_cast<int64_t>(out.nbytes()) >= kParallelMinBytes && rows > 1;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t row = 0; row < rows; ++row) {
    int64_t offset = 0;
    bool padding_row = false;
    int64_t rest = row;
    for (int64_t d = rank - 2; d >= 0; --d) {
      const size_t du = static_cast<size_t>(d);
      const int64_t s = source[du][static_cast<size_t>(rest % out_shape[du])];
      rest /= out_shape[du];
      if (s < 0) padding_row = true;
      else offset += s * in_strides[du];
    }
    uint8_t* out_row = dst + static_cast<size_t>(row * inner) * elem;
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t s = padding_row ? -1 : inner_map[static_cast<size_t>(i)];
      copy_element(out_row + static_cast<size_t>(i) * elem,
                   s < 0 ? fill.data() : src + static_cast<size_t>(offset + s) * elem, elem);
    }
  }
  return {out};
}

// ---------------------------------------------------------------------------------------------
// Constant producers

std::vector<Tensor> constant_of_shape_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const auto shape = int_values(node, require_input(node, inputs, 0), "input");
  for (int64_t d : shape)
    if (d < 0) fail_input(node.describe(), ": shape ", shape_to_string(shape), " has a negative dimension");
  DType dtype = DType::Float32;
  std::vector<uint8_t> value(sizeof(float), 0);
  if (node.has_attribute("value")) {
    const ir::Attribute& attr = node.attr("value");
    if (attr.kind != ir::Attribute::Kind::Tensor || !attr.t.defined() || attr.t.numel() != 1)
      fail_input(node.describe(), ": attribute 'value' must be a one-element tensor");
    dtype = attr.t.dtype();
    value.assign(bytes_of(attr.t), bytes_of(attr.t) + dtype_size(dtype));
  }
  Tensor out(dtype, shape);
  const size_t elem = value.size();
  uint8_t* dst = bytes_of(out);
  const bool all_zero = std::all_of(value.begin(), value.end(), [](uint8_t b) { return b == 0; });
  if (!all_zero)  // the allocation is already zeroed
    for (int64_t i = 0; i < out.numel(); ++i) copy_element(dst + static_cast<size_t>(i) * elem, value.data(), elem);
  return {out};
}

std::vector<Tensor> range_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& start = require_input(node, inputs, 0);
  const Tensor& limit = require_input(node, inputs, 1);
  const Tensor& delta = require_input(node, inputs, 2);
  require_same_dtype(node, start, limit, "limit");
  require_same_dtype(node, start, delta, "delta");
  for (const Tensor* t : {&start, &limit, &delta})
    if (t->numel() != 1) fail_input(node.describe(), ": start, limit and delta must be scalars, got ", t->describe());
  return dispatch_arithmetic(start.dtype(), node.describe(), [&](auto tag) -> std::vector<Tensor> {
    using T = typename decltype(tag)::type;
    const T first = start.data<T>()[0];
    const T last = limit.data<T>()[0];
    const T step = delta.data<T>()[0];
    if (step == T(0)) fail_input(node.describe(), ": delta is 0");
    int64_t count = 0;
    if constexpr (std::is_integral_v<T>) {
      // 128-bit so that limit - start cannot overflow.
      const __int128 span = static_cast<__int128>(last) - static_cast<__int128>(first);
      const __int128 s = step;
      __int128 n = span / s + ((span % s) != 0 && ((span > 0) == (s > 0)) ? 1 : 0);  // ceil
      count = static_cast<int64_t>(std::max<__int128>(0, n));
    } else {
      const double n = std::ceil((static_cast<double>(last) - static_cast<double>(first)) / static_cast<double>(step));
      if (!(n < 9.0e18))
        fail_input(node.describe(), ": range from ", to_double(first), " to ", to_double(last), " by ",
                   to_double(step), " has no finite length");
      count = n > 0 ? static_cast<int64_t>(n) : 0;
    }
    Tensor out(start.dtype(), {count});
    T* dst = out.data<T>();
    for (int64_t i = 0; i < count; ++i) {
      // Every value lies between start and limit, so the 128-bit sum narrows back exactly.
      if constexpr (std::is_integral_v<T>)
        dst[i] = static_cast<T>(static_cast<__int128>(first) + static_cast<__int128>(i) * static_cast<__int128>(step));
      else dst[i] = static_cast<T>(static_cast<double>(first) + static_cast<double>(i) * static_cast<double>(step));
    }
    return {out};
  });
}

}  // namespace

void register_shape_kernels(KernelRegistry& registry) {
  registry.add("Shape", shape_kernel);
  registry.add("Size", size_kernel);
  registry.add("Reshape", reshape_kernel);
  registry.add("Flatten", flatten_kernel);
  registry.add("Squeeze", squeeze_kernel);
  registry.add("Unsqueeze", unsqueeze_kernel);
  registry.add("Identity", identity_kernel);
  registry.add("Dropout", dropout_kernel);
  registry.add("Concat", concat_kernel);
  registry.add("Split", split_kernel);
  registry.add("Slice", slice_kernel);
  registry.add("Transpose", transpose_kernel);
  registry.add("Expand", expand_kernel);
  registry.add("Tile", tile_kernel);
  registry.add("Pad", pad_kernel);
  registry.add("ConstantOfShape", constant_of_shape_kernel);
  registry.add("Range", range_kernel);
}

}  // namespace gnnrt::cpu
