// What an engine file holds, in memory: the optimised IR with its weights, the optimisation
// profile it was built for, the target device, and the builder's choices. The file layout is in
// docs/ENGINE_FORMAT.md; engine_writer.h and engine_reader.h convert between the two.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gnnrt/tensor.h"
#include "ir/graph.h"

namespace gnnrt::engine {

// The shapes one dynamic input may take, trtexec-style: every dim of min <= opt <= max.
struct InputRange {
  std::string name;
  Dims min, opt, max;
};

// The upper bound recorded for a dimension the user gave no bound: any size the int64 index
// paths take.
constexpr int64_t kUnboundedDim = int64_t{1} << 62;

struct OptimizationProfile {
  std::vector<InputRange> inputs;
  int64_t max_graphs = -1;  // bound on batch values + 1; -1 when unbounded
  int64_t opt_graphs = -1;  // graphs a batch holds at the opt shape (tactics are timed there); -1 when not given
};

struct EngineTarget {
  std::string device = "cpu";   // "cpu" or "cuda"
  int compute_capability = 0;   // e.g. 90 for sm_90; 0 for cpu
  std::string device_name;      // "NVIDIA H100 80GB HBM3"; informative only
};

struct EngineContents {
  ir::Model model;                                    // the IR after passes; weights = initializers
  OptimizationProfile profile;
  EngineTarget target;
  std::map<std::string, std::string> kernel_choices;  // node name -> chosen kernel (tactic)
  std::vector<std::string> applied_passes;
  std::string builder_version;                        // the gnnrt version that built it
};

// The format version this gnnrt writes; bump it on any change an older reader could misread (the
// versioning rule is in docs/ENGINE_FORMAT.md). It reads every version from the oldest below on:
// version 2 added INT8 engines (int8 SpMM inputs, gnnrt.QuantizeInt8, int8 Linear weights), which a
// version-1 file never holds, so a version-1 file means the same to this reader.
constexpr uint32_t kEngineFormatVersion = 2;
constexpr uint32_t kOldestReadableEngineFormatVersion = 1;

}  // namespace gnnrt::engine
