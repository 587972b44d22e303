#include "runtime/structure_split.h"

#include "runtime/graph_input_checks.h"

namespace gnnrt::runtime {

StructureSplit split_structure(const ir::Graph& graph) {
  StructureSplit split;
  const GraphInputRoles roles = find_graph_input_roles(graph);
  std::set<std::string> structure_values;  // computable from structure alone
  for (const std::string& name : {roles.edge_index, roles.edge_weight, roles.batch})
    if (!name.empty()) {
      split.structure_inputs.push_back(name);
      structure_values.insert(name);
    }
  for (const auto& [name, tensor] : graph.initializers) structure_values.insert(name);
  std::set<std::string> graph_inputs;
  for (const ir::ValueInfo& input : graph.inputs) graph_inputs.insert(input.name);

  split.is_structure_node.assign(graph.nodes.size(), false);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& node = graph.nodes[i];
    bool structural = !node.outputs.empty();
    std::set<std::string> reads;
    collect_reads(node, reads);
    for (const auto& [key, attribute] : node.attributes)
      if (attribute.kind == ir::Attribute::Kind::Graph) structural = false;
    const bool metadata_only = node.domain.empty() && (node.op_type == "Shape" || node.op_type == "Size");
    for (const std::string& name : reads) {
      if (structure_values.count(name)) continue;
      if (metadata_only && graph_inputs.count(name)) continue;
      structural = false;
    }
    if (!structural) continue;
    split.is_structure_node[i] = true;
    ++split.structure_node_count;
    for (const std::string& output : node.outputs)
      if (!output.empty()) structure_values.insert(output);
  }

  // The boundary: structure-node outputs read by other nodes or by the graph's outputs.
  std::set<std::string> produced, boundary;
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    if (split.is_structure_node[i])
      for (const std::string& output : graph.nodes[i].outputs) produced.insert(output);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (split.is_structure_node[i]) continue;
    std::set<std::string> reads;
    collect_reads(graph.nodes[i], reads);
    for (const std::string& name : reads)
      if (produced.count(name)) boundary.insert(name);
  }
  for (const ir::ValueInfo& output : graph.outputs)
    if (produced.count(output.name)) boundary.insert(output.name);
  split.boundary_values.assign(boundary.begin(), boundary.end());
  return split;
}

}  // namespace gnnrt::runtime
