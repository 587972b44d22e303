// GCN normalisation folding: PyG's gcn_norm gives every edge the weight
//   w[e] = dinv[src[e]] * edge_weight[e] * dinv[dst[e]]      (dinv = deg^-1/2, 0 where deg = 0)
// computed as gathers and products over [E] arrays. When an SpMM's edge values are such a product,
// the per-node factors move into the SpMM as row and column scales:
//   SpMM(X, CSR(w)) = diag(dinv) * SpMM(X, CSR(edge_weight)) with X's rows scaled by dinv,
// which the kernel applies on the fly. Without edge weights no per-edge value array is left at
// all: the CSR matrix is just row offsets and column ids. The degree computation itself stays in
// the graph (it is structure-only work, cached with the CSR matrix).
//
// Fires only when each factor is provably indexed by the SpMM's own src (column scale) or dst (row
// scale), and the scale vectors have provably the lengths of X's rows and the output's rows, so that
// the folded form reads exactly the elements the gathers read. At most one column scale, one row
// scale and one other factor are folded; anything else is left as it was.
#pragma once

#include "passes/pass_manager.h"

namespace gnnrt::passes {

class GcnNormalizationFolding : public Pass {
 public:
  std::string name() const override { return "gcn_normalization_folding"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;
};

}  // namespace gnnrt::passes
