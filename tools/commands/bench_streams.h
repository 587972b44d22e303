// gnnrt bench --streams N: aggregate throughput of N execution contexts on one engine, each with
// its own stream (its own backend, memory pool and weights), calling from its own host thread, as
// a server would. Two loops, each first on one stream and then on N, so the scaling is measured
// in the same run:
//   compute     inputs already on the device, the graph bound (its structure part computed once
//               per context), outputs left on the device; replayed as a CUDA graph with --cuda-graph
//   end_to_end  host inputs in, host outputs out, the graph bound: a request for a known graph
// Each stream runs its calls back to back; the figure is all calls over the wall time from a
// common start to the last stream's finish (device work included).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine_contents.h"
#include "runtime/structure_cache.h"  // runtime::TensorMap

namespace gnnrt::cli {

struct StreamsSettings {
  int streams = 0;                // N; 0: not measured
  int64_t calls_per_stream = 50;  // timed calls per stream and loop
  int64_t warmup = 10;            // untimed calls per stream first
  bool cuda_graph = false;        // the compute loop replays a CUDA graph
};

struct StreamsResult {
  std::string loop;  // "compute" or "end_to_end"
  int streams = 0;
  int64_t calls = 0;  // over all streams
  double wall_ms = 0.0;
  double calls_per_s() const { return wall_ms > 0 ? static_cast<double>(calls) * 1e3 / wall_ms : 0.0; }
};

// One stream, then settings.streams streams, for each loop. `bound_inputs`: the checked host
// inputs (runtime::bind_inputs). `device`: "cuda".
std::vector<StreamsResult> measure_streams(const engine::EngineContents& engine, const runtime::TensorMap& bound_inputs,
                                           const std::string& device, const StreamsSettings& settings);

}  // namespace gnnrt::cli
