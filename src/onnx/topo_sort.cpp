#include "onnx/topo_sort.h"

#include <functional>
#include <map>
#include <queue>
#include <vector>

namespace gnnrt::onnx_import {

namespace {

std::string graph_label(const ir::Graph& graph) {
  return graph.name.empty() ? std::string("the main graph") : cat("graph '", graph.name, "'");
}

// Values a graph uses but does not define itself (so they come from an enclosing graph).
std::set<std::string> free_values(const ir::Graph& graph) {
  std::set<std::string> defined, used;
  for (const auto& input : graph.inputs) defined.insert(input.name);
  for (const auto& [name, tensor] : graph.initializers) defined.insert(name);
  for (const ir::Node& node : graph.nodes) {
    for (const std::string& out : node.outputs) defined.insert(out);
    for (const std::string& in : node.inputs) if (!in.empty()) used.insert(in);
    for (const auto& [key, attr] : node.attributes)
      if (attr.kind == ir::Attribute::Kind::Graph && attr.g)
        for (const std::string& inner : free_values(*attr.g)) used.insert(inner);
  }
  for (const auto& output : graph.outputs) used.insert(output.name);
  std::set<std::string> result;
  for (const std::string& name : used) if (!defined.count(name)) result.insert(name);
  return result;
}

}  // namespace

void sort_and_check(ir::Graph& graph, const std::set<std::string>& outer_values, const std::string& what) {
  const size_t count = graph.nodes.size();

  // Values defined without a node.
  std::set<std::string> sources;
  for (const auto& input : graph.inputs) sources.insert(input.name);
  for (const auto& [name, tensor] : graph.initializers) sources.insert(name);

  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < count; ++i) {
    for (const std::string& out : graph.nodes[i].outputs) {
      if (out.empty()) continue;
      if (sources.count(out))
        fail_input(what, ": value '", out, "' is produced by ", graph.nodes[i].describe(),
                   " but is also a graph input or initializer of ", graph_label(graph));
      auto [it, inserted] = producer.emplace(out, i);
      if (!inserted)
        fail_input(what, ": value '", out, "' is produced twice, by ", graph.nodes[it->second].describe(), " and by ",
                   graph.nodes[i].describe());
    }
  }

  // Subgraphs see every value of this graph plus the enclosing ones.
  std::set<std::string> visible = outer_values;
  visible.insert(sources.begin(), sources.end());
  for (const auto& [name, index] : producer) visible.insert(name);

  std::vector<std::vector<size_t>> consumers(count);
  std::vector<size_t> pending(count, 0);
  for (size_t i = 0; i < count; ++i) {
    ir::Node& node = graph.nodes[i];
    auto depend_on = [&](const std::string& value, const std::string& how) {
      if (auto it = producer.find(value); it != producer.end()) {
        consumers[it->second].push_back(i);
        ++pending[i];
      } else if (!sources.count(value) && !outer_values.count(value)) {
        fail_input(what, ": ", node.describe(), " ", how, " '", value, "', which no node, initializer or graph input of ",
                   graph_label(graph), " defines");
      }
    };
    for (size_t k = 0; k < node.inputs.size(); ++k)
      if (!node.inputs[k].empty()) depend_on(node.inputs[k], cat("uses input ", k));
    for (auto& [key, attr] : node.attributes) {
      if (attr.kind != ir::Attribute::Kind::Graph || !attr.g) continue;
      sort_and_check(*attr.g, visible, what);
      for (const std::string& value : free_values(*attr.g)) depend_on(value, cat("uses (in subgraph '", key, "') value"));
    }
  }
  for (const auto& output : graph.outputs)
    if (!producer.count(output.name) && !sources.count(output.name) && !outer_values.count(output.name))
      fail_input(what, ": graph output '", output.name, "' of ", graph_label(graph),
                 " is not produced by any node, initializer or graph input");

  // Kahn's algorithm, always taking the earliest ready node in file order.
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t i = 0; i < count; ++i) if (pending[i] == 0) ready.push(i);
  std::vector<size_t> order;
  order.reserve(count);
  while (!ready.empty()) {
    const size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (size_t consumer : consumers[i]) if (--pending[consumer] == 0) ready.push(consumer);
  }
  if (order.size() != count) {
    std::string stuck;
    size_t listed = 0;
    for (size_t i = 0; i < count && listed < 5; ++i) {
      if (pending[i] == 0) continue;
      stuck += cat(listed ? ", " : "", "'", graph.nodes[i].name, "'");
      ++listed;
    }
    fail_input(what, ": ", graph_label(graph), " has a cycle: ", count - order.size(),
               " nodes depend on each other's outputs (among them ", stuck, ")");
  }
  std::vector<ir::Node> sorted;
  sorted.reserve(count);
  for (size_t i : order) sorted.push_back(std::move(graph.nodes[i]));
  graph.nodes = std::move(sorted);
}

}  // namespace gnnrt::onnx_import
