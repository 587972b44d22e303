// gnnrt's intermediate representation: a graph of ops over named, typed values.
//
// Values are named as in ONNX, so that subgraphs (the branches of If) can refer to values of the
// enclosing graph by name. Shapes may be symbolic: a dimension is a known size, a named symbol
// (num_nodes, num_edges, or a data-dependent size that shape inference invents), or unknown.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gnnrt/tensor.h"

namespace gnnrt::ir {

struct Dim {
  int64_t size = -1;   // >= 0 when known
  std::string symbol;  // set when symbolic; empty and size < 0 means unknown

  static Dim known(int64_t n) { return Dim{n, {}}; }
  static Dim named(std::string name) { return Dim{-1, std::move(name)}; }
  bool is_known() const { return size >= 0; }
  bool is_symbolic() const { return size < 0 && !symbol.empty(); }
  bool operator==(const Dim& other) const { return size == other.size && symbol == other.symbol; }
  std::string to_string() const;  // "2708", "num_nodes" or "?"
};

struct ValueType {
  DType dtype = DType::Undefined;
  std::optional<std::vector<Dim>> shape;  // nullopt: rank unknown

  std::string to_string() const;  // "float32[num_nodes, 1433]"
};

struct ValueInfo {
  std::string name;
  ValueType type;
};

struct Graph;

struct Attribute {
  enum class Kind { Int, Float, String, Ints, Floats, Strings, Tensor, Graph };
  Kind kind = Kind::Int;
  int64_t i = 0;
  float f = 0.0f;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;
  gnnrt::Tensor t;
  std::shared_ptr<ir::Graph> g;
};

// The domain of gnnrt's own fused ops (SpMM, CsrFromCoo), which passes create; ONNX ops use "".
inline constexpr const char* kGnnrtDomain = "gnnrt";

struct Node {
  std::string name;     // unique within its graph after import (invented when the file had none)
  std::string op_type;  // ONNX op type, or a gnnrt fused op (domain "gnnrt")
  std::string domain;   // "" for the ONNX default domain
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;  // "" marks an omitted optional output
  std::map<std::string, Attribute> attributes;

  bool has_attribute(const std::string& key) const { return attributes.count(key) != 0; }
  // Typed attribute access; a missing attribute gives the default, a wrong kind is an error naming the node.
  int64_t attr_int(const std::string& key, int64_t fallback) const;
  float attr_float(const std::string& key, float fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key) const;  // empty when missing
  const Attribute& attr(const std::string& key) const;           // fails when missing
  std::string describe() const;  // "node 'Gather_12' (Gather)"
  // Number of inputs that are present (trailing omitted ones not counted).
  size_t input_count() const;
  bool has_input(size_t index) const { return index < inputs.size() && !inputs[index].empty(); }
  // An op gnnrt's backends run: an ONNX default-domain op or a gnnrt fused op.
  bool has_runnable_domain() const { return domain.empty() || domain == kGnnrtDomain; }
};

struct Graph {
  std::string name;
  std::vector<ValueInfo> inputs;   // graph inputs that are not initializers
  std::vector<ValueInfo> outputs;
  std::map<std::string, gnnrt::Tensor> initializers;  // weights and constants, by value name
  std::vector<Node> nodes;                            // in a topological order
  std::map<std::string, ValueType> value_types;       // known types of intermediate values

  const ValueInfo* find_input(const std::string& value) const;
  // Type of any value: input, output, initializer or intermediate; nullptr when unknown.
  std::optional<ValueType> type_of(const std::string& value) const;
};

// Every value name `node` reads, including what its subgraphs (If branches) read from outside
// themselves: what keeps a value alive.
void collect_reads(const Node& node, std::set<std::string>& reads);

struct Model {
  Graph graph;
  int64_t opset = 0;          // default-domain opset the model declares
  int64_t ir_version = 0;
  std::string producer;       // "pytorch 2.11.0"
  std::string source_path;    // the file it was imported from
};

}  // namespace gnnrt::ir
