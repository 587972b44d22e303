#include "backends/op_shapes/fused_linear.h"

#include <cstdint>
#include <limits>

namespace gnnrt::op_shapes {

LinearLayout linear_layout(const ir::Node& node, const KernelInputs& inputs) {
  using namespace fused_linear;
  const Tensor& x = require_input(node, inputs, kX);
  const Tensor& weight = require_input(node, inputs, kWeight);
  const DType dtype = x.dtype();
  if ((dtype != DType::Float32 && dtype != DType::Float16 && dtype != DType::BFloat16) || x.rank() != 2)
    fail_input(node.describe(), ": X must be a 2-D float32, float16 or bfloat16 tensor, got ", x.describe());
  const Tensor* weight_scale = optional_input(inputs, kWeightScale);
  LinearLayout layout;
  layout.int8_weight = weight.dtype() == DType::Int8;
  if (layout.int8_weight) {
    if (dtype != DType::Float32)
      fail_input(node.describe(), ": an int8 W needs a float32 X, got ", x.describe());
    if (!weight_scale || weight_scale->dtype() != DType::Float32 || weight_scale->rank() != 1 || weight.rank() != 2 ||
        weight_scale->dim(0) != weight.dim(1))
      fail_input(node.describe(), ": an int8 W ", weight.describe(), " needs weight_scale, float32 [N] (one scale per "
                 "output column), got ", weight_scale ? weight_scale->describe() : std::string("none"));
  } else if (weight_scale) {
    fail_input(node.describe(), ": weight_scale is for an int8 W only, W is ", weight.describe());
  }
  if ((weight.dtype() != dtype && !layout.int8_weight) || weight.rank() != 2 || weight.dim(0) != x.dim(1))
    fail_input(node.describe(), ": W ", weight.describe(), " must be [", x.dim(1), ", N] of X's dtype (X is ",
               x.describe(), ")");
  layout.rows = x.dim(0);
  layout.inner = x.dim(1);
  layout.width = weight.dim(1);
  // Any number of rows (nodes) runs; the widths go to BLAS libraries as 32-bit integers.
  constexpr int64_t kMaxWidth = std::numeric_limits<int32_t>::max();
  if (layout.inner > kMaxWidth || layout.width > kMaxWidth)
    fail_input(node.describe(), ": W ", weight.describe(), " is wider than the ", kMaxWidth,
               " columns a GEMM call takes (int32 sizes)");
  if (const Tensor* bias = optional_input(inputs, kBias)) {
    if (bias->dtype() != dtype || bias->rank() != 1 || bias->dim(0) != layout.width)
      fail_input(node.describe(), ": bias ", bias->describe(), " must be [", layout.width, "] of X's dtype");
    layout.has_bias = true;
  }
  layout.activation = spmm_activation(node);
  return layout;
}

}  // namespace gnnrt::op_shapes
