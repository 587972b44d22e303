// Tactic selection, as TensorRT's builder times kernels: for every SpMM of a CUDA engine, gnnrt's
// own variants and cuSPARSE run on a synthetic problem of the profile's opt shape (power-law row
// lengths, as real graphs have), and the fastest is written on the node ("tactic" attribute) and in
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

// `card`: the device's name and compute capability, the timing cache's key. Sets the "tactic"
// attribute of each SpMM it measured and kernel_choices[node] = "cuda:SpMM:<tactic>". No-op without
// CUDA in this build.
TacticSelectionReport select_spmm_tactics(ir::Graph& graph, const engine::OptimizationProfile& profile,
                                          const std::string& card, TimingCache& cache,
                                          std::map<std::string, std::string>& kernel_choices, std::ostream* log);

}  // namespace gnnrt::builder
