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

// `tensor` given for the model input `declared`, in the declared dtype: as it is, converted (with
// options.allow_cast and a customary conversion; a line added to `notes`), or refused
// (InvalidInput naming the input, both dtypes and the fix; `where` first, when given: "graph 2 of
// the batch (g2.npz)").
Tensor in_declared_dtype(const ir::ValueInfo& declared, const Tensor& tensor, const BindOptions& options,
                         std::vector<std::string>& notes, const std::string& where = "");

}  // namespace gnnrt::runtime
