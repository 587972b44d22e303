#include "onnx/function_inliner.h"

#include <map>
#include <tuple>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "gnnrt/error.h"

namespace gnnrt::onnx_import {

namespace {

using ::google::protobuf::RepeatedPtrField;
using ::onnx::AttributeProto;
using ::onnx::FunctionProto;
using ::onnx::GraphProto;
using ::onnx::NodeProto;

// Deep enough for any real exporter; a call chain longer than this is a recursive function.
constexpr int kMaxInlineDepth = 64;

// Length-delimited fields with `field_number` among a message's unknown fields: fields newer
// than the ONNX 1.12 schema gnnrt compiles (FunctionProto.attribute_proto = 11,
// FunctionProto.overload = 13, NodeProto.overload = 8) arrive there.
std::vector<std::string> unknown_bytes_fields(const std::string& unknown, uint32_t field_number) {
  std::vector<std::string> found;
  ::google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(unknown.data()),
                                                 static_cast<int>(unknown.size()));
  while (uint32_t tag = input.ReadTag()) {
    const uint32_t number = tag >> 3, wire_type = tag & 7;
    if (wire_type == 2) {
      uint32_t length = 0;
      std::string bytes;
      if (!input.ReadVarint32(&length) || !input.ReadString(&bytes, static_cast<int>(length))) break;
      if (number == field_number) found.push_back(std::move(bytes));
    } else if (!::google::protobuf::internal::WireFormatLite::SkipField(&input, tag)) {
      break;
    }
  }
  return found;
}

std::string overload_of(const std::string& unknown, uint32_t field_number) {
  auto values = unknown_bytes_fields(unknown, field_number);
  return values.empty() ? std::string() : values.back();
}

using FunctionKey = std::tuple<std::string, std::string, std::string>;  // domain, name, overload

class Inliner {
 public:
  Inliner(const ::onnx::ModelProto& model, UniqueNames& names, const std::string& what) : names_(names), what_(what) {
    for (const FunctionProto& fn : model.functions()) {
      FunctionKey key{fn.domain(), fn.name(), overload_of(fn.unknown_fields(), 13)};
      if (!functions_.emplace(key, &fn).second)
        fail_input(what_, ": model-local function '", fn.domain(), ".", fn.name(), "' is defined twice");
    }
  }

  size_t inlined() const { return inlined_; }

  void inline_graph(GraphProto& graph, int depth) {
    RepeatedPtrField<NodeProto> expanded;
    for (NodeProto& node : *graph.mutable_node()) append_expanded(std::move(node), expanded, depth);
    graph.mutable_node()->Swap(&expanded);
  }

 private:
  const FunctionProto* find_function(const NodeProto& node) const {
    if (functions_.empty()) return nullptr;
    auto it = functions_.find(FunctionKey{node.domain(), node.op_type(), overload_of(node.unknown_fields(), 8)});
    return it == functions_.end() ? nullptr : it->second;
  }

  void append_expanded(NodeProto node, RepeatedPtrField<NodeProto>& out, int depth) {
    const FunctionProto* fn = find_function(node);
    if (!fn) {
      for (AttributeProto& attr : *node.mutable_attribute()) {
        if (attr.has_g()) inline_graph(*attr.mutable_g(), depth);
        for (GraphProto& g : *attr.mutable_graphs()) inline_graph(g, depth);
      }
      *out.Add() = std::move(node);
      return;
    }
    if (depth >= kMaxInlineDepth)
      fail_input(what_, ": function '", fn->domain(), ".", fn->name(), "' (called by node '", node.name(),
                 "') calls itself, directly or through other functions, ", kMaxInlineDepth,
                 " levels deep; recursive functions cannot be inlined");
    ++inlined_;
    for (NodeProto& body_node : instantiate(*fn, node)) append_expanded(std::move(body_node), out, depth + 1);
  }

