// `gnnrt run --check-against cpu`: runs the model on the device and on the CPU reference, and
// compares every intermediate value in execution order, naming the first node whose output
// leaves the tolerance: where a GPU (or, later, fp16) result starts to go wrong.
#pragma once

#include <string>

#include "ir/graph.h"
#include "runtime/backend.h"
#include "runtime/executor.h"
#include "runtime/output_comparison.h"

namespace gnnrt::runtime {

struct DivergenceReport {
  size_t values_compared = 0;
  bool diverged = false;
  std::string node;   // describe() of the first node out of tolerance
  std::string value;  // its output's name
  ComparisonResult comparison;
};

// `inputs` must already be bound (bind_inputs). The device run is the one under test.
DivergenceReport find_first_divergence(const ir::Graph& graph, const TensorMap& inputs, DeviceBackend& device,
                                       const Tolerance& tolerance);

}  // namespace gnnrt::runtime
