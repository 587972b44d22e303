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

}  // namespace

ExecutionPlan plan_graph(const ir::Graph& graph) {
  ExecutionPlan plan;
  plan.graph = &graph;
  for (const ir::ValueInfo& input : graph.inputs) plan.input_slots.push_back(add_slot(plan, input.name));
  for (const auto& [name, tensor] : graph.initializers) plan.initializers.emplace_back(add_slot(plan, name), &tensor);
  for (const ir::Node& node : graph.nodes)
    for (const std::string& output : node.outputs)
      if (!output.empty()) add_slot(plan, output);

  // The node that reads each value last (a node with a subgraph reads what its branches read).
  std::vector<std::set<std::string>> reads(graph.nodes.size());
  std::unordered_map<std::string, size_t> last_use;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    ir::collect_reads(graph.nodes[i], reads[i]);
    for (const std::string& name : reads[i]) last_use[name] = i;
  }
  std::set<std::string> graph_outputs;
  for (const ir::ValueInfo& output : graph.outputs) graph_outputs.insert(output.name);

  plan.nodes.resize(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& node = graph.nodes[i];
    PlannedNode& planned = plan.nodes[i];
    planned.node = &node;
    planned.kernel = cpu::kernel_registry().find(node.op_type);
    GNNRT_CHECK(planned.kernel != nullptr, "no CPU kernel for ", node.describe());
    planned.metadata_only = node.op_type == "Shape" || node.op_type == "Size";
    for (const std::string& input : node.inputs) planned.inputs.push_back(reference(plan, input));
    for (const std::string& output : node.outputs) planned.outputs.push_back(output.empty() ? -1 : plan.find_slot(output));
  }
  // Names read but defined in an enclosing graph (or inside a branch) have no slot here: freeing
  // them is the enclosing graph's business.
  for (const auto& [name, node] : last_use) {
    const int32_t slot = plan.find_slot(name);
    if (slot >= 0 && !graph_outputs.count(name)) plan.nodes[node].frees.push_back(slot);
  }
  for (const ir::ValueInfo& output : graph.outputs) plan.outputs.push_back(reference(plan, output.name));
  return plan;
}

}  // namespace gnnrt::runtime
