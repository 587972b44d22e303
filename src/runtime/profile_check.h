// Whether inputs lie inside an engine's optimisation profile (built by builder/profile.h).
#pragma once

#include "engine/engine_contents.h"
#include "ir/graph.h"
#include "runtime/executor.h"

namespace gnnrt::runtime {

// Fails (InvalidInput) when an input lies outside the profile, naming the input, the dimension,
// the value and the range, and which bound to raise.
void check_inputs_in_profile(const engine::OptimizationProfile& profile, const ir::Graph& graph,
                             const TensorMap& inputs);

}  // namespace gnnrt::runtime
