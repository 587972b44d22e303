// Orders nodes so every value is defined before it is used, and checks that every value a node
// or graph output uses is defined exactly once (by a node, an initializer, a graph input or, for
// subgraphs, an enclosing graph).
#pragma once

#include <set>
#include <string>

#include "ir/graph.h"

namespace gnnrt::onnx_import {

// Sorts `graph.nodes` topologically, keeping the file's order where it is already valid, and
// recursively checks subgraphs. A node whose subgraph uses a value of this graph depends on that
// value's producer. `outer_values` are the values visible from enclosing graphs. Fails
// (InvalidInput) naming the node and value for undefined or twice-defined values, and listing
// the nodes of a cycle.
void sort_and_check(ir::Graph& graph, const std::set<std::string>& outer_values, const std::string& what);

}  // namespace gnnrt::onnx_import
