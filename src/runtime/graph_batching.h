// Many small graphs in one call, as PyG batches them: the graphs' node features stacked, their
// edge lists offset into one disjoint union, and the batch vector built (graph i's nodes get id
// i). One run of the model over the union, then its outputs split back: node-level outputs (first
// dimension the node count) into each graph's rows, graph-level outputs (first dimension the
// graph count) one row per graph.
//
// Graphs without nodes are allowed: they are numbered before the others (a model that counts
// graphs as max(batch) + 1, as global_mean_pool without `size` does, would otherwise lose a
// trailing empty graph), and get the model's answer for an empty graph (a pooled sum of 0).
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/executor.h"
#include "runtime/input_binding.h"

namespace gnnrt::runtime {

struct MergedBatch {
  TensorMap inputs;                   // the model's inputs for the union
  std::vector<int64_t> node_offsets;  // per graph (in the caller's order), into the union's rows
  std::vector<int64_t> node_counts;
  std::vector<int64_t> graph_ids;     // per graph, its id in the batch vector
  std::vector<std::string> notes;     // inputs converted to the model's dtype (options.allow_cast)
};

// Checks each graph (InvalidInput naming the graph, the input and the expected vs actual value:
// missing or extra inputs, feature widths or dtypes that differ between graphs, edge indices
// outside the graph's own nodes, edge weights not one per edge, a dtype other than the model's,
// as bind_inputs refuses it for one graph: int32 edge_index only with options.allow_cast) and
// merges them. The model must take node features and edge_index; graphs must not carry a batch
// input of their own. `graph_sources`, when given, says where each graph came from ("g1.npz"):
// messages name it too.
MergedBatch merge_graphs(const ir::Graph& model, const std::vector<TensorMap>& graphs,
                         const std::vector<std::string>& graph_sources = {}, const BindOptions& options = {});

// The outputs of one call on `merged.inputs`, split per graph (same order as merge_graphs' list).
std::vector<TensorMap> split_outputs(const ir::Graph& model, const MergedBatch& merged, const TensorMap& outputs);

}  // namespace gnnrt::runtime
