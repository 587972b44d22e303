// Fresh value and node names that collide with nothing already in a model.
#pragma once

#include <string>
#include <unordered_set>

#include "onnx.pb.h"

namespace gnnrt::onnx_import {

class UniqueNames {
 public:
  void reserve(const std::string& name) { used_.insert(name); }
  bool contains(const std::string& name) const { return used_.count(name) != 0; }
  // `base` if it is unused, else base_1, base_2, ...; the result is reserved.
  std::string fresh(const std::string& base) {
    std::string name = base;
    for (size_t suffix = 1; used_.count(name) != 0; ++suffix) name = base + "_" + std::to_string(suffix);
    used_.insert(name);
    return name;
  }
  // Reserves every value name of `graph` and its subgraphs.
  void reserve_values_of(const ::onnx::GraphProto& graph) {
    for (const auto& v : graph.input()) reserve(v.name());
    for (const auto& v : graph.output()) reserve(v.name());
    for (const auto& v : graph.value_info()) reserve(v.name());
    for (const auto& t : graph.initializer()) reserve(t.name());
    for (const auto& node : graph.node()) {
      for (const auto& name : node.input()) reserve(name);
      for (const auto& name : node.output()) reserve(name);
      for (const auto& attr : node.attribute()) {
        if (attr.has_g()) reserve_values_of(attr.g());
        for (const auto& g : attr.graphs()) reserve_values_of(g);
      }
    }
  }

 private:
  std::unordered_set<std::string> used_;
};

// The name given to a node that has none in the file: its op type and index in its graph.
inline std::string invented_node_name(const std::string& op_type, size_t index) {
  return op_type + "_" + std::to_string(index);
}

// Node names, unique across the model (subgraphs included): a name from the file is kept the
// first time it is seen; a missing name becomes `<OpType>_<index>`, and a repeated one gets a
// suffix, never colliding with a name the file uses elsewhere.
class NodeNamer {
 public:
  explicit NodeNamer(const ::onnx::GraphProto& main_graph) { reserve_names_of(main_graph); }

  std::string name(const std::string& given, const std::string& op_type, size_t index) {
    if (!given.empty() && claimed_.insert(given).second) return given;
    return taken_.fresh(given.empty() ? invented_node_name(op_type, index) : given);
  }
  // For nodes the importer adds.
  std::string fresh(const std::string& base) { return taken_.fresh(base); }

 private:
  void reserve_names_of(const ::onnx::GraphProto& graph) {
    for (const auto& node : graph.node()) {
      if (!node.name().empty()) taken_.reserve(node.name());
      for (const auto& attr : node.attribute()) {
        if (attr.has_g()) reserve_names_of(attr.g());
        for (const auto& g : attr.graphs()) reserve_names_of(g);
      }
    }
  }

  UniqueNames taken_;
  std::unordered_set<std::string> claimed_;
};

}  // namespace gnnrt::onnx_import
