// Rewrites imported graphs so that kernels see one form of each op (the opset-18 form), whatever
// opset between 13 and 21 the file used:
//  * Constant nodes become initializers of their graph (the node disappears; a Constant that
//    directly feeds a graph output becomes an initializer plus an Identity).
//  * Reduce ops that carry `axes` as an attribute (the pre-18 form) get it as an int64 input.
#pragma once

#include <cstddef>
#include <string>

#include "ir/graph.h"
#include "onnx/unique_names.h"

namespace gnnrt::onnx_import {

struct NormalizeStats {
  size_t constants_folded = 0;
  size_t reduce_axes_moved = 0;
};

// Normalises `graph` and, recursively, its subgraphs. `value_names` holds every value name of the
// model, so new initializers get unique names. Fails (InvalidInput) naming the node, except that
// with `keep_unconvertible` a Constant whose value gnnrt cannot hold stays a node.
void normalize_to_opset18(ir::Graph& graph, UniqueNames& value_names, const std::string& what,
                          bool keep_unconvertible, NormalizeStats& stats);

}  // namespace gnnrt::onnx_import
