#include "runtime/execution_plan.h"

#include <set>

namespace gnnrt::runtime {
namespace {

int32_t add_slot(ExecutionPlan& plan, const std::string& name) {
  auto [it, inserted] = plan.slot_of.emplace(name, static_cast<int32_t>(plan.slot_names.size()));
  if (inserted) plan.slot_names.push_back(name);
  return it->second;
}

ValueRef reference(const ExecutionPlan& plan, const std::string& name) {
  return ValueRef{name.empty() ? -1 : plan.find_slot(name), &name};
}

bool has_subgraph(const ir::Node& node) {
  for (const auto& [key, attribute] : node.attributes)
    if (attribute.kind == ir::Attribute::Kind::Graph) return true;
  return false;
}

}  // namespace

ExecutionPlan plan_graph(const ir::Graph& graph) {
  ExecutionPlan plan;
  plan.graph = &graph;
  for (const ir::ValueInfo& input : graph.inputs) plan.input_slots.push_back(add_slot(plan, input.name));
  for (const auto& [name, tensor] : graph.initializers) plan.initializers.emplace_back(add_slot(plan, name), &tensor);
  for (const ir::Node& node : graph.nodes)
    for (const std::string& output : node.outputs)
      if (!output.empty()) add_slot(plan, output);

  plan.nodes.resize(graph.nodes.size());
  // The node that reads each slot last (a node with a subgraph reads what its branches read).
  // Names without a slot here (an enclosing graph's, or a branch's own) are not this plan's to free.
  std::vector<int64_t> last_reader(plan.slot_names.size(), -1);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& node = graph.nodes[i];
    PlannedNode& planned = plan.nodes[i];
    planned.node = &node;
    planned.kernel = cpu::kernel_registry().find(node.op_type);
    GNNRT_CHECK(planned.kernel != nullptr, "no CPU kernel for ", node.describe());
    planned.metadata_only = node.op_type == "Shape" || node.op_type == "Size";
    for (const std::string& input : node.inputs) {
      planned.inputs.push_back(reference(plan, input));
      if (planned.inputs.back().slot >= 0) last_reader[static_cast<size_t>(planned.inputs.back().slot)] = static_cast<int64_t>(i);
    }
    for (const std::string& output : node.outputs) planned.outputs.push_back(output.empty() ? -1 : plan.find_slot(output));
    if (has_subgraph(node)) {
      std::set<std::string> reads;
      ir::collect_reads(node, reads);
      for (const std::string& name : reads)
        if (const int32_t slot = plan.find_slot(name); slot >= 0) last_reader[static_cast<size_t>(slot)] = static_cast<int64_t>(i);
    }
  }
  std::vector<bool> graph_output(plan.slot_names.size(), false);
  for (const ir::ValueInfo& output : graph.outputs)
    if (const int32_t slot = plan.find_slot(output.name); slot >= 0) graph_output[static_cast<size_t>(slot)] = true;
  for (size_t slot = 0; slot < last_reader.size(); ++slot)
    if (last_reader[slot] >= 0 && !graph_output[slot])
      plan.nodes[static_cast<size_t>(last_reader[slot])].frees.push_back(static_cast<int32_t>(slot));
  for (const ir::ValueInfo& output : graph.outputs) plan.outputs.push_back(reference(plan, output.name));
  return plan;
}

}  // namespace gnnrt::runtime
