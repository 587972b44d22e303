// Aggregation reordering: A (X W) = (A X) W, so a layer that widens its features (W: [K, F] with
// K < F) aggregates before the linear transform, at width K instead of F. PyG's GCNConv always
// applies its linear layer first; at arxiv size (128 -> 256) this halves the bytes the SpMM
// gathers. The SpMM's row and column scales and edge values are linear too, so they move with it.
//
// Fires on SpMM(MatMul(H, W)), SpMM(Gemm(H, W) without C) and SpMM(gnnrt.Linear(H, W) without bias or
// activation), W a 2-D initializer with known
// dims, when the product feeds nothing but the SpMM and the SpMM has no bias or activation yet
// (they do not commute with W; this pass runs before spmm_epilogue_fusion).
#pragma once

#include "passes/pass_manager.h"

namespace gnnrt::passes {

class AggregationReordering : public Pass {
 public:
  std::string name() const override { return "aggregation_reordering"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;
};

}  // namespace gnnrt::passes
