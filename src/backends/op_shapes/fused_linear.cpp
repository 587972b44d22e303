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
  if (weight.dtype() != dtype || weight.rank() != 2 || weight.dim(0) != x.dim(1))
    fail_input(node.describe(), ": W ", weight.describe(), " must be [", x.dim(1), ", N] of X's dtype (X is ",
               x.describe(), ")");
  LinearLayout layout;
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
