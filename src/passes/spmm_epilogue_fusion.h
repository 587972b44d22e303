// SpMM epilogue fusion: a bias Add and a Relu that follow an SpMM run inside it, on the row it
// has just summed in registers, instead of as two more passes over the [N, F] output:
//   Relu(Add(SpMM(...), b))  ->  SpMM(..., bias=b, activation="relu")
// Fires when each fused node is the only reader of the value before it (and that value is no graph
// output), the bias is a float32 initializer of shape [F] or [1, F] for the SpMM's known width F,
// and the pieces come in that order (bias then activation; a Relu alone fuses too).
#pragma once

#include "passes/pass_manager.h"

namespace gnnrt::passes {

class SpmmEpilogueFusion : public Pass {
 public:
  std::string name() const override { return "spmm_epilogue_fusion"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;
};

}  // namespace gnnrt::passes
