// Structural checks of an IR graph, run after import and after every pass.
#pragma once

#include "ir/graph.h"

namespace gnnrt::ir {

// Checks that:
// - every node input is defined before use (a graph input, an initializer, an earlier node's
//   output, or, inside an If branch, a value of an enclosing graph defined before the If);
// - every value is assigned once (SSA), and a branch does not redefine a value of its enclosing
//   graph;
// - every graph output is produced; node names are unique;
// - the inputs and attributes an op requires are present (ONNX ops gnnrt knows, any opset >= 13);
// - dtypes agree where the op demands it (Add of float32 and int64, Where's condition not bool,
//   Gather indices not int32/int64), as far as the types are known.
// Throws InvalidInput listing the first problems found, each naming the node or value.
void verify_graph(const Graph& graph);

}  // namespace gnnrt::ir
