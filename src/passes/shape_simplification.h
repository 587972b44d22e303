// Shape simplification: shape queries whose answer is fixed for every input become constants, and
// nodes that provably change nothing are removed.
//
// - Shape(x) becomes a constant when the dims it returns are all known sizes (Shape's start/end
//   honoured); Gather(Shape(x), constant indices) when the dims it picks are; Size(x) when x's
//   shape is fully known.
// - Identity, Cast to the dtype its input already has, single-input Concat/Max/Min/Sum/Mean, and
//   Reshape/Squeeze/Unsqueeze/Flatten/Expand/Slice whose output type equals their input type are
//   removed; their readers read the input instead. Not when the output is a graph output.
//
// Symbolic dims stay dynamic: Shape(x)[0] of x: [num_nodes, 16] is never folded, so the engine
// works for every graph size. "Output type equals input type" compares symbolic dims by name
// (num_nodes == num_nodes holds for every graph), never an unknown dim. A Squeeze without axes is
// removed only for a fully known input shape: a symbolic dim may be 1 at run time and be squeezed.
#pragma once

#include "passes/pass_manager.h"

namespace gnnrt::passes {

class ShapeSimplification : public Pass {
 public:
  std::string name() const override { return "shape_simplification"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;
};

}  // namespace gnnrt::passes
