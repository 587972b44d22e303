#include "backends/op_shapes/elementwise.h"

#include <string>

#include "backends/cpu/broadcast.h"

namespace gnnrt::op_shapes {

void require_same_dtype(const ir::Node& node, const Tensor& first, const Tensor& other, size_t other_index) {
  if (first.dtype() != other.dtype())
    fail_input(node.describe(), ": input ", other_index, " is ", other.describe(), " but input 0 is ",
               first.describe(), "; the inputs must have the same dtype (insert a Cast)");
}

void require_dtype(const ir::Node& node, const Tensor& tensor, size_t index, DType expected) {
  if (tensor.dtype() != expected)
    fail_input(node.describe(), ": input ", index, " must be ", dtype_name(expected), ", got ", tensor.describe());
}

bool mod_takes_dividend_sign(const ir::Node& node) {
  const int64_t fmod = node.attr_int("fmod", 0);
  if (fmod != 0 && fmod != 1) fail_input(node.describe(), ": attribute fmod must be 0 or 1, got ", fmod);
  return fmod == 1;
}

void check_prelu_slope(const ir::Node& node, const Tensor& x, const Tensor& slope) {
  require_same_dtype(node, x, slope, 1);
  const Dims shape = cpu::broadcast_shapes({x.shape(), slope.shape()}, node.describe());
  if (shape != x.shape())
    fail_input(node.describe(), ": slope ", slope.describe(), " must broadcast to X ", x.describe(),
               " without changing X's shape (it would give ", shape_to_string(shape), ")");
}

void check_clip_bounds(const ir::Node& node, const Tensor& x, const KernelInputs& inputs) {
  for (size_t index : {size_t{1}, size_t{2}}) {
    const Tensor* bound = optional_input(inputs, index);
    if (!bound) continue;
    require_same_dtype(node, x, *bound, index);
    if (bound->numel() != 1)
      fail_input(node.describe(), ": input ", index, " (", index == 1 ? "min" : "max", ") must be a scalar, got ",
                 bound->describe());
  }
}

DType cast_target(const ir::Node& node) {
  if (!node.has_attribute("to")) fail_input(node.describe(), ": required attribute 'to' is missing");
  const int64_t onnx_type = node.attr_int("to", 0);
  const DType to = dtype_from_onnx(static_cast<int32_t>(onnx_type));
  if (to == DType::Undefined)
    fail_input(node.describe(), ": cannot cast to ONNX data type ", onnx_type,
               " (supported: float32, float16, bfloat16, float64, int8, uint8, int16, int32, int64, bool)");
  return to;
}

void check_where_inputs(const ir::Node& node, const Tensor& condition, const Tensor& x, const Tensor& y) {
  require_dtype(node, condition, 0, DType::Bool);
  if (x.dtype() != y.dtype())
    fail_input(node.describe(), ": X ", x.describe(), " and Y ", y.describe(), " must have the same dtype");
}

GeluApproximation gelu_approximation(const ir::Node& node) {
  const std::string approximate = node.attr_string("approximate", "none");
  if (approximate == "none") return GeluApproximation::Erf;
  if (approximate == "tanh") return GeluApproximation::Tanh;
  fail_input(node.describe(), ": attribute approximate must be \"none\" or \"tanh\", got \"", approximate, "\"");
}

}  // namespace gnnrt::op_shapes
