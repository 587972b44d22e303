#include "runtime/graph_input_checks.h"

#include <algorithm>

namespace gnnrt::runtime {
namespace {

bool has_rank(const ir::ValueInfo& input, size_t rank) {
  return input.type.shape && input.type.shape->size() == rank;
}

// Reads element i of an integer tensor as int64 without a per-element dtype switch for int64.
template <typename Visit>
void for_each_index(const Tensor& tensor, Visit&& visit) {
  const int64_t n = tensor.numel();
  if (tensor.dtype() == DType::Int64) {
    const int64_t* values = tensor.data<int64_t>();
    for (int64_t i = 0; i < n; ++i)
      if (!visit(i, values[i])) return;
  } else {
    for (int64_t i = 0; i < n; ++i)
      if (!visit(i, tensor.scalar_as_int(i))) return;
  }
}

}  // namespace

GraphInputRoles find_graph_input_roles(const ir::Graph& graph) {
  GraphInputRoles roles;
  for (const ir::ValueInfo& input : graph.inputs) {
    if (input.name == "x") roles.node_features = input.name;
    if (input.name == "edge_index") roles.edge_index = input.name;
    if (input.name == "edge_weight") roles.edge_weight = input.name;
    if (input.name == "batch") roles.batch = input.name;
  }
  for (const ir::ValueInfo& input : graph.inputs) {
    if (roles.node_features.empty() && is_floating(input.type.dtype) && has_rank(input, 2))
      roles.node_features = input.name;
    if (roles.edge_index.empty() && is_integer(input.type.dtype) && has_rank(input, 2) &&
        (*input.type.shape)[0].size == 2)
      roles.edge_index = input.name;
  }
  return roles;
}

std::optional<int64_t> frozen_graph_count(const ir::Graph& graph, std::string* output_name) {
  if (find_graph_input_roles(graph).batch.empty()) return std::nullopt;
  for (const ir::ValueInfo& output : graph.outputs) {
    if (!output.type.shape || output.type.shape->empty()) continue;
    const ir::Dim& rows = output.type.shape->front();
    if (rows.is_known()) {
      if (output_name) *output_name = output.name;
      return rows.size;
    }
  }
  return std::nullopt;
}

void check_graph_inputs(const ir::Graph& graph, const TensorMap& inputs) {
  const GraphInputRoles roles = find_graph_input_roles(graph);
  auto find = [&](const std::string& name) -> const Tensor* {
    if (name.empty()) return nullptr;
    auto it = inputs.find(name);
    return it == inputs.end() ? nullptr : &it->second;
  };
  const Tensor* x = find(roles.node_features);
  const Tensor* edge_index = find(roles.edge_index);
  const Tensor* edge_weight = find(roles.edge_weight);
  const Tensor* batch = find(roles.batch);

  if (edge_index) {
    if (edge_index->rank() != 2 || edge_index->dim(0) != 2)
      fail_input("input '", roles.edge_index, "': expected shape [2, num_edges], got ",
                 shape_to_string(edge_index->shape()));
    if (!is_integer(edge_index->dtype()))
      fail_input("input '", roles.edge_index, "': expected an integer dtype (int64), got ",
                 dtype_name(edge_index->dtype()));
    // Device-resident indices are not read here: the device kernels guard every index they read.
    if (x && x->rank() >= 1 && edge_index->on_host()) {
      const int64_t num_nodes = x->dim(0);
      const int64_t num_edges = edge_index->dim(1);
      for_each_index(*edge_index, [&](int64_t i, int64_t node) {
        if (node >= 0 && node < num_nodes) return true;
        fail_input("input '", roles.edge_index, "': value ", node, " at [", i / num_edges, ", ", i % num_edges,
                   "] is not a node index: indices must be in [0, ", num_nodes, ") because '",
                   roles.node_features, "' has ", num_nodes, " rows");
      });
    }
  }
  if (edge_weight && edge_index) {
    if (edge_weight->rank() != 1 || edge_weight->dim(0) != edge_index->dim(1))
      fail_input("input '", roles.edge_weight, "': expected one weight per edge, shape [", edge_index->dim(1),
                 "], got ", shape_to_string(edge_weight->shape()));
  }
  if (batch) {
    if (batch->rank() != 1)
      fail_input("input '", roles.batch, "': expected shape [num_nodes], got ", shape_to_string(batch->shape()));
    if (x && x->rank() >= 1 && batch->dim(0) != x->dim(0))
      fail_input("input '", roles.batch, "': expected one graph id per node, ", x->dim(0), " entries, got ",
                 batch->dim(0));
    int64_t max_graph = -1;
    if (batch->on_host()) for_each_index(*batch, [&](int64_t i, int64_t graph_id) {
      if (graph_id < 0)
        fail_input("input '", roles.batch, "': value ", graph_id, " at [", i, "] is negative; graph ids start at 0");
      max_graph = std::max(max_graph, graph_id);
      return true;
    });
    std::string frozen_output;
    if (auto frozen = frozen_graph_count(graph, &frozen_output); frozen && batch->on_host() && batch->numel() > 0 &&
                                                                   *frozen != max_graph + 1)
      fail_input("input '", roles.batch, "' holds ", max_graph + 1, " graphs, but this model has the number of "
                 "graphs frozen to ", *frozen, " (output '", frozen_output, "' has a fixed first dimension): the "
                 "TorchScript exporter bakes batch.max()+1 into the file when global_mean_pool/global_add_pool is "
                 "called without size=. Feed batches of exactly ", *frozen,
                 " graphs, or re-export with torch.onnx.export(..., dynamo=True), which keeps it symbolic");
  }
}

}  // namespace gnnrt::runtime