  // One call's copy of the function body, with values renamed and attribute references bound.
  std::vector<NodeProto> instantiate(const FunctionProto& fn, const NodeProto& call) {
    const std::string call_label = cat("node '", call.name(), "' (", call.domain(), ".", call.op_type(), ")");
    if (call.input_size() > fn.input_size() || call.output_size() > fn.output_size())
      fail_input(what_, ": ", call_label, " calls function '", fn.name(), "' with ", call.input_size(), " inputs and ",
                 call.output_size(), " outputs, but the function declares ", fn.input_size(), " inputs and ",
                 fn.output_size(), " outputs");

    const std::string prefix = call.name().empty() ? fn.name() : call.name();
    std::map<std::string, std::string> renamed;
    for (int i = 0; i < fn.input_size(); ++i)
      renamed[fn.input(i)] = i < call.input_size() ? call.input(i) : std::string();  // "" = omitted optional input
    for (int i = 0; i < fn.output_size(); ++i) {
      const bool bound = i < call.output_size() && !call.output(i).empty();
      renamed[fn.output(i)] = bound ? call.output(i) : names_.fresh(prefix + "/" + fn.output(i));
    }

    Bindings bindings{prefix, renamed, {}};
    for (const std::string& bytes : unknown_bytes_fields(fn.unknown_fields(), 11)) {
      AttributeProto default_value;
      if (default_value.ParseFromString(bytes)) bindings.attributes[default_value.name()] = default_value;
    }
    for (const AttributeProto& attr : call.attribute()) bindings.attributes[attr.name()] = attr;

    std::vector<NodeProto> body;
    body.reserve(static_cast<size_t>(fn.node_size()));
    for (int i = 0; i < fn.node_size(); ++i) {
      NodeProto node = fn.node(i);
      node.set_name(prefix + "/" + (node.name().empty() ? invented_node_name(node.op_type(), static_cast<size_t>(i)) : node.name()));
      rename_node(node, bindings);
      body.push_back(std::move(node));
    }
    return body;
  }

  struct Bindings {
    std::string prefix;
    std::map<std::string, std::string> values;      // body value name -> name in the caller's graph
    std::map<std::string, AttributeProto> attributes;  // function attribute name -> value
  };

  std::string rename_value(const std::string& name, Bindings& bindings) {
    if (name.empty()) return name;
    auto it = bindings.values.find(name);
    if (it != bindings.values.end()) return it->second;
    std::string fresh = names_.fresh(bindings.prefix + "/" + name);
    bindings.values.emplace(name, fresh);
    return fresh;
  }

  void rename_node(NodeProto& node, Bindings& bindings) {
    for (std::string& name : *node.mutable_input()) name = rename_value(name, bindings);
    for (std::string& name : *node.mutable_output()) name = rename_value(name, bindings);
    RepeatedPtrField<AttributeProto> bound;
    for (AttributeProto& attr : *node.mutable_attribute()) {
      if (!attr.ref_attr_name().empty()) {
        auto it = bindings.attributes.find(attr.ref_attr_name());
        if (it == bindings.attributes.end()) continue;  // not given and no default: the op's own default applies
        AttributeProto value = it->second;
        value.set_name(attr.name());
        value.clear_ref_attr_name();
        *bound.Add() = std::move(value);
        continue;
      }
      if (attr.has_g()) rename_graph(*attr.mutable_g(), bindings);
      for (GraphProto& g : *attr.mutable_graphs()) rename_graph(g, bindings);
      *bound.Add() = std::move(attr);
    }
    node.mutable_attribute()->Swap(&bound);
  }

  // Subgraphs inside a function body: their values are renamed with the same map, so references
  // to the body's values stay bound and the subgraph's own values stay unique.
  void rename_graph(GraphProto& graph, Bindings& bindings) {
    for (auto& v : *graph.mutable_input()) v.set_name(rename_value(v.name(), bindings));
    for (auto& v : *graph.mutable_output()) v.set_name(rename_value(v.name(), bindings));
    for (auto& v : *graph.mutable_value_info()) v.set_name(rename_value(v.name(), bindings));
    for (auto& t : *graph.mutable_initializer()) t.set_name(rename_value(t.name(), bindings));
    for (NodeProto& node : *graph.mutable_node()) {
      if (!node.name().empty()) node.set_name(bindings.prefix + "/" + node.name());
      rename_node(node, bindings);
    }
  }

  UniqueNames& names_;
  const std::string& what_;
  std::map<FunctionKey, const FunctionProto*> functions_;
  size_t inlined_ = 0;
};

}  // namespace

size_t inline_local_functions(::onnx::ModelProto& model, UniqueNames& names, const std::string& what) {
  if (model.functions_size() == 0) return 0;
  Inliner inliner(model, names, what);
  inliner.inline_graph(*model.mutable_graph(), 0);
  return inliner.inlined();
}

}  // namespace gnnrt::onnx_import
