#include "backends/op_shapes/quantize.h"

#include <cmath>

namespace gnnrt::op_shapes {

float quantize_int8_scale(const ir::Node& node, const KernelInputs& inputs) {
  const Tensor& x = require_input(node, inputs, 0);
  if (x.dtype() != DType::Float32) fail_input(node.describe(), ": X must be float32, got ", x.describe());
  const bool has_scale = node.attributes.count("scale") > 0;
  const float scale = node.attr_float("scale", 0.0f);
  if (!has_scale || !std::isfinite(scale) || scale <= 0)
    fail_input(node.describe(), ": the attribute scale must be a positive finite float, got ",
               has_scale ? cat(scale) : std::string("none"));
  return scale;
}

}  // namespace gnnrt::op_shapes
