// A graph prepared once for the executor, so that a call does no per-node name lookups: each
// node's CPU kernel is found once, and every value the graph defines (its inputs, initializers and
// node outputs) is given a slot number, so a call keeps its values in a vector instead of a map
// keyed by name. On a molecule-sized graph the per-node bookkeeping otherwise costs more than the
// kernels. Values a subgraph (an If branch) reads from an enclosing graph are not its own: they
// keep their names and are looked up in the enclosing graph's plan.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/cpu/kernel_registry.h"
#include "ir/graph.h"

namespace gnnrt::runtime {

// Where a node input is: a slot of this graph, else (slot < 0) the name to look up in the
// enclosing graphs. An omitted optional input has an empty name.
struct ValueRef {
  int32_t slot = -1;
  const std::string* name = nullptr;
  bool omitted() const { return slot < 0 && name->empty(); }
};

struct PlannedNode {
  const ir::Node* node = nullptr;
  const cpu::KernelFn* kernel = nullptr;  // the CPU kernel (the fallback of every backend)
  bool metadata_only = false;             // Shape or Size: reads its inputs' shapes, not their data
  std::vector<ValueRef> inputs;           // in the node's order
  std::vector<int32_t> outputs;           // a slot per output; -1 for an omitted one
  // Slots this node reads last, freed after it ran so peak memory follows the live set (graph
  // outputs are never freed).
  std::vector<int32_t> frees;
};

struct ExecutionPlan {
  const ir::Graph* graph = nullptr;
  std::vector<std::string> slot_names;  // slot -> value name
  std::unordered_map<std::string, int32_t> slot_of;
  std::vector<int32_t> input_slots;     // per graph input, in order
  std::vector<std::pair<int32_t, const Tensor*>> initializers;
  std::vector<PlannedNode> nodes;       // in graph order
  std::vector<ValueRef> outputs;        // per graph output, in order

  // The slot of a value this graph defines, or -1.
  int32_t find_slot(const std::string& name) const {
    auto it = slot_of.find(name);
    return it == slot_of.end() ? -1 : it->second;
  }
};

// Plans `graph`. Fails (Internal) on a node without a CPU kernel: the executor checks that first.
ExecutionPlan plan_graph(const ir::Graph& graph);

}  // namespace gnnrt::runtime
