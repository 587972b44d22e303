#include "backends/op_shapes/quantize.h"

#include <cmath>

namespace gnnrt::op_shapes {

QuantizeInt8Layout quantize_int8_layout(const ir::Node& node, const KernelInputs& inputs) {
  const Tensor& x = require_input(node, inputs, 0);
  if (x.dtype() != DType::Float32) fail_input(node.describe(), ": X must be float32, got ", x.describe());
  QuantizeInt8Layout layout;
  const int64_t per_row = node.attr_int("per_row", 0);
  if (per_row != 0 && per_row != 1) fail_input(node.describe(), ": per_row must be 0 or 1, got ", per_row);
  const bool has_scale = node.attributes.count("scale") > 0;
  layout.per_row = per_row == 1;
  if (layout.per_row) {
    if (has_scale) fail_input(node.describe(), ": per_row = 1 computes the scales; the attribute scale is not taken");
    if (x.rank() != 2) fail_input(node.describe(), ": per_row = 1 needs a 2-D X, got ", x.describe());
    if (node.outputs.size() != 2)
      fail_input(node.describe(), ": per_row = 1 has two outputs (Y, row_scale), the node has ", node.outputs.size());
    return layout;
  }
  const float scale = node.attr_float("scale", 0.0f);
  if (!has_scale || !std::isfinite(scale) || scale <= 0)
    fail_input(node.describe(), ": the attribute scale must be a positive finite float, got ",
               has_scale ? cat(scale) : std::string("none"));
  layout.scale = scale;
  return layout;
}

}  // namespace gnnrt::op_shapes
