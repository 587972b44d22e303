// Tactic selection, as TensorRT's builder times kernels: for every SpMM of a CUDA engine, gnnrt's
// own variants and cuSPARSE run on a synthetic problem of the profile's opt shape
// (builder/synthetic_structure.h: power-law row lengths, as one real graph has; or, for a
// graph-level model, many small graphs side by side, as a batch of molecules), and the fastest is written on the node ("tactic" attribute) and in
// the engine's kernel choices. A timing cache (builder/timing_cache.h) skips problems measured before
// on the same card. Where the opt shape is not known (no --opt-nodes/--opt-edges), the node is left
// to the run-time heuristic, and the log says so.
#pragma once

#include <map>
#include <ostream>
#include <string>

#include "builder/timing_cache.h"
#include "engine/engine_contents.h"
#include "ir/graph.h"

namespace gnnrt::builder {

struct TacticSelectionReport {
  size_t timed = 0, from_cache = 0, left_to_heuristic = 0;
};

// Nodes per graph assumed when a graph-level model's build gives no --opt-graphs: PyG's molecule
// sets average 18-25 (QM9 18, ZINC 23), the molecule workloads of `gnnrt bench` 25.
constexpr int64_t kDefaultNodesPerGraph = 25;

// The graphs a batch holds at the opt shape, which the tactics are timed on: 0 for a model without
// a batch input (one graph a call); else the profile's opt_graphs, or one per
// kDefaultNodesPerGraph of the batch vector's opt length.
int64_t timed_graph_count(const ir::Graph& graph, const engine::OptimizationProfile& profile);

// `card`: the device's name and compute capability, the timing cache's key. Sets the "tactic"
// attribute of each SpMM it measured and kernel_choices[node] = "cuda:SpMM:<tactic>". No-op without
// CUDA in this build.
TacticSelectionReport select_spmm_tactics(ir::Graph& graph, const engine::OptimizationProfile& profile,
                                          const std::string& card, TimingCache& cache,
                                          std::map<std::string, std::string>& kernel_choices, std::ostream* log);

}  // namespace gnnrt::builder
