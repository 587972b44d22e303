#include "onnx/support_check.h"

#include <algorithm>
#include <vector>

#include "gnnrt/dtype.h"
#include "gnnrt/error.h"
#include "onnx/op_table.h"
#include "onnx/tensor_proto.h"
#include "onnx/unique_names.h"

namespace gnnrt::onnx_import {

namespace {

using ::onnx::AttributeProto;
using ::onnx::GraphProto;
using ::onnx::NodeProto;

// Element types of values where the file states them (ONNX numbers), for attribute-free checks
// such as the dtype of Gather indices.
using ElemTypes = std::map<std::string, int32_t>;

const AttributeProto* find_attribute(const NodeProto& node, const std::string& name) {
  for (const AttributeProto& attr : node.attribute())
    if (attr.name() == name) return &attr;
  return nullptr;
}

int32_t constant_elem_type(const NodeProto& node) {
  for (const AttributeProto& attr : node.attribute()) {
    if (attr.name() == "value" && attr.has_t()) return attr.t().data_type();
    if (attr.name() == "value_float" || attr.name() == "value_floats") return 1;
    if (attr.name() == "value_int" || attr.name() == "value_ints") return 7;
  }
  return 0;
}

std::string check_constant(const NodeProto& node) {
  const char* const usable[] = {"value", "value_float", "value_floats", "value_int", "value_ints"};
  int found = 0;
  for (const AttributeProto& attr : node.attribute()) {
    if (attr.name() == "value_string" || attr.name() == "value_strings")
      return "string constants (" + attr.name() + ") are not supported";
    if (attr.name() == "sparse_value") return "sparse constants (sparse_value) are not supported";
    if (std::find(std::begin(usable), std::end(usable), attr.name()) != std::end(usable)) ++found;
  }
  if (found != 1) return cat("needs exactly one of value, value_float, value_floats, value_int, value_ints; has ", found);
  const int32_t type = constant_elem_type(node);
  if (type != 0 && dtype_from_onnx(type) == DType::Undefined)
    return cat("constant of element type ", onnx_type_name(type), " is not supported");
  return {};
}

std::string check_scatter_reduction(const NodeProto& node) {
  const AttributeProto* attr = find_attribute(node, "reduction");
  if (!attr) return {};
  const std::string& mode = attr->s();
  // The spec adds add/mul in opset 16 and max/min in 18, but torch's TorchScript exporter writes
  // reduction="max" at opset 17 (GAT's softmax) and onnxruntime runs it: the meaning is clear, so
  // every mode is accepted at every opset gnnrt takes.
  if (mode == "none" || mode == "add" || mode == "mul" || mode == "max" || mode == "min") return {};
  return cat("reduction '", mode, "' is not supported (expected none, add, mul, max or min)");
}

std::string check_indices_type(const NodeProto& node, const ElemTypes& types) {
  if (node.input_size() < 2) return {};
  auto it = types.find(node.input(1));
  if (it == types.end() || it->second == 0) return {};
  if (it->second == 6 || it->second == 7) return {};  // int32, int64
  return cat("indices '", node.input(1), "' have element type ", onnx_type_name(it->second), ", expected int32 or int64");
}

std::string check_attributes(const NodeProto& node, const ElemTypes& types) {
  const std::string& op = node.op_type();
  if (op == "Constant") return check_constant(node);
  if (op == "ScatterElements" || op == "ScatterND") return check_scatter_reduction(node);
  if (op == "Gather" || op == "GatherElements" || op == "GatherND") return check_indices_type(node, types);
  if (op == "Cast") {
    const AttributeProto* to = find_attribute(node, "to");
    if (!to) return "required attribute 'to' is missing";
    if (dtype_from_onnx(static_cast<int32_t>(to->i())) == DType::Undefined)
      return cat("cast to ", onnx_type_name(static_cast<int32_t>(to->i())), " is not supported");
  }
  if (op == "If") {
    for (const char* branch : {"then_branch", "else_branch"}) {
      const AttributeProto* attr = find_attribute(node, branch);
      if (!attr || !attr->has_g()) return cat("required graph attribute '", branch, "' is missing");
    }
  }
  return {};
}

class SupportChecker {
 public:
  SupportChecker(const OpsetMap& opsets) : opsets_(opsets) {}

