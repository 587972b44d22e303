#include "passes/dead_code_elimination.h"

#include <set>

namespace gnnrt::passes {
namespace {

struct Removed {
  size_t nodes = 0;
  size_t initializers = 0;
};

// Removes what nothing reads from `graph` and its branches. Nodes are visited last to first, so
// a chain of dead nodes goes in one sweep.
void eliminate(ir::Graph& graph, Removed& removed) {
  std::set<std::string> live;
  for (const ir::ValueInfo& output : graph.outputs) live.insert(output.name);
  std::vector<bool> keep(graph.nodes.size(), false);
  for (size_t n = graph.nodes.size(); n-- > 0;) {
    ir::Node& node = graph.nodes[n];
    for (const std::string& output : node.outputs)
      if (!output.empty() && live.count(output)) keep[n] = true;
    if (!keep[n]) continue;
    // Clean the branches first, so that what only their dead nodes read does not stay alive.
    for (auto& [key, attribute] : node.attributes)
      if (attribute.kind == ir::Attribute::Kind::Graph && attribute.g) eliminate(*attribute.g, removed);
    collect_reads(node, live);
  }

  std::vector<ir::Node> kept;
  kept.reserve(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    if (keep[n]) {
      kept.push_back(std::move(graph.nodes[n]));
      continue;
    }
    for (const std::string& output : graph.nodes[n].outputs) graph.value_types.erase(output);
    ++removed.nodes;
  }
  graph.nodes = std::move(kept);

  for (auto it = graph.initializers.begin(); it != graph.initializers.end();) {
    if (live.count(it->first)) {
      ++it;
      continue;
    }
    it = graph.initializers.erase(it);
    ++removed.initializers;
  }
}

}  // namespace

PassResult DeadCodeElimination::run(ir::Graph& graph, PassContext& context) {
  Removed removed;
  eliminate(graph, removed);
  PassResult result;
  result.changes = removed.nodes + removed.initializers;
  result.summary = cat("removed ", removed.nodes, removed.nodes == 1 ? " node" : " nodes", " and ", removed.initializers,
                       removed.initializers == 1 ? " initializer" : " initializers");
  return result;
}

}  // namespace gnnrt::passes
