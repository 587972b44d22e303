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
#include "backends/op_shapes/movement.h"
#include "core/dispatch.h"

namespace gnnrt::cpu {
namespace {

using op_shapes::int_values;
using op_shapes::normalize_axes;

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
  op_shapes::check_dropout_inference(node, inputs);
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

std::vector<Tensor> concat_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const op_shapes::ConcatLayout layout = op_shapes::concat_layout(node, inputs);
  const Dims& out_shape = layout.output_shape;
  const int64_t axis = layout.axis;
  Tensor out(inputs[0]->dtype(), out_shape);  // every input has this dtype
  const size_t elem = dtype_size(out.dtype());
  const int64_t outer = layout.outer, inner = layout.inner;
  const size_t out_row_bytes = static_cast<size_t>(out_shape[static_cast<size_t>(axis)] * inner) * elem;
  size_t column = 0;  // byte offset of the current input's block within an output row
  for (size_t k : layout.parts) {
    const Tensor* t = inputs[k];
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
  const op_shapes::SplitLayout layout = op_shapes::split_layout(node, data, inputs);
  const int64_t axis = layout.axis;
  const int64_t extent = data.dim(axis);
  const size_t elem = dtype_size(data.dtype());
  const int64_t outer = layout.outer, inner = layout.inner;
  const size_t in_row_bytes = static_cast<size_t>(extent * inner) * elem;
  std::vector<Tensor> outputs;
  size_t column = 0;
  for (int64_t size : layout.sizes) {
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
  const op_shapes::StridedView view = op_shapes::slice_view(node, data, inputs);
  Tensor out(data.dtype(), view.output_shape);
  if (out.numel() == 0) return {out};
  const size_t elem = dtype_size(data.dtype());
  strided_copy(bytes_of(data) + static_cast<size_t>(view.base) * elem, view.strides, view.output_shape, bytes_of(out),
               elem);
  return {out};
}

std::vector<Tensor> transpose_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const op_shapes::StridedView view = op_shapes::transpose_view(node, data);
  Tensor out(data.dtype(), view.output_shape);
  strided_copy(bytes_of(data), view.strides, view.output_shape, bytes_of(out), dtype_size(data.dtype()));
  return {out};
}

std::vector<Tensor> expand_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const op_shapes::StridedView view = op_shapes::expand_view(node, data, inputs);
  Tensor out(data.dtype(), view.output_shape);
  strided_copy(bytes_of(data), view.strides, view.output_shape, bytes_of(out), dtype_size(data.dtype()));
  return {out};
}

std::vector<Tensor> tile_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const op_shapes::TileLayout layout = op_shapes::tile_layout(node, data, inputs);
  const std::vector<int64_t>& repeats = layout.repeats;
  const Dims& out_shape = layout.output_shape;
  const int64_t rank = data.rank();
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
  const op_shapes::PadLayout layout = op_shapes::pad_layout(node, data, inputs);
  const std::string& mode = layout.mode;
  const Dims& out_shape = layout.output_shape;

  // The padding value as raw bytes of the data's dtype (zero when omitted).
  std::vector<uint8_t> fill(dtype_size(data.dtype()), 0);
  if (layout.constant_value) std::memcpy(fill.data(), layout.constant_value->raw(), fill.size());

  // For each axis, which input coordinate feeds each output coordinate (-1: the padding value).
  std::vector<std::vector<int64_t>> source(static_cast<size_t>(rank));
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    const int64_t dim = data.shape()[d];
    const int64_t out_dim = out_shape[d];
    auto& map = source[d];
    map.resize(static_cast<size_t>(out_dim));
    for (int64_t o = 0; o < out_dim; ++o) {
      int64_t s = o - layout.begin[d];
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
  const op_shapes::ConstantFill fill = op_shapes::constant_fill(node, inputs);
  const DType dtype = fill.dtype;
  std::vector<uint8_t> value(sizeof(float), 0);
  if (fill.value) value.assign(bytes_of(*fill.value), bytes_of(*fill.value) + dtype_size(dtype));
  Tensor out(dtype, fill.shape);
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
  op_shapes::check_range_inputs(node, start, limit, delta);
  const int64_t count = op_shapes::range_length(node, start, limit, delta);
  return dispatch_arithmetic(start.dtype(), node.describe(), [&](auto tag) -> std::vector<Tensor> {
    using T = typename decltype(tag)::type;
    const T first = start.data<T>()[0];
    const T step = delta.data<T>()[0];
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
