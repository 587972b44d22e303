// Mean-pooling folding: the division that ends global_mean_pool (the pooled sums over the clamped
// node counts of each graph) runs inside the SpMM that computed the sums, on the row it has just
// summed, instead of as a broadcast and a division over the [G, F] output:
//   Div(SpMM(H, ...), Expand(Reshape(count, [G, 1]), [G, F]))  ->  SpMM(H, ..., row_scale=count,
//                                                                       row_scale_divides=1)
// (the Expand may be absent: Div broadcasts [G, 1] itself). Fires when the SpMM has no row scale,
// bias or activation yet, the Div is its only reader, and count is a float32 vector whose length is
// provably the SpMM's row count. With spmm_lifting, which turns the pooling's scatter-add of node
// rows into an SpMM over the batch vector, a mean pool is one SpMM; its counts depend only on
// `batch`, so they belong to the cached structure part.
#pragma once

#include "passes/pass_manager.h"

namespace gnnrt::passes {

class MeanPoolingFolding : public Pass {
 public:
  std::string name() const override { return "mean_pooling_folding"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;
};

}  // namespace gnnrt::passes
