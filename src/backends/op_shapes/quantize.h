// gnnrt.QuantizeInt8 (domain "gnnrt"), which the INT8 lowering (passes/int8_lowering.h) puts before
// each SpMM's feature input:
//
// QuantizeInt8(X) -> Y, attribute scale (float, > 0, finite)
//   X float32, any shape; Y int8 of X's shape: Y = clamp(round_half_even(X / scale), -127, 127)
//   (core/int8.h; NaN becomes 0, infinities saturate).
// QuantizeInt8(X) -> (Y, row_scale), attribute per_row = 1 (and no scale): one scale per row
//   X float32 [N, F]; row_scale float32 [N] = max_f |X[n, f]| / 127 over the finite values (1 for
//   a row with none but zeros), computed at run time; Y[n, f] quantised with row_scale[n].
#pragma once

#include "backends/op_shapes/common.h"

namespace gnnrt::op_shapes {

struct QuantizeInt8Layout {
  bool per_row = false;
  float scale = 1.0f;  // per tensor
};
// Checks X's dtype (and rank, per row) and the attributes.
QuantizeInt8Layout quantize_int8_layout(const ir::Node& node, const KernelInputs& inputs);

}  // namespace gnnrt::op_shapes
