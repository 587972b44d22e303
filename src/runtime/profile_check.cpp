#include "runtime/profile_check.h"

#include <algorithm>

#include "runtime/graph_input_checks.h"

namespace gnnrt::runtime {

void check_inputs_in_profile(const engine::OptimizationProfile& profile, const ir::Graph& graph,
                             const TensorMap& inputs) {
  for (const engine::InputRange& range : profile.inputs) {
    auto it = inputs.find(range.name);
    if (it == inputs.end()) continue;  // reported by input binding
    const Tensor& tensor = it->second;
    if (static_cast<size_t>(tensor.rank()) != range.min.size()) continue;  // reported by input binding
    for (size_t axis = 0; axis < range.min.size(); ++axis) {
      const int64_t value = tensor.dim(static_cast<int64_t>(axis));
      if (value < range.min[axis] || value > range.max[axis])
        fail_input("input '", range.name, "': dimension ", axis, " is ", value, ", outside the engine's profile [",
                   range.min[axis], ", ", range.max[axis] >= engine::kUnboundedDim ? "inf" : std::to_string(range.max[axis]),
                   "]; rebuild the engine with a wider profile (--min/--max-nodes, --min/--max-edges or "
                   "--min-shapes/--max-shapes)");
    }
  }
  if (profile.max_graphs > 0) {
    const std::string batch = find_graph_input_roles(graph).batch;
    auto it = batch.empty() ? inputs.end() : inputs.find(batch);
    if (it != inputs.end() && it->second.numel() > 0 && it->second.on_host()) {
      int64_t graphs = 0;
      for (int64_t i = 0; i < it->second.numel(); ++i) graphs = std::max(graphs, it->second.scalar_as_int(i) + 1);
      if (graphs > profile.max_graphs)
        fail_input("input '", batch, "' holds ", graphs, " graphs, more than the engine's --max-graphs ",
                   profile.max_graphs, "; rebuild with a larger --max-graphs");
    }
  }
}

}  // namespace gnnrt::runtime
