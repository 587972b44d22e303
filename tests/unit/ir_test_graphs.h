// Small helpers to build IR graphs, nodes and attributes by hand in the IR tests (shape
// inference, verifier, printer) and the CPU kernel tests.
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gnnrt/tensor.h"
#include "ir/graph.h"

namespace gnnrt::ir::test_graphs {

inline Dim sym(const char* name) { return Dim::named(name); }
inline Dim dim(int64_t size) { return Dim::known(size); }
inline ValueType type(DType dtype, std::vector<Dim> dims) { return ValueType{dtype, std::move(dims)}; }

inline Tensor int64_tensor(const std::vector<int64_t>& values, bool scalar = false) {
  Tensor t(DType::Int64, scalar ? Dims{} : Dims{static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i) t.data<int64_t>()[i] = values[i];
  return t;
}

inline Tensor float_tensor(Dims shape, float fill = 0.5f) {
  Tensor t(DType::Float32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = fill;
  return t;
}

inline Attribute int_attr(int64_t value) {
  Attribute a;
  a.kind = Attribute::Kind::Int;
  a.i = value;
  return a;
}
inline Attribute ints_attr(std::vector<int64_t> values) {
  Attribute a;
  a.kind = Attribute::Kind::Ints;
  a.ints = std::move(values);
  return a;
}
inline Attribute float_attr(float value) {
  Attribute a;
  a.kind = Attribute::Kind::Float;
  a.f = value;
  return a;
}
inline Attribute string_attr(std::string value) {
  Attribute a;
  a.kind = Attribute::Kind::String;
  a.s = std::move(value);
  return a;
}
inline Attribute tensor_attr(Tensor value) {
  Attribute a;
  a.kind = Attribute::Kind::Tensor;
  a.t = std::move(value);
  return a;
}
inline Attribute graph_attr(std::shared_ptr<Graph> graph) {
  Attribute a;
  a.kind = Attribute::Kind::Graph;
  a.g = std::move(graph);
  return a;
}

// Appends nodes, inputs, initializers and outputs to a graph.
class Builder {
 public:
  explicit Builder(Graph& graph) : graph_(graph) {}

  Builder& input(const std::string& name, ValueType value_type) {
    graph_.inputs.push_back({name, std::move(value_type)});
    return *this;
  }
  Builder& initializer(const std::string& name, Tensor value) {
    graph_.initializers[name] = std::move(value);
    return *this;
  }
  Builder& output(const std::string& name, ValueType value_type = {}) {
    graph_.outputs.push_back({name, std::move(value_type)});
    return *this;
  }
  Node& node(const std::string& op_type, const std::string& name, std::vector<std::string> inputs,
             std::vector<std::string> outputs, std::map<std::string, Attribute> attributes = {}) {
    Node node;
    node.op_type = op_type;
    node.name = name;
    node.inputs = std::move(inputs);
    node.outputs = std::move(outputs);
    node.attributes = std::move(attributes);
    graph_.nodes.push_back(std::move(node));
    return graph_.nodes.back();
  }
  // An If node on `condition` with both branches.
  Node& if_node(const std::string& name, const std::string& condition, std::vector<std::string> outputs,
                std::shared_ptr<Graph> then_branch, std::shared_ptr<Graph> else_branch) {
    return node("If", name, {condition}, std::move(outputs),
                {{"then_branch", graph_attr(std::move(then_branch))}, {"else_branch", graph_attr(std::move(else_branch))}});
  }

 private:
  Graph& graph_;
};

// A branch graph "<output>_branch" with one node "<output>_node" computing `output` from `input`
// (a value of the enclosing graph or of the branch).
inline std::shared_ptr<Graph> branch_returning(const std::string& op_type, const std::string& input,
                                               const std::string& output,
                                               std::map<std::string, Attribute> attributes = {}) {
  auto branch = std::make_shared<Graph>();
  branch->name = output + "_branch";
  Builder(*branch).output(output).node(op_type, output + "_node", {input}, {output}, std::move(attributes));
  return branch;
}

// The type of a value as text ("float32[num_nodes, 16]"), or "<none>" when nothing is known.
inline std::string type_text(const Graph& graph, const std::string& value) {
  auto t = graph.type_of(value);
  return t ? t->to_string() : "<none>";
}

}  // namespace gnnrt::ir::test_graphs
