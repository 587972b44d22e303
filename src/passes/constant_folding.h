// Constant folding: a node whose inputs are all constants (initializers, or outputs of nodes
// folded before it) is evaluated once at build time with the CPU reference kernel and replaced by
// an initializer, so the result is bit-identical to what the node would compute at run time.
//
// Not folded: nodes with a subgraph, ops that are not deterministic (Random*, Dropout, ...), fused
// gnnrt ops, nodes producing a graph output, and nodes whose output is not statically shaped or
// is larger than PassContext::max_folded_elements (the size is checked before evaluating, from the
// inferred type). A kernel that fails on the constants (an index out of range) leaves the node to
// fail at run time with the usual message.
//
// An If whose condition is a constant is replaced by the nodes of the branch that runs (the
// TorchScript exporter's `if x.dim() == 1` checks become constant once Size(Shape(x)) is).
// Folding also runs inside If branches, where enclosing constants are visible.
#pragma once

#include "passes/pass_manager.h"

namespace gnnrt::passes {

class ConstantFolding : public Pass {
 public:
  std::string name() const override { return "constant_folding"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;
};

}  // namespace gnnrt::passes
