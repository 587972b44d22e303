#include "onnx/opset_normalizer.h"

#include <algorithm>
#include <cstring>

namespace gnnrt::onnx_import {

namespace {

using Kind = ir::Attribute::Kind;

// Reduce ops whose axes moved from an attribute to an input in opset 18 (ReduceSum did so in 13).
bool is_reduce_with_axes(const std::string& op_type) {
  static const char* const ops[] = {"ReduceL1",   "ReduceL2",   "ReduceLogSum",  "ReduceLogSumExp", "ReduceMax",
                                    "ReduceMean", "ReduceMin",  "ReduceProd",    "ReduceSum",       "ReduceSumSquare"};
  return std::find(std::begin(ops), std::end(ops), op_type) != std::end(ops);
}

const ir::Attribute& expect_kind(const ir::Node& node, const std::string& key, Kind kind, const char* kind_name,
                                 const std::string& what) {
  const ir::Attribute& attr = node.attr(key);
  if (attr.kind != kind) fail_input(what, ": ", node.describe(), ": attribute '", key, "' should be ", kind_name);
  return attr;
}

Tensor constant_value(const ir::Node& node, const std::string& what) {
  if (node.attributes.size() != 1)
    fail_input(what, ": ", node.describe(), " needs exactly one value attribute, has ", node.attributes.size());
  const std::string& key = node.attributes.begin()->first;
  if (key == "value") return expect_kind(node, key, Kind::Tensor, "a tensor", what).t;
  if (key == "value_float") {
    Tensor t(DType::Float32, {});
    t.data<float>()[0] = expect_kind(node, key, Kind::Float, "a float", what).f;
    return t;
  }
  if (key == "value_int") {
    Tensor t(DType::Int64, {});
    t.data<int64_t>()[0] = expect_kind(node, key, Kind::Int, "an int", what).i;
    return t;
  }
  if (key == "value_floats") {
    const auto& values = expect_kind(node, key, Kind::Floats, "a list of floats", what).floats;
    Tensor t(DType::Float32, {static_cast<int64_t>(values.size())});
    if (!values.empty()) std::memcpy(t.raw(), values.data(), values.size() * sizeof(float));
    return t;
  }
  if (key == "value_ints") {
    const auto& values = expect_kind(node, key, Kind::Ints, "a list of ints", what).ints;
    Tensor t(DType::Int64, {static_cast<int64_t>(values.size())});
    if (!values.empty()) std::memcpy(t.raw(), values.data(), values.size() * sizeof(int64_t));
    return t;
  }
  fail_input(what, ": ", node.describe(), ": attribute '", key,
             "' is not supported (expected value, value_float, value_floats, value_int or value_ints)");
}

bool is_convertible_constant(const ir::Node& node) {
  if (node.attributes.size() != 1 || node.outputs.size() != 1) return false;
  const auto& [key, attr] = *node.attributes.begin();
  return (key == "value" && attr.kind == Kind::Tensor) || (key == "value_float" && attr.kind == Kind::Float) ||
         (key == "value_int" && attr.kind == Kind::Int) || (key == "value_floats" && attr.kind == Kind::Floats) ||
         (key == "value_ints" && attr.kind == Kind::Ints);
}

bool is_graph_output(const ir::Graph& graph, const std::string& value) {
  return std::any_of(graph.outputs.begin(), graph.outputs.end(), [&](const ir::ValueInfo& v) { return v.name == value; });
}

void add_initializer(ir::Graph& graph, const std::string& name, Tensor value, const ir::Node& node, const std::string& what) {
  if (!graph.initializers.emplace(name, std::move(value)).second)
    fail_input(what, ": value '", name, "' is produced by ", node.describe(), " and is also an initializer");
}

// Returns the nodes that replace `node`: none (folded into an initializer) or an Identity.
std::vector<ir::Node> fold_constant(ir::Node node, ir::Graph& graph, UniqueNames& value_names, const std::string& what) {
  if (node.outputs.size() != 1 || node.outputs[0].empty())
    fail_input(what, ": ", node.describe(), " should have exactly one output, has ", node.outputs.size());
  Tensor value = constant_value(node, what);
  const std::string output = node.outputs[0];
  if (!is_graph_output(graph, output)) {
    add_initializer(graph, output, std::move(value), node, what);
    return {};
  }
  // Graph outputs stay produced by a node, so executors never have to special-case them.
  const std::string stored = value_names.fresh(output + "__constant");
  add_initializer(graph, stored, std::move(value), node, what);
  ir::Node identity;
  identity.name = node.name;
  identity.op_type = "Identity";
  identity.inputs = {stored};
  identity.outputs = {output};
  return {std::move(identity)};
}

void move_axes_to_input(ir::Node& node, ir::Graph& graph, UniqueNames& value_names, const std::string& what) {
  const ir::Attribute& attr = node.attr("axes");
  if (attr.kind != Kind::Ints) fail_input(what, ": ", node.describe(), ": attribute 'axes' should be a list of ints");
  if (node.has_input(1))
    fail_input(what, ": ", node.describe(), " has axes both as an attribute and as input '", node.inputs[1],
               "'; keep one");
  const std::vector<int64_t> axes = attr.ints;
  node.attributes.erase("axes");
  // An empty axes list means "all axes", which is also what an omitted axes input means.
  if (axes.empty()) return;
  Tensor tensor(DType::Int64, {static_cast<int64_t>(axes.size())});
  std::memcpy(tensor.raw(), axes.data(), axes.size() * sizeof(int64_t));
  const std::string name = value_names.fresh(node.name + "_axes");
  add_initializer(graph, name, std::move(tensor), node, what);
  if (node.inputs.size() < 2) node.inputs.resize(2);
  node.inputs[1] = name;
}

}  // namespace

void normalize_to_opset18(ir::Graph& graph, UniqueNames& value_names, const std::string& what,
                          bool keep_unconvertible, NormalizeStats& stats) {
  std::vector<ir::Node> kept;
  kept.reserve(graph.nodes.size());
  for (ir::Node& node : graph.nodes) {
    for (auto& [key, attr] : node.attributes)
      if (attr.kind == Kind::Graph && attr.g) normalize_to_opset18(*attr.g, value_names, what, keep_unconvertible, stats);
    if (!node.domain.empty()) {
      kept.push_back(std::move(node));
      continue;
    }
    if (node.op_type == "Constant") {
      if (keep_unconvertible && !is_convertible_constant(node)) {
        kept.push_back(std::move(node));
        continue;
      }
      ++stats.constants_folded;
      for (ir::Node& replacement : fold_constant(std::move(node), graph, value_names, what)) kept.push_back(std::move(replacement));
      continue;
    }
    if (is_reduce_with_axes(node.op_type) && node.has_attribute("axes")) {
      move_axes_to_input(node, graph, value_names, what);
      ++stats.reduce_axes_moved;
    }
    kept.push_back(std::move(node));
  }
  graph.nodes = std::move(kept);
}

}  // namespace gnnrt::onnx_import
