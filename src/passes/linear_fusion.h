// Linear fusion: a dense layer and its epilogue become one gnnrt.Linear (semantics:
// backends/op_shapes/fused_linear.h), as TensorRT fuses a fully connected layer with its bias and
// activation:
//   Relu(Add(MatMul(X, W), b))            -> Linear(X, W, b, activation="relu")
//   Gemm(X, B, C, alpha, beta, transB)     -> Linear(X, alpha * op(B), beta * C)
// On the GPU the epilogue runs inside the GEMM (cuBLASLt), and the fp16/bf16 engines have one op
// whose weights the precision pass converts. W must be a 2-D initializer; Gemm needs transA = 0 and a
// C that broadcasts per column ([N] or [1, N]). The bias Add and the Relu fuse only when each is the
// sole reader of the value before it, which is no graph output.
#pragma once

#include "passes/pass_manager.h"

namespace gnnrt::passes {

class LinearFusion : public Pass {
 public:
  std::string name() const override { return "linear_fusion"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;
};

}  // namespace gnnrt::passes
