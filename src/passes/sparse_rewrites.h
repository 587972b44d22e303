// Rewrites the sparse passes share: finding or creating the CsrFromCoo node for an edge list.
#pragma once

#include <set>
#include <string>

#include "ir/graph.h"

namespace gnnrt::passes {

struct CooEdges {
  std::string src, dst, dense_shape;
  std::string weight;  // empty: no values
};

struct CsrValues {
  std::string row_ptr, col;
  std::string values;  // empty when the edges have no weight
};

// The outputs of a CsrFromCoo over `edges` that runs before node `position`: an existing one (every
// layer over the same edges shares one CSR matrix), or a new one inserted at `position` (the
// caller's node moves to position + 1). New names start with `base`.
CsrValues find_or_insert_csr(ir::Graph& graph, size_t& position, const CooEdges& edges, const std::string& base,
                             std::set<std::string>& taken);

}  // namespace gnnrt::passes
