// Message-passing lifting: recognises PyG's aggregation
//
//   out = ScatterElements(zeros[N, F], Expand(Reshape(dst, [E, 1]), [E, F]),
//                         Gather(X, src, axis=0) [* Reshape(w, [E, 1])], axis=0, reduction="add")
//
// (the [E, F] gather -> scale -> scatter-add chain both exporters write for GCNConv, GraphConv,
// SAGEConv and GINConv) and replaces it with
//
//   row_ptr, col[, w_sorted] = gnnrt.CsrFromCoo(src, dst, shape(zeros)[, w])
//   out = gnnrt.SpMM(X, row_ptr, col[, w_sorted])
//
// so that no [E, F] tensor is ever written. A scatter-add of whole rows of some H [E, F] with no
// gather before it, indexed by a graph input (global_add_pool and the sums of global_mean_pool,
// over `batch`), is a segment
// sum: the same SpMM with src = 0 .. E-1 (Range over the length of dst), deterministic, without
// atomics. The CSR matrix depends only on the graph structure:
// it is built once per call, shared by every layer over the same edges, and cached across calls
// with the rest of the structure-only part (runtime/structure_cache.h). Matching is on dataflow
// and inferred shapes, never on names. It does not fire when a dimension cannot be proved equal
// (E of the indices versus E of the messages, F of X versus F of the zeros), when the zeros are not
// zeros, or for other reductions.
#pragma once

#include "passes/pass_manager.h"

namespace gnnrt::passes {

class SpmmLifting : public Pass {
 public:
  std::string name() const override { return "spmm_lifting"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;
};

}  // namespace gnnrt::passes