  const std::vector<UnsupportedNode>& problems() const { return problems_; }

  // `top`: the top-level node whose subgraph `graph` is (nullptr for the main graph).
  void check_graph(const GraphProto& graph, ElemTypes types, const std::string& where,
                   const UnsupportedNode* top = nullptr) {
    for (const auto& v : graph.input()) types[v.name()] = v.type().tensor_type().elem_type();
    for (const auto& v : graph.value_info()) types[v.name()] = v.type().tensor_type().elem_type();
    for (const auto& v : graph.output()) types[v.name()] = v.type().tensor_type().elem_type();
    for (const auto& t : graph.initializer()) types[t.name()] = t.data_type();
    for (const NodeProto& node : graph.node())
      if (node.op_type() == "Constant" && node.output_size() == 1) types[node.output(0)] = constant_elem_type(node);

    for (int i = 0; i < graph.node_size(); ++i) {
      const NodeProto& node = graph.node(i);
      const std::string name = node.name().empty() ? invented_node_name(node.op_type(), static_cast<size_t>(i)) : node.name();
      const UnsupportedNode here = top ? *top : UnsupportedNode{name, node.op_type(), {}};
      check_node(node, name, types, where, here);
      for (const AttributeProto& attr : node.attribute()) {
        const std::string inner = cat(" in subgraph '", attr.name(), "' of node '", name, "'", where);
        if (attr.has_g()) check_graph(attr.g(), types, inner, &here);
        for (const GraphProto& g : attr.graphs()) check_graph(g, types, inner, &here);
      }
    }
  }

 private:
  void check_node(const NodeProto& node, const std::string& name, const ElemTypes& types, const std::string& where,
                  const UnsupportedNode& top) {
    auto report = [&](std::string problem) {
      UnsupportedNode entry = top;
      entry.problem = std::move(problem);
      problems_.push_back(std::move(entry));
    };
    const bool default_domain = is_default_domain(node.domain());
    auto opset_it = opsets_.find(default_domain ? std::string() : node.domain());
    const std::string opset_text = opset_it == opsets_.end() ? "none" : std::to_string(opset_it->second);
    const std::string label =
        cat("node '", name, "' (", node.op_type(), ", domain '", node.domain(), "', opset ", opset_text, ")", where);

    if (!default_domain || opset_it == opsets_.end()) {
      report(label);
      return;
    }
    const int64_t opset = opset_it->second;
    if (!is_supported(node.domain(), node.op_type(), opset)) {
      const auto& ops = supported_ops();
      auto entry = std::find_if(ops.begin(), ops.end(), [&](const OpSupport& op) { return op.op_type == node.op_type(); });
      if (entry != ops.end()) report(cat(label, ": needs opset >= ", entry->since_opset));
      else report(label);
      return;
    }
    const std::string reason = check_attributes(node, types);
    if (!reason.empty()) report(cat(label, ": ", reason));
  }

  const OpsetMap& opsets_;
  std::vector<UnsupportedNode> problems_;
};

}  // namespace

std::vector<UnsupportedNode> find_unsupported(const GraphProto& graph, const OpsetMap& opsets) {
  SupportChecker checker(opsets);
  checker.check_graph(graph, {}, "");
  return checker.problems();
}

void check_supported(const GraphProto& graph, const OpsetMap& opsets, const std::string& what) {
  const std::vector<UnsupportedNode> problems = find_unsupported(graph, opsets);
  if (problems.empty()) return;
  std::string message = cat(what, ": ", problems.size(), problems.size() == 1 ? " unsupported node:\n" : " unsupported nodes:\n");
  for (const UnsupportedNode& problem : problems) message += "  " + problem.problem + "\n";
  message += cat(
      "gnnrt implements the ONNX operators listed in docs/OPERATORS.md (`gnnrt ops`), in the default domain, "
      "at opsets ", kMinOpset, " to ", kMaxOpset, ". Re-export with torch.onnx.export(..., opset_version=17) or dynamo=True, or replace "
      "the layer that produces these ops with supported ones.");
  fail_input(message);
}

}  // namespace gnnrt::onnx_import
