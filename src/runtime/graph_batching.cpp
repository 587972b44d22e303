#include "runtime/graph_batching.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "runtime/graph_input_checks.h"
#include "runtime/input_binding.h"

namespace gnnrt::runtime {
namespace {

// The caller's graphs and, for messages, where each came from (a file name), when known.
struct GraphList {
  const std::vector<TensorMap>& graphs;
  const std::vector<std::string>& sources;

  size_t size() const { return graphs.size(); }
  std::string label(size_t graph) const {
    return cat("graph ", graph, " of the batch", graph < sources.size() ? " (" + sources[graph] + ")" : "");
  }
  const Tensor& input(size_t graph, const std::string& name) const {
    auto it = graphs[graph].find(name);
    if (it == graphs[graph].end()) fail_input(label(graph), ": missing input '", name, "'");
    return it->second;
  }
};

// Rows of every graph's `name`, stacked in graph order (all must share dtype and trailing dims).
Tensor stack_rows(const GraphList& graphs, const std::string& name) {
  const Tensor& first = graphs.input(0, name);
  Dims shape = first.shape();
  if (shape.empty())
    fail_input(graphs.label(0), ": input '", name, "' is a scalar, ", first.describe(),
               "; only inputs with one row per node can be batched");
  int64_t rows = 0;
  for (size_t g = 0; g < graphs.size(); ++g) {
    const Tensor& tensor = graphs.input(g, name);
    Dims trailing(tensor.shape().begin() + (tensor.rank() ? 1 : 0), tensor.shape().end());
    Dims expected(shape.begin() + 1, shape.end());
    if (tensor.dtype() != first.dtype() || tensor.rank() != first.rank() || trailing != expected)
      fail_input(graphs.label(g), ": input '", name, "' is ", tensor.describe(), ", graph 0's is ",
                 first.describe(), " (every graph must have the same dtype and feature width)");
    rows += tensor.dim(0);
  }
  shape[0] = rows;
  Tensor stacked(first.dtype(), shape);
  char* target = static_cast<char*>(stacked.raw());
  for (size_t g = 0; g < graphs.size(); ++g) {
    const Tensor& tensor = graphs.input(g, name);
    if (tensor.nbytes()) std::memcpy(target, tensor.raw(), tensor.nbytes());
    target += tensor.nbytes();
  }
  return stacked;
}

bool same_first_dim(const ir::ValueInfo& a, const ir::ValueInfo& b) {
  if (!a.type.shape || !b.type.shape || a.type.shape->empty() || b.type.shape->empty()) return false;
  const ir::Dim& x = (*a.type.shape)[0];
  const ir::Dim& y = (*b.type.shape)[0];
  return x.is_known() ? y.is_known() && x.size == y.size : !y.is_known() && x.symbol == y.symbol;
}

}  // namespace

MergedBatch merge_graphs(const ir::Graph& model, const std::vector<TensorMap>& graph_inputs,
                         const std::vector<std::string>& graph_sources, const BindOptions& options) {
  if (graph_inputs.empty()) fail_input("the batch is empty: give at least one graph");
  const GraphList given{graph_inputs, graph_sources};
  const GraphInputRoles roles = find_graph_input_roles(model);
  if (roles.node_features.empty() || roles.edge_index.empty())
    fail_input("batching needs a model with node features and an edge_index input");
  for (size_t g = 0; g < given.size(); ++g) {
    for (const auto& entry : graph_inputs[g]) {
      const std::string& name = entry.first;  // not a structured binding: clang 14 cannot capture those
      if (!roles.batch.empty() && name == roles.batch)
        fail_input(given.label(g), ": gives '", name,
                   "'; the batch vector is built from the graph list: leave it out");
      const bool known = std::any_of(model.inputs.begin(), model.inputs.end(),
                                     [&](const ir::ValueInfo& input) { return input.name == name; });
      if (!known) fail_input(given.label(g), ": '", name, "' is not an input of the model");
    }
  }

  // Each graph's inputs in the model's dtypes, converted or refused as one graph's would be
  // (int32 edge_index only with --allow-cast); one note per input converted.
  MergedBatch merged;
  std::vector<TensorMap> typed_inputs(graph_inputs.size());
  std::map<std::string, std::pair<std::string, size_t>> conversions;  // input -> (what, in how many graphs)
  for (size_t g = 0; g < graph_inputs.size(); ++g)
    for (const auto& [name, tensor] : graph_inputs[g]) {
      std::vector<std::string> notes;
      const Tensor typed = in_declared_dtype(*model.find_input(name), tensor, options, notes, given.label(g));
      if (typed.dtype() != tensor.dtype()) {
        auto& conversion = conversions[name];
        conversion.first = cat("input '", name, "': converted ", dtype_name(tensor.dtype()), " to ",
                               dtype_name(typed.dtype()));
        ++conversion.second;
      }
      typed_inputs[g][name] = typed;
    }
  for (const auto& [name, conversion] : conversions)
    merged.notes.push_back(cat(conversion.first, " in ", conversion.second, " of ", graph_inputs.size(), " graph(s)"));
  const GraphList graphs{typed_inputs, graph_sources};

  const size_t count = graphs.size();
  merged.node_counts.resize(count);
  merged.node_offsets.resize(count);
  merged.graph_ids.resize(count);
  std::vector<int64_t> edge_counts(count);
  for (size_t g = 0; g < count; ++g) {
    const Tensor& x = graphs.input(g, roles.node_features);
    if (x.rank() < 1) fail_input(graphs.label(g), ": '", roles.node_features, "' is ", x.describe());
    merged.node_counts[g] = x.dim(0);
    const Tensor& edges = graphs.input(g, roles.edge_index);
    if (edges.rank() != 2 || edges.dim(0) != 2 || !is_integer(edges.dtype()))
      fail_input(graphs.label(g), ": '", roles.edge_index, "' must be an integer [2, E] tensor, got ",
                 edges.describe());
    edge_counts[g] = edges.dim(1);
    if (!roles.edge_weight.empty()) {
      const Tensor& weight = graphs.input(g, roles.edge_weight);
      if (weight.rank() != 1 || weight.dim(0) != edge_counts[g])
        fail_input(graphs.label(g), ": '", roles.edge_weight, "' is ", weight.describe(), ", expected one ",
                   "weight per edge (", edge_counts[g], ")");
    }
  }
  // Graph ids: graphs without nodes first, so that max(batch) + 1 counts every graph.
  int64_t next_id = 0;
  for (size_t g = 0; g < count; ++g)
    if (merged.node_counts[g] == 0) merged.graph_ids[g] = next_id++;
  for (size_t g = 0; g < count; ++g)
    if (merged.node_counts[g] > 0) merged.graph_ids[g] = next_id++;

  // Node rows and edges stay in the caller's graph order.
  int64_t total_nodes = 0, total_edges = 0;
  for (size_t g = 0; g < count; ++g) {
    merged.node_offsets[g] = total_nodes;
    total_nodes += merged.node_counts[g];
    total_edges += edge_counts[g];
  }
  for (const ir::ValueInfo& input : model.inputs) {
    const std::string& name = input.name;
    if (name == roles.batch) continue;
    if (name == roles.edge_index) {
      Tensor merged_edges(DType::Int64, {2, total_edges});
      int64_t* out = merged_edges.data<int64_t>();
      int64_t at = 0;
      for (size_t g = 0; g < count; ++g) {
        const Tensor edges = graphs.input(g, name).dtype() == DType::Int64
                                 ? graphs.input(g, name)
                                 : cast_tensor(graphs.input(g, name), DType::Int64);
        const int64_t* in = edges.data<int64_t>();
        const int64_t e = edge_counts[g], n = merged.node_counts[g];
        for (int64_t row = 0; row < 2; ++row)
          for (int64_t i = 0; i < e; ++i) {
            const int64_t v = in[row * e + i];
            if (v < 0 || v >= n)
              fail_input(graphs.label(g), ": ", name, "[", row, ", ", i, "] = ", v,
                         " is not one of the graph's own nodes [0, ", n, ")");
            out[row * total_edges + at + i] = v + merged.node_offsets[g];
          }
        at += e;
      }
      merged.inputs[name] = merged_edges;
    } else {
      merged.inputs[name] = stack_rows(graphs, name);
    }
  }
  if (!roles.batch.empty()) {
    Tensor batch(DType::Int64, {total_nodes});
    int64_t* ids = batch.data<int64_t>();
    for (size_t g = 0; g < count; ++g)
      std::fill(ids + merged.node_offsets[g], ids + merged.node_offsets[g] + merged.node_counts[g], merged.graph_ids[g]);
    // Sorted (as PyG's batch always is) only when the empty graphs' ids precede the others': they do.
    merged.inputs[roles.batch] = batch;
  }
  return merged;
}

std::vector<TensorMap> split_outputs(const ir::Graph& model, const MergedBatch& merged, const TensorMap& outputs) {
  const GraphInputRoles roles = find_graph_input_roles(model);
  const ir::ValueInfo* features = nullptr;
  for (const ir::ValueInfo& input : model.inputs)
    if (input.name == roles.node_features) features = &input;
  const size_t count = merged.node_counts.size();
  int64_t total_nodes = 0;
  for (int64_t n : merged.node_counts) total_nodes += n;
  std::vector<TensorMap> results(count);
  for (const ir::ValueInfo& output : model.outputs) {
    const Tensor& tensor = outputs.at(output.name);
    if (tensor.rank() < 1) fail_input("output '", output.name, "' is a scalar: it cannot be split per graph");
    const bool node_level = features && same_first_dim(output, *features);
    const int64_t row_bytes = tensor.dim(0) ? static_cast<int64_t>(tensor.nbytes()) / tensor.dim(0) : 0;
    Dims row_shape = tensor.shape();
    if (node_level) {
      GNNRT_CHECK(tensor.dim(0) == total_nodes, "node-level output with ", tensor.dim(0), " rows for ", total_nodes,
                  " nodes");
    } else if (roles.batch.empty() || tensor.dim(0) != static_cast<int64_t>(count)) {
      fail_input("output '", output.name, "' has ", tensor.dim(0), " rows for a batch of ", count, " graphs with ",
                 total_nodes, " nodes: it is neither one row per node nor one row per graph",
                 roles.batch.empty() ? "" : " (was the model exported with a fixed number of graphs?)");
    }
    for (size_t g = 0; g < count; ++g) {
      const int64_t first = node_level ? merged.node_offsets[g] : merged.graph_ids[g];
      row_shape[0] = node_level ? merged.node_counts[g] : 1;
      Tensor part(tensor.dtype(), row_shape);
      if (part.nbytes())
        std::memcpy(part.raw(), static_cast<const char*>(tensor.raw()) + first * row_bytes, part.nbytes());
      results[g][output.name] = part;
    }
  }
  return results;
}

}  // namespace gnnrt::runtime
