// Several graphs in one .npz: every array of graph k carries the suffix `_k` (k = 0, 1, 2, ...,
// written without leading zeros), the same rule for every model input and for the outputs:
//
//   x_0, edge_index_0, x_1, edge_index_1, ...       (edge_weight_0, ... when the model takes it)
//   out_0, out_1, ...                               (what `gnnrt run --output` writes for them)
//
// np.savez(f, x_0=..., edge_index_0=..., x_1=..., ...) writes it. A suffix is recognised only
// after a name the model knows, so an input whose own name ends in `_<digits>` stays one name.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "io/npy.h"

namespace gnnrt::io {

// `name` as graph `graph`'s array: graph_array_name("out", 3) == "out_3".
std::string graph_array_name(const std::string& name, size_t graph);

// Splits the arrays of the file at `path` into graphs, each array under its name without the
// suffix, graphs in number order. std::nullopt when no array is named per graph (the file is one
// graph's arrays, to be used as they are). `known_names`: the model's inputs.
// Fails (InvalidInput, naming the file and the arrays) on a mix of plain and per-graph names
// (x beside x_0), an array that is neither, a graph number missing from 0..max, and a graph
// lacking an array that another graph has (x_1 without edge_index_1).
std::optional<std::vector<NamedTensors>> split_graph_arrays(const NamedTensors& arrays,
                                                            const std::vector<std::string>& known_names,
                                                            const std::string& path);

}  // namespace gnnrt::io
