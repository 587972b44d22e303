// GraphProto -> ir::Graph: values and their types, initializers, nodes and attributes (subgraphs
// converted recursively). Purely structural: opset normalisation and ordering come after.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "ir/graph.h"
#include "onnx.pb.h"
#include "onnx/tensor_proto.h"
#include "onnx/unique_names.h"

namespace gnnrt::onnx_import {

struct ConversionContext {
  TensorContext tensors;    // the file (for messages) and the folder for external data
  NodeNamer& node_names;    // node names across the whole model, so that every node name is unique
  // Set when importing with allow_unsupported: attributes that cannot be converted are dropped
  // from nodes that these opsets do not support, instead of failing.
  const std::map<std::string, int64_t>* lenient_opsets = nullptr;
};

// Converts `proto`. Initializers listed in graph.input are not graph inputs. Nodes without a
// name, or with one already taken, get `<OpType>_<index>` (made unique). `is_main_graph` asks for
// element types on every graph input. Fails (InvalidInput) naming the graph, node or value.
ir::Graph convert_graph(const ::onnx::GraphProto& proto, ConversionContext& context, bool is_main_graph);

// TypeProto -> ValueType; fails naming `label` for non-tensor types or unsupported element types.
ir::ValueType convert_type(const ::onnx::TypeProto& type, const std::string& label, const TensorContext& context);

}  // namespace gnnrt::onnx_import
