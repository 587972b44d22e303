// gnnrt.Linear (domain "gnnrt"): a dense layer with its epilogue, which passes/linear_fusion.cpp
// makes of MatMul/Gemm + bias Add + Relu, as TensorRT fuses a fully connected layer:
//
// Linear(X, W[, bias]) -> Y, attribute activation = "none" (default) or "relu"
//   X [M, K], W [K, N] (row-major, already transposed at build time), bias [N]; Y [M, N].
//   X, W, bias and Y share one dtype: float32, float16 or bfloat16. Products accumulate in fp32
//   (IEEE fp32 for float32: no TF32), then Y = act(X W + bias) is rounded once to the dtype.
//
// Linear(X, W, bias or "", weight_scale) in INT8 engines (docs/INT8.md): W int8 [K, N] with
//   per-output-channel scales weight_scale float32 [N]: W[k, n] reads as weight_scale[n] * W[k, n].
//   X, bias and Y are then float32. (The CPU reference only.)
#pragma once

#include <cstdint>

#include "backends/op_shapes/common.h"
#include "backends/op_shapes/sparse.h"

namespace gnnrt::op_shapes {

namespace fused_linear {
constexpr size_t kX = 0, kWeight = 1, kBias = 2, kWeightScale = 3;
}  // namespace fused_linear

struct LinearLayout {
  int64_t rows = 0;    // M
  int64_t inner = 0;   // K
  int64_t width = 0;   // N
  bool has_bias = false;
  bool int8_weight = false;  // W int8 with weight_scale
  SpmmActivation activation = SpmmActivation::None;
};
// Checks dtypes and shapes.
LinearLayout linear_layout(const ir::Node& node, const KernelInputs& inputs);

}  // namespace gnnrt::op_shapes
