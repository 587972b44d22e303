// SpMM tactics on CUDA: their names (the values of the SpMM node's "tactic" attribute), the
// default choice when a node names none, and the measurement the engine builder can run to pick
// one for a graph and record it on the node.
#pragma once

#include <cuda_runtime.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/cuda/device_errors.h"
#include "backends/cuda/launch/sparse.cuh"

namespace gnnrt::cuda {

// "warp_per_row", "row_balanced", "cusparse", "rows_per_warp".
std::string_view spmm_tactic_name(SpmmTactic tactic);
std::optional<SpmmTactic> parse_spmm_tactic(std::string_view name);
// "warp_per_row, row_balanced, cusparse, rows_per_warp": for error messages.
std::string spmm_tactic_names();

// A tactic with its column slab (SpmmProblem::slab_bytes; 0: the L2 heuristic), as the builder
// records it in the node's "tactic" attribute: "warp_per_row", "row_balanced:slab=256".
struct SpmmConfig {
  SpmmTactic tactic = SpmmTactic::WarpPerRow;
  int32_t slab_bytes = 0;
  bool operator==(const SpmmConfig&) const = default;
};
std::string spmm_config_name(SpmmConfig config);
// nullopt for an unknown tactic, a malformed suffix, or a slab outside [16, 65536] bytes.
std::optional<SpmmConfig> parse_spmm_config(std::string_view name);

// The default for a node without a "tactic" attribute: WarpPerRow unless the longest row would
// hold one warp much longer than an even split of the edges over the GPU's warps would, then
// RowBalanced. With max_row_length unknown (< 0), RowBalanced for all but small graphs (it is
// never far behind WarpPerRow and is safe against power-law in-degrees). Never CuSparse, the
// baseline. Uses the current device's SM count (an H100's when no device answers).
SpmmTactic choose_spmm_tactic(int64_t num_rows, int64_t num_edges, int64_t width, int64_t max_row_length = -1);

struct SpmmTacticTime {
  SpmmConfig config;
  double median_ms = 0.0;
};

struct SpmmTacticChoice {
  SpmmConfig best;
  std::vector<SpmmTacticTime> times;  // fastest first; only the configurations that ran
};

struct SpmmTimingOptions {
  int warmup = 3;    // untimed runs first (caches, cuSPARSE's handle, clocks)
  int repeats = 15;  // timed runs; the median counts
};

// Runs every tactic that supports problem.dtype on `problem` (device pointers, as launch_spmm
// takes them) on `stream`, the gathering ones at each distinct slab width of 128, 256 and 512
// bytes (problem.slab_bytes is ignored), each timed with CUDA events (warm-up, then the median of `repeats`
// runs), and returns the fastest and all times. Allocates and frees each tactic's scratch itself
// (a tactic whose scratch does not fit in device memory is left out). Overwrites problem.y.
// Synchronises the stream. Errors in the data are recorded into `errors` as in a normal run.
SpmmTacticChoice time_spmm_tactics(const SpmmProblem& problem, cudaStream_t stream, DeviceErrorSink errors = {},
                                   SpmmTimingOptions options = {});

}  // namespace gnnrt::cuda
