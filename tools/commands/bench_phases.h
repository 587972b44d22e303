// The measurements behind gnnrt bench, phase by phase, as trtexec separates them:
//   compute_bound   inputs already on the device, the graph bound once (Executor::run_structure),
//                   outputs left on the device; device errors checked after each call, untimed
//   compute_bound_graph  the same replayed as a CUDA graph (--cuda-graph)
//   compute_cached  the same with the structure cache instead of a binding (content compared)
//   cold            the structure part included: a fresh structure cache each call
//   h2d, d2h        copying the inputs to the device, the outputs back
//   end_to_end      one call as `gnnrt run` makes it: host inputs checked, copied, outputs copied back
// On the CPU: compute_bound, compute_cached, cold and end_to_end, on the host's steady clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commands/bench_stats.h"
#include "engine/engine_contents.h"
#include "runtime/backend.h"
#include "runtime/executor.h"
#include "runtime/input_binding.h"

namespace gnnrt::cli {

struct PhaseSettings {
  int64_t warmup = 10;           // untimed bound calls before the first phase
  int64_t iterations = 50;       // the warm phases run at least this many calls...
  double duration_s = 0;         // ...and for at least this long
  int64_t cold_iterations = 50;  // calls of cold, h2d, d2h and end_to_end
  int profile_calls = 0;         // profiled warm calls (median per node); 0: no profile
  bool cuda_graph = false;       // also time the bound call replayed as a CUDA graph
};

struct PhaseResult {
  std::string key;    // "compute_bound", ...
  std::string title;  // "GPU compute (warm, graph bound)"
  std::string scope;  // what one timed call covers
  std::vector<double> samples_ms;
  LatencySummary summary;
  size_t bytes = 0;  // bytes copied per call (h2d, d2h)
};

struct MemoryMeasurement {
  bool measured = false;         // device backends only
  size_t input_bytes = 0;        // the device inputs (not counted below)
  size_t cold_peak_bytes = 0;    // beyond the inputs: weights, structure cache and intermediates of a cold call
  size_t warm_peak_bytes = 0;    // beyond the inputs: weights, the binding and intermediates of a bound call
};

struct Measurements {
  std::vector<PhaseResult> phases;
  MemoryMeasurement memory;
  size_t structure_nodes = 0;   // top-level nodes of the structure-only part
  size_t total_nodes = 0;       // top-level nodes
  bool cache_hit_every_call = false;  // compute_cached reused the structure part each time
  int profile_calls = 0;
  std::vector<runtime::NodeTiming> warm_profile;            // median per node over profile_calls
  std::vector<runtime::NodeTiming> cold_structure_profile;  // the structure part's nodes of one cold call
  runtime::TensorMap outputs;  // host copies of one bound call's outputs
  // --cuda-graph: whether the bound call was replayed, why not, and whether the replay's outputs
  // equal the node-by-node call's byte for byte.
  bool graph_replayed = false;
  double graph_record_ms = 0.0;  // the call that recorded the graph, host clock
  std::string graph_note;
  bool graph_outputs_identical = false;
};

// `bound_inputs`: the checked inputs (runtime::bind_inputs); `user_inputs`: as the user gave them,
// for end_to_end. `backend`: nullptr for the CPU.
Measurements measure_phases(const engine::EngineContents& engine, const runtime::TensorMap& bound_inputs,
                            const runtime::TensorMap& user_inputs, const runtime::BindOptions& bind_options,
                            runtime::DeviceBackend* backend, const PhaseSettings& settings);

// The phase with this key, or nullptr.
const PhaseResult* find_phase(const Measurements& measurements, const std::string& key);

}  // namespace gnnrt::cli
