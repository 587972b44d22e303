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

// "warp_per_row", "row_balanced", "cusparse".
std::string_view spmm_tactic_name(SpmmTactic tactic);
std::optional<SpmmTactic> parse_spmm_tactic(std::string_view name);
// "warp_per_row, row_balanced, cusparse": for error messages.
std::string spmm_tactic_names();

// The default for a node without a "tactic" attribute: WarpPerRow unless the longest row would
// hold one warp much longer than an even split of the edges over the GPU's warps would, then
// RowBalanced. With max_row_length unknown (< 0), RowBalanced for all but small graphs (it is
// never far behind WarpPerRow and is safe against power-law in-degrees). Never CuSparse, the
// baseline. Uses the current device's SM count (an H100's when no device answers).
SpmmTactic choose_spmm_tactic(int64_t num_rows, int64_t num_edges, int64_t width, int64_t max_row_length = -1);

struct SpmmTacticTime {
  SpmmTactic tactic;
  double median_ms = 0.0;
};

struct SpmmTacticChoice {
  SpmmTactic best = SpmmTactic::WarpPerRow;
  std::vector<SpmmTacticTime> times;  // fastest first; only the tactics that ran
};

struct SpmmTimingOptions {
  int warmup = 3;    // untimed runs first (caches, cuSPARSE's handle, clocks)
  int repeats = 15;  // timed runs; the median counts
};

// Runs every tactic that supports problem.dtype on `problem` (device pointers, as launch_spmm
// takes them) on `stream`, each timed with CUDA events (warm-up, then the median of `repeats`
// runs), and returns the fastest and all times. Allocates and frees each tactic's scratch itself
// (a tactic whose scratch does not fit in device memory is left out). Overwrites problem.y.
// Synchronises the stream. Errors in the data are recorded into `errors` as in a normal run.
SpmmTacticChoice time_spmm_tactics(const SpmmProblem& problem, cudaStream_t stream, DeviceErrorSink errors = {},
                                   SpmmTimingOptions options = {});

}  // namespace gnnrt::cuda
