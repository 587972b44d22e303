// Dead-code elimination: removes nodes none of whose outputs is read (by a graph output, a later
// node, or an If branch reading an enclosing value by name), then initializers nothing reads.
// Runs inside If branches too (a branch's outputs are what keeps its nodes alive). Graph inputs
// are never removed: users bind them whether the model reads them or not.
#pragma once

#include "passes/pass_manager.h"

namespace gnnrt::passes {

class DeadCodeElimination : public Pass {
 public:
  std::string name() const override { return "dead_code_elimination"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;
};

}  // namespace gnnrt::passes
