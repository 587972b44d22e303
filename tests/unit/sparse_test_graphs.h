// Hand-built message-passing graphs for the sparse pass tests: the gather -> scale -> scatter-add
// chain PyG's exporters write (GCNConv, GraphConv, SAGEConv, GINConv), with PyG's gcn_norm, a
// linear layer, a bias and a Relu, as IR nodes that the tests recombine into the variants where a
// pass must and must not fire. Plus the graphs' inputs: random features and the edge lists every
// test runs on (isolated nodes, no edges, self-loops and repeated edges).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "ir/shape_inference.h"
#include "ir_test_graphs.h"

namespace gnnrt::ir::test_graphs {

// Random floats in [-1, -0.1] or [0.1, 1]: never zero, so no product hides a wrong factor.
inline Tensor random_floats(Dims shape, uint32_t seed) {
  Tensor t(DType::Float32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> magnitude(0.1f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = (rng() & 1u ? 1.0f : -1.0f) * magnitude(rng);
  return t;
}

// One graph's data for a message-passing graph: x [nodes, width], edge_index [2, E].
struct EdgeList {
  std::string name;
  int64_t nodes = 0;
  std::vector<std::pair<int64_t, int64_t>> edges;  // (src, dst)

  Tensor edge_index() const {
    Tensor t(DType::Int64, {2, static_cast<int64_t>(edges.size())});
    for (size_t e = 0; e < edges.size(); ++e) {
      t.data<int64_t>()[e] = edges[e].first;
      t.data<int64_t>()[edges.size() + e] = edges[e].second;
    }
    return t;
  }
  int64_t edge_count() const { return static_cast<int64_t>(edges.size()); }
};

// The edge lists every sparse pass test runs on.
inline std::vector<EdgeList> test_edge_lists() {
  std::vector<EdgeList> lists;
  // A random directed multigraph, unsorted.
  EdgeList random{"random", 9, {}};
  std::mt19937 rng(7);
  for (int e = 0; e < 23; ++e) random.edges.emplace_back(rng() % 9, rng() % 9);
  lists.push_back(random);
  // Nodes 5..11 have no edge at all; node 0 only sends, node 4 only receives.
  lists.push_back({"isolated_nodes", 12, {{0, 1}, {1, 2}, {2, 1}, {3, 2}, {0, 3}, {2, 4}, {1, 4}}});
  lists.push_back({"no_edges", 6, {}});
  // Self-loops and the same edge several times (PyG sums duplicates).
  lists.push_back({"self_loops_and_repeats", 5, {{2, 2}, {1, 3}, {1, 3}, {1, 3}, {4, 4}, {3, 1}, {0, 2}, {2, 2}, {4, 0}}});
  // Negative ids count from the end, as ONNX Gather and ScatterElements read them (-1 is node 6).
  lists.push_back({"negative_ids", 7, {{-1, 0}, {0, -1}, {-7, 3}, {2, -4}, {-2, -2}, {5, 1}, {1, 5}}});
  return lists;
}

// Builds message-passing graphs over the inputs x: float32[num_nodes, in_width] and
// edge_index: int64[2, num_edges] (plus edge_weight: float32[num_edges] when asked). Every method
// appends nodes named "<prefix>/<what>" and returns the name of the value it computed.
class MessagePassingBuilder {
 public:
  MessagePassingBuilder(Graph& graph, int64_t in_width, bool with_edge_weight = false)
      : graph_(graph), builder_(graph) {
    graph_.name = "main";
    builder_.input("x", type(DType::Float32, {Dim::named("num_nodes"), Dim::known(in_width)}))
        .input("edge_index", type(DType::Int64, {Dim::known(2), Dim::named("num_edges")}));
    if (with_edge_weight) builder_.input("edge_weight", type(DType::Float32, {Dim::named("num_edges")}));
    constant("row0", int64_tensor({0}, true));
    constant("row1", int64_tensor({1}, true));
    constant("axes0", int64_tensor({0}));
    constant("column_shape", int64_tensor({-1, 1}));
    src_ = add("Gather", "src", {"edge_index", "row0"}, {{"axis", int_attr(0)}});
    dst_ = add("Gather", "dst", {"edge_index", "row1"}, {{"axis", int_attr(0)}});
    // num_nodes as a [1] vector: Unsqueeze(Shape(x)[0]).
    const std::string shape = add("Shape", "x_shape", {"x"});
    const std::string rows = add("Gather", "x_rows", {shape, "row0"}, {{"axis", int_attr(0)}});
    node_count_ = add("Unsqueeze", "node_count", {rows, "axes0"});
  }

  Builder& builder() { return builder_; }
  const std::string& src() const { return src_; }
  const std::string& dst() const { return dst_; }
  const std::string& node_count() const { return node_count_; }

  // An initializer, returned by name.
  std::string constant(const std::string& name, Tensor value) {
    builder_.initializer(name, std::move(value));
    return name;
  }

  // A node `name` with one output "<name>_out"; returns the output.
  std::string add(const std::string& op_type, const std::string& name, std::vector<std::string> inputs,
                  std::map<std::string, Attribute> attributes = {}) {
    const std::string output = name + "_out";
    builder_.node(op_type, name, std::move(inputs), {output}, std::move(attributes));
    return output;
  }

  // h @ W with a random W [in, out] initializer "<name>/W".
  std::string linear(const std::string& h, int64_t in, int64_t out, const std::string& name, uint32_t seed = 11) {
    constant(name + "/W", random_floats({in, out}, seed));
    return add("MatMul", name, {h, name + "/W"});
  }

  // ConstantOfShape(shape) filled with `fill` (float32).
  std::string filled(const std::string& shape, float fill, const std::string& name) {
    return add("ConstantOfShape", name, {shape}, {{"value", tensor_attr(float_tensor({1}, fill))}});
  }

  // zeros [num_nodes, width] as PyG's scatter makes them: ConstantOfShape(Concat([N], [width])).
  std::string node_zeros(int64_t width, const std::string& prefix, float fill = 0.0f) {
    const std::string width_value = constant(prefix + "/width", int64_tensor({width}));
    const std::string shape = add("Concat", prefix + "/zeros_shape", {node_count_, width_value}, {{"axis", int_attr(0)}});
    return filled(shape, fill, prefix + "/zeros");
  }

  // A 1-D [E] value as an [E, 1] column.
  std::string column(const std::string& vector, const std::string& name) {
    return add("Reshape", name, {vector, "column_shape"});
  }

  // dst broadcast over the messages' width: Expand(Reshape(dst, [-1, 1]), Shape(messages)).
  std::string scatter_indices(const std::string& index, const std::string& messages, const std::string& prefix) {
    const std::string index_column = column(index, prefix + "/index_column");
    const std::string shape = add("Shape", prefix + "/messages_shape", {messages});
    return add("Expand", prefix + "/indices", {index_column, shape});
  }

  // X[src] along rows.
  std::string gather_rows(const std::string& h, const std::string& prefix, int64_t axis = 0) {
    return add("Gather", prefix + "/gather", {h, src_}, {{"axis", int_attr(axis)}});
  }

  // The whole aggregation: out[dst[e]] += h[src[e]] (* w[e]), into zeros [num_nodes, width];
  // the scatter node is "<prefix>/scatter".
  std::string aggregate(const std::string& h, int64_t width, const std::string& prefix, const std::string& weight = "",
                        const std::string& reduction = "add") {
    std::string messages = gather_rows(h, prefix);
    if (!weight.empty()) messages = add("Mul", prefix + "/scale", {messages, column(weight, prefix + "/weight_column")});
    const std::string indices = scatter_indices(dst_, messages, prefix);
    return add("ScatterElements", prefix + "/scatter", {node_zeros(width, prefix), indices, messages},
               {{"axis", int_attr(0)}, {"reduction", string_attr(reduction)}});
  }

  // PyG's gcn_norm without self-loops: deg = scatter-add of the edge weight (or ones) at dst,
  // dinv = deg^-1/2 with inf set to 0 (unless `mask_inf` is false), w = dinv[src] * ew * dinv[dst].
  // Returns w [E]; the degree vector dinv is "<prefix>/dinv_out".
  std::string gcn_norm(const std::string& prefix, const std::string& edge_weight = "", bool mask_inf = true) {
    std::string weight = edge_weight;
    if (weight.empty()) {
      const std::string edges = add("Shape", prefix + "/edge_count", {src_});
      weight = filled(edges, 1.0f, prefix + "/ones");
    }
    const std::string zeros = filled(node_count_, 0.0f, prefix + "/degree_zeros");
    const std::string degree = add("ScatterElements", prefix + "/degree", {zeros, dst_, weight},
                                   {{"axis", int_attr(0)}, {"reduction", string_attr("add")}});
    constant(prefix + "/minus_half", make_scalar(-0.5f));
    constant(prefix + "/inf", make_scalar(std::numeric_limits<float>::infinity()));
    constant(prefix + "/zero", make_scalar(0.0f));
    const std::string power = add("Pow", prefix + "/pow", {degree, prefix + "/minus_half"});
    std::string dinv = power;
    if (mask_inf) {
      const std::string is_inf = add("Equal", prefix + "/is_inf", {power, prefix + "/inf"});
      dinv = add("Where", prefix + "/dinv", {is_inf, prefix + "/zero", power});
    }
    const std::string at_src = add("Gather", prefix + "/dinv_src", {dinv, src_}, {{"axis", int_attr(0)}});
    const std::string at_dst = add("Gather", prefix + "/dinv_dst", {dinv, dst_}, {{"axis", int_attr(0)}});
    const std::string left = add("Mul", prefix + "/w_left", {at_src, weight});
    return add("Mul", prefix + "/w", {left, at_dst});
  }

  // y + bias, with a random bias initializer "<name>/b" of `shape`.
  std::string bias_add(const std::string& y, Dims shape, const std::string& name, uint32_t seed = 23) {
    constant(name + "/b", random_floats(std::move(shape), seed));
    return add("Add", name, {y, name + "/b"});
  }

  // Marks `value` a graph output and infers every shape.
  void finish(const std::vector<std::string>& outputs) {
    for (const std::string& value : outputs) builder_.output(value);
    infer_shapes(graph_);
  }

  static Tensor make_scalar(float value) {
    Tensor t(DType::Float32, Dims{});
    t.data<float>()[0] = value;
    return t;
  }

 private:
  Graph& graph_;
  Builder builder_;
  std::string src_, dst_, node_count_;
};

}  // namespace gnnrt::ir::test_graphs
