#include "onnx/graph_converter.h"

#include <memory>
#include <set>

#include "onnx/op_table.h"

namespace gnnrt::onnx_import {

namespace {

using ::onnx::AttributeProto;
using ::onnx::GraphProto;
using ::onnx::NodeProto;

std::string graph_label(const GraphProto& proto) {
  return proto.name().empty() ? std::string("the graph") : cat("graph '", proto.name(), "'");
}

// Old IR versions left AttributeProto.type unset; the populated field tells the kind then.
AttributeProto::AttributeType attribute_type(const AttributeProto& attr) {
  if (attr.type() != AttributeProto::UNDEFINED) return attr.type();
  if (attr.has_f()) return AttributeProto::FLOAT;
  if (attr.has_i()) return AttributeProto::INT;
  if (attr.has_s()) return AttributeProto::STRING;
  if (attr.has_t()) return AttributeProto::TENSOR;
  if (attr.has_g()) return AttributeProto::GRAPH;
  if (attr.floats_size()) return AttributeProto::FLOATS;
  if (attr.ints_size()) return AttributeProto::INTS;
  if (attr.strings_size()) return AttributeProto::STRINGS;
  if (attr.tensors_size()) return AttributeProto::TENSORS;
  if (attr.graphs_size()) return AttributeProto::GRAPHS;
  return AttributeProto::UNDEFINED;
}

const char* attribute_type_name(AttributeProto::AttributeType type) {
  switch (type) {
    case AttributeProto::FLOAT: return "FLOAT";
    case AttributeProto::INT: return "INT";
    case AttributeProto::STRING: return "STRING";
    case AttributeProto::TENSOR: return "TENSOR";
    case AttributeProto::GRAPH: return "GRAPH";
    case AttributeProto::FLOATS: return "FLOATS";
    case AttributeProto::INTS: return "INTS";
    case AttributeProto::STRINGS: return "STRINGS";
    case AttributeProto::TENSORS: return "TENSORS";
    case AttributeProto::GRAPHS: return "GRAPHS";
    case AttributeProto::SPARSE_TENSOR: return "SPARSE_TENSOR";
    case AttributeProto::SPARSE_TENSORS: return "SPARSE_TENSORS";
    case AttributeProto::TYPE_PROTO: return "TYPE_PROTO";
    case AttributeProto::TYPE_PROTOS: return "TYPE_PROTOS";
    default: return "UNDEFINED";
  }
}

ir::Attribute convert_attribute(const AttributeProto& proto, const ir::Node& node, ConversionContext& context) {
  const std::string label = cat("attribute '", proto.name(), "' of ", node.describe());
  if (!proto.ref_attr_name().empty())
    fail_input(context.tensors.what, ": ", label, " refers to function attribute '", proto.ref_attr_name(),
               "' outside of a function");
  ir::Attribute attr;
  using Kind = ir::Attribute::Kind;
  const AttributeProto::AttributeType type = attribute_type(proto);
  switch (type) {
    case AttributeProto::FLOAT: attr.kind = Kind::Float; attr.f = proto.f(); break;
    case AttributeProto::INT: attr.kind = Kind::Int; attr.i = proto.i(); break;
    case AttributeProto::STRING: attr.kind = Kind::String; attr.s = proto.s(); break;
    case AttributeProto::FLOATS:
      attr.kind = Kind::Floats;
      attr.floats.assign(proto.floats().begin(), proto.floats().end());
      break;
    case AttributeProto::INTS:
      attr.kind = Kind::Ints;
      attr.ints.assign(proto.ints().begin(), proto.ints().end());
      break;
    case AttributeProto::STRINGS:
      attr.kind = Kind::Strings;
      attr.strings.assign(proto.strings().begin(), proto.strings().end());
      break;
    case AttributeProto::TENSOR:
      attr.kind = Kind::Tensor;
      attr.t = tensor_from_proto(proto.t(), label, context.tensors);
      break;
    case AttributeProto::GRAPH:
      attr.kind = Kind::Graph;
      attr.g = std::make_shared<ir::Graph>(convert_graph(proto.g(), context, false));
      if (attr.g->name.empty()) attr.g->name = cat(node.name, "/", proto.name());
      break;
    default:
      fail_input(context.tensors.what, ": ", label, " has kind ", attribute_type_name(type),
                 ", which gnnrt does not support");
  }
  return attr;
}

bool node_is_supported(const ir::Node& node, const std::map<std::string, int64_t>& opsets) {
  auto it = opsets.find(node.domain);
  return it != opsets.end() && is_supported(node.domain, node.op_type, it->second);
}

}  // namespace

ir::ValueType convert_type(const ::onnx::TypeProto& type, const std::string& label, const TensorContext& context) {
  if (!type.has_tensor_type())
    fail_input(context.what, ": ", label, " is not a tensor (sequence, map, optional and sparse values are not supported)");
  const auto& tensor_type = type.tensor_type();
  ir::ValueType result;
  if (tensor_type.elem_type() != 0) result.dtype = dtype_from_onnx_checked(tensor_type.elem_type(), label, context);
  if (tensor_type.has_shape()) {
    result.shape.emplace();
    for (const auto& dim : tensor_type.shape().dim()) {
      if (dim.has_dim_value()) {
        if (dim.dim_value() < 0)
          fail_input(context.what, ": ", label, " has a negative dimension ", dim.dim_value(), " in its shape");
        result.shape->push_back(ir::Dim::known(dim.dim_value()));
      } else if (dim.has_dim_param() && !dim.dim_param().empty()) {
        result.shape->push_back(ir::Dim::named(dim.dim_param()));
      } else {
        result.shape->push_back(ir::Dim{});
      }
    }
  }
  return result;
}

ir::Graph convert_graph(const GraphProto& proto, ConversionContext& context, bool is_main_graph) {
  const TensorContext& tc = context.tensors;
  ir::Graph graph;
  graph.name = proto.name();

  for (const auto& init : proto.initializer()) {
    if (init.name().empty()) fail_input(tc.what, ": ", graph_label(proto), " has an initializer without a name");
    const std::string label = cat("initializer '", init.name(), "'");
    if (graph.initializers.count(init.name()))
      fail_input(tc.what, ": ", label, " is defined twice in ", graph_label(proto));
    graph.initializers.emplace(init.name(), tensor_from_proto(init, label, tc));
  }
  if (proto.sparse_initializer_size() > 0)
    fail_input(tc.what, ": ", graph_label(proto), " has sparse initializers (e.g. '",
               proto.sparse_initializer(0).values().name(), "'), which gnnrt does not support");

  std::set<std::string> input_names;
  for (const auto& input : proto.input()) {
    // Old exporters list initializers as graph inputs too (so they could be overridden); they are weights.
    if (graph.initializers.count(input.name())) continue;
    const std::string label = cat("graph input '", input.name(), "'");
    if (input.name().empty()) fail_input(tc.what, ": ", graph_label(proto), " has an input without a name");
    if (!input_names.insert(input.name()).second) fail_input(tc.what, ": ", label, " is listed twice");
    ir::ValueType type = convert_type(input.type(), label, tc);
    if (is_main_graph && type.dtype == DType::Undefined)
      fail_input(tc.what, ": ", label, " has no element type; re-export the model");
    graph.inputs.push_back({input.name(), std::move(type)});
  }
  for (const auto& output : proto.output()) {
    const std::string label = cat("graph output '", output.name(), "'");
    if (output.name().empty()) fail_input(tc.what, ": ", graph_label(proto), " has an output without a name");
    // Subgraph outputs often carry no type; shape inference fills them in.
    ir::ValueType type;
    try {
      if (output.has_type()) type = convert_type(output.type(), label, tc);
    } catch (const Error& e) {
      // With allow_unsupported, an output gnnrt cannot type (e.g. strings) stays untyped.
      if (!context.lenient_opsets || e.code() != ErrorCode::InvalidInput) throw;
    }
    graph.outputs.push_back({output.name(), std::move(type)});
  }
  for (const auto& info : proto.value_info()) {
    // Types of intermediate values are hints; non-tensor ones (never produced by supported ops) are skipped.
    if (!info.type().has_tensor_type() || info.name().empty()) continue;
    try {
      graph.value_types[info.name()] = convert_type(info.type(), cat("value '", info.name(), "'"), tc);
    } catch (const Error& e) {
      if (!context.lenient_opsets || e.code() != ErrorCode::InvalidInput) throw;
    }
  }

  graph.nodes.reserve(static_cast<size_t>(proto.node_size()));
  for (int index = 0; index < proto.node_size(); ++index) {
    const NodeProto& node_proto = proto.node(index);
    ir::Node node;
    node.name = context.node_names.name(node_proto.name(), node_proto.op_type(), static_cast<size_t>(index));
    node.op_type = node_proto.op_type();
    node.domain = node_proto.domain() == "ai.onnx" ? std::string() : node_proto.domain();
    node.inputs.assign(node_proto.input().begin(), node_proto.input().end());
    node.outputs.assign(node_proto.output().begin(), node_proto.output().end());
    const bool lenient = context.lenient_opsets && !node_is_supported(node, *context.lenient_opsets);
    for (const AttributeProto& attr : node_proto.attribute()) {
      if (attr.name().empty()) fail_input(tc.what, ": ", node.describe(), " has an attribute without a name");
      if (node.attributes.count(attr.name()))
        fail_input(tc.what, ": ", node.describe(), " has attribute '", attr.name(), "' twice");
      try {
        node.attributes.emplace(attr.name(), convert_attribute(attr, node, context));
      } catch (const Error& e) {
        if (!lenient || e.code() != ErrorCode::InvalidInput) throw;
      }
    }
    graph.nodes.push_back(std::move(node));
  }
  return graph;
}

}  // namespace gnnrt::onnx_import
