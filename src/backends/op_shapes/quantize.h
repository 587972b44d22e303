// gnnrt.QuantizeInt8 (domain "gnnrt"), which the INT8 lowering (passes/int8_lowering.h) puts before
// each SpMM's feature input:
//
// QuantizeInt8(X) -> Y, attribute scale (float, > 0, finite)
//   X float32, any shape; Y int8 of X's shape: Y = clamp(round_half_even(X / scale), -127, 127)
//   (core/int8.h; NaN becomes 0, infinities saturate).
#pragma once

#include "backends/op_shapes/common.h"

namespace gnnrt::op_shapes {

// Checks X's dtype and returns the scale attribute.
float quantize_int8_scale(const ir::Node& node, const KernelInputs& inputs);

}  // namespace gnnrt::op_shapes
