// The structure-only part of a graph: the nodes whose results depend only on the graph's structure
// (edge_index, edge_weight, batch), the shapes of the inputs and the weights, never on the node
// features. For a GCN this is self-loop handling, the degrees, deg^-1/2 and the CSR matrix. A
// second call on the same graph can skip all of it (runtime/structure_cache.h), as a serving system
// that runs many feature sets over one graph must.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace gnnrt::runtime {

struct StructureSplit {
  std::vector<std::string> structure_inputs;  // graph inputs whose content the structure part reads
  std::vector<bool> is_structure_node;        // per top-level node
  // Values the structure part computes that the rest of the graph (or a graph output) reads: what
  // a cache entry holds.
  std::vector<std::string> boundary_values;
  size_t structure_node_count = 0;
};

// Structure inputs are the inputs find_graph_input_roles calls edge_index, edge_weight and batch. A
// node is structure-only when everything it reads is an initializer, a structure input or the
// output of a structure-only node; Shape and Size of any graph input are too (they read only its
// shape, which is part of every cache key). Nodes with subgraphs (If) are never structure-only.
StructureSplit split_structure(const ir::Graph& graph);

}  // namespace gnnrt::runtime
