// Checks that only make sense for graphs: edge indices inside [0, num_nodes), edge weights one
// per edge, a batch vector of valid graph ids, and a graph count that matches one frozen into the
// model at export. PyG itself dies with a device-side assert on a bad edge index; gnnrt refuses
// it with a message instead.
#pragma once

#include <optional>
#include <string>

#include "ir/graph.h"
#include "runtime/executor.h"

namespace gnnrt::runtime {

// Which model inputs play which PyG role: by PyG's names first (x, edge_index, edge_weight,
// batch), else by shape (the float input of rank 2; the integer input of shape [2, E]).
struct GraphInputRoles {
  std::string node_features;  // x
  std::string edge_index;
  std::string edge_weight;
  std::string batch;
};
GraphInputRoles find_graph_input_roles(const ir::Graph& graph);

// Throws InvalidInput naming the input, the offending value and its position.
void check_graph_inputs(const ir::Graph& graph, const TensorMap& inputs);

// The number of graphs a model was frozen to at export (an output whose first dimension is a fixed
// number while the model takes a batch vector), if any.
std::optional<int64_t> frozen_graph_count(const ir::Graph& graph, std::string* output_name = nullptr);

}  // namespace gnnrt::runtime
