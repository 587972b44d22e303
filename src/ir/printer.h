// A human-readable dump of an IR graph, for `gnnrt inspect --dump-ir` and pass debugging.
#pragma once

#include <string>

#include "ir/graph.h"

namespace gnnrt::ir {

// Inputs with types, initializers (name and type, not values), one line per node, then the
// outputs; If branches are printed indented under their node:
//
//   graph main
//     input %x : float32[num_nodes, 1433]
//     initializer %W : float32[1433, 16]
//     %h = MatMul(%x, %W)  # mm : float32[num_nodes, 16]
//     %y = If(%c)  # if0 : float32[num_nodes, 16]
//       then_branch:
//         %a = Relu(%h)  # relu0 : float32[num_nodes, 16]
//         output %a : float32[num_nodes, 16]
//       else_branch:
//         ...
//     output %y : float32[num_nodes, 16]
//
// Attributes print in brackets ("Gather[axis=0]"), sorted by name; small tensor attributes show
// their values. An omitted optional input prints as "%_", a type nobody knows as "?".
std::string print_graph(const Graph& graph);

}  // namespace gnnrt::ir
