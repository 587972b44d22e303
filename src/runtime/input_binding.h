// Checks the tensors a user hands in against what the model declares, before anything runs:
// names, dtypes, ranks, fixed dimensions, and symbolic dimensions that must agree across inputs
// (x's num_nodes and batch's num_nodes). Every failure is the user's (InvalidInput) and names the
// input, the expected and the actual value, and what to do.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/executor.h"

namespace gnnrt::runtime {

struct BindOptions {
  // Convert lossless or customary dtype mismatches (int32 -> int64 indices, float64 -> float32
  // features, uint8/bool -> float32 features) instead of refusing them.
  bool allow_cast = false;
};

struct BoundInputs {
  TensorMap tensors;                        // ready for the executor
  std::map<std::string, int64_t> symbols;   // num_nodes -> 2708, ...
  std::vector<std::string> notes;           // what was converted, for the user
};

BoundInputs bind_inputs(const ir::Graph& graph, const TensorMap& user_inputs, const BindOptions& options = {});

}  // namespace gnnrt::runtime
