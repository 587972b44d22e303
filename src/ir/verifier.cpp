#include "ir/verifier.h"

#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace gnnrt::ir {

namespace {

constexpr size_t kAnyCount = std::numeric_limits<size_t>::max();
constexpr size_t kListedProblems = 10;

enum class TypeClass { Bool, Index, Int64 };  // Index: int32 or int64

bool type_allowed(DType dtype, TypeClass allowed) {
  switch (allowed) {
    case TypeClass::Bool: return dtype == DType::Bool;
    case TypeClass::Index: return dtype == DType::Int32 || dtype == DType::Int64;
    case TypeClass::Int64: return dtype == DType::Int64;
  }
  return true;
}

const char* type_class_name(TypeClass allowed) {
  switch (allowed) {
    case TypeClass::Bool: return "bool";
    case TypeClass::Index: return "int32 or int64";
    case TypeClass::Int64: return "int64";
  }
  return "?";
}

// What a default-domain op requires of a node, for opsets 13 and later. Ops not in the table are
// only checked structurally.
struct OpRule {
  size_t min_inputs = 1;
  size_t max_inputs = 1;
  std::vector<std::string> attributes;                   // required attributes
  std::vector<size_t> same_dtype;                        // inputs that must share one dtype
  bool all_inputs_same_dtype = false;                    // variadic ops (Concat, Sum, Max)
  std::vector<std::pair<size_t, TypeClass>> input_types;  // inputs restricted to a type class
};

OpRule make_rule(size_t min_inputs = 1, size_t max_inputs = 1, std::vector<std::string> attributes = {},
                 std::vector<size_t> same_dtype = {}, bool all_inputs_same_dtype = false,
                 std::vector<std::pair<size_t, TypeClass>> input_types = {}) {
  return OpRule{min_inputs, max_inputs, std::move(attributes), std::move(same_dtype), all_inputs_same_dtype,
                std::move(input_types)};
}

const std::map<std::string, OpRule>& op_rules() {
  static const auto rules = [] {
    std::map<std::string, OpRule> r;
    for (const char* op : {"Abs", "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
                           "Exp", "Log", "Sqrt", "Reciprocal", "Neg", "Floor", "Ceil", "Round", "Sign", "Erf", "Softplus",
                           "Softsign", "Gelu", "Sin", "Cos", "Identity", "IsNaN", "IsInf", "Softmax", "LogSoftmax",
                           "Hardmax", "Shape", "Size", "NonZero", "Flatten", "Transpose", "ArgMax", "ArgMin"})
      r[op] = make_rule();
    r["Not"] = make_rule(1, 1, {}, {}, false, {{0, TypeClass::Bool}});
    for (const char* op : {"Add", "Sub", "Mul", "Div", "Mod", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
                           "PRelu", "MatMul"})
      r[op] = make_rule(2, 2, {}, {0, 1});
    for (const char* op : {"And", "Or", "Xor"})
      r[op] = make_rule(2, 2, {}, {0, 1}, false, {{0, TypeClass::Bool}, {1, TypeClass::Bool}});
    r["Pow"] = make_rule(2, 2);
    for (const char* op : {"Sum", "Mean", "Max", "Min"}) r[op] = make_rule(1, kAnyCount, {}, {}, true);
    r["Concat"] = make_rule(1, kAnyCount, {"axis"}, {}, true);
    r["Where"] = make_rule(3, 3, {}, {1, 2}, false, {{0, TypeClass::Bool}});
    r["Clip"] = make_rule(1, 3, {}, {0, 1, 2});
    r["Cast"] = make_rule(1, 1, {"to"});
    r["CastLike"] = make_rule(2, 2);
    r["Gemm"] = make_rule(2, 3, {}, {0, 1, 2});
    r["Gather"] = make_rule(2, 2, {}, {}, false, {{1, TypeClass::Index}});
    r["GatherElements"] = make_rule(2, 2, {}, {}, false, {{1, TypeClass::Index}});
    r["GatherND"] = make_rule(2, 2, {}, {}, false, {{1, TypeClass::Int64}});
    r["ScatterElements"] = make_rule(3, 3, {}, {0, 2}, false, {{1, TypeClass::Index}});
    r["ScatterND"] = make_rule(3, 3, {}, {0, 2}, false, {{1, TypeClass::Int64}});
    r["Reshape"] = make_rule(2, 2, {}, {}, false, {{1, TypeClass::Int64}});
    r["Squeeze"] = make_rule(1, 2, {}, {}, false, {{1, TypeClass::Int64}});
    r["Unsqueeze"] = make_rule(1, 2, {}, {}, false, {{1, TypeClass::Int64}});
    r["Slice"] = make_rule(1, 5, {}, {1, 2}, false,
                        {{1, TypeClass::Index}, {2, TypeClass::Index}, {3, TypeClass::Index}, {4, TypeClass::Index}});
    r["Split"] = make_rule(1, 2, {}, {}, false, {{1, TypeClass::Int64}});
    r["Tile"] = make_rule(2, 2, {}, {}, false, {{1, TypeClass::Int64}});
    r["Expand"] = make_rule(2, 2, {}, {}, false, {{1, TypeClass::Int64}});
    r["ConstantOfShape"] = make_rule(1, 1, {}, {}, false, {{0, TypeClass::Int64}});
    r["Range"] = make_rule(3, 3, {}, {0, 1, 2});
    for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                           "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"})
      r[op] = make_rule(1, 2, {}, {}, false, {{1, TypeClass::Int64}});
    r["If"] = make_rule(1, 1, {"then_branch", "else_branch"}, {}, false, {{0, TypeClass::Bool}});
    r["Dropout"] = make_rule(1, 3, {}, {}, false, {{2, TypeClass::Bool}});
    r["Pad"] = make_rule(1, 4, {}, {}, false, {{1, TypeClass::Int64}, {3, TypeClass::Index}});
    r["CumSum"] = make_rule(2, 2, {}, {}, false, {{1, TypeClass::Index}});
    r["BatchNormalization"] = make_rule(5, 5);
    r["LayerNormalization"] = make_rule(2, 3, {}, {0, 1, 2});
    r["TopK"] = make_rule(2, 2, {}, {}, false, {{1, TypeClass::Int64}});
    r["Constant"] = make_rule(0, 0);
    return r;
  }();
  return rules;
}

// One graph being checked; outer frames are the graphs enclosing an If branch.
struct Frame {
  const Graph& graph;
  const Frame* parent;
  std::string where;                         // "" for the main graph, "then_branch of node 'If_3' (If): "
  std::map<std::string, std::string> defined;  // value name -> what defined it
};

class Verifier {
 public:
  void verify(const Graph& graph, const Frame* parent, const std::string& where) {
    Frame frame{graph, parent, where, {}};
    for (const ValueInfo& input : graph.inputs) {
      if (input.name.empty()) problem(frame, "a graph input has an empty name");
      else define(frame, input.name, "graph input");
    }
    for (const auto& [name, tensor] : graph.initializers) {
      if (auto it = frame.defined.find(name); it != frame.defined.end())
        problem(frame, "initializer '", name, "' has the name of a ", it->second);
      else define(frame, name, "initializer");
    }
    // Where each value is produced, to tell "used before it is defined" from "never defined".
    std::map<std::string, std::string> producers;
    for (const Node& node : graph.nodes)
      for (const std::string& output : node.outputs)
        if (!output.empty()) producers.emplace(output, node.name);

    std::set<std::string> node_names;
    for (const Node& node : graph.nodes) {
      if (!node.name.empty() && !node_names.insert(node.name).second)
        problem(frame, "node name '", node.name, "' is used by more than one node");
      if (node.op_type.empty()) problem(frame, node.describe(), ": the op type is empty");
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        const std::string& input = node.inputs[i];
        if (input.empty() || visible(frame, input)) continue;
        if (auto it = producers.find(input); it != producers.end())
          problem(frame, node.describe(), ": input ", i, " '", input, "' is used before it is defined (by node '", it->second,
                  "', later in the graph)");
        else problem(frame, node.describe(), ": input ", i, " '", input, "' is not defined");
      }
      if (node.domain.empty() || node.domain == "ai.onnx") check_op(frame, node);
      for (const std::string& output : node.outputs) {
        if (output.empty()) continue;
        if (auto it = frame.defined.find(output); it != frame.defined.end()) {
          problem(frame, node.describe(), ": value '", output, "' is assigned more than once (first by ", it->second, ")");
          continue;
        }
        for (const Frame* outer = frame.parent; outer; outer = outer->parent)
          if (outer->defined.count(output)) {
            problem(frame, node.describe(), ": value '", output, "' redefines a value of the enclosing graph");
            break;
          }
        define(frame, output, "node '" + node.name + "'");
      }
    }
    for (const ValueInfo& output : graph.outputs) {
      if (output.name.empty()) problem(frame, "a graph output has an empty name");
      else if (!visible(frame, output.name))
        problem(frame, "graph output '", output.name, "' is not produced by any node, input or initializer");
    }
  }

  void throw_if_problems(const Graph& graph) const {
    if (problems_.empty()) return;
    std::string text = cat("IR graph '", graph.name, "' is invalid (", total_, " problem", total_ == 1 ? "" : "s", "):");
    for (const std::string& p : problems_) text += "\n  " + p;
    if (total_ > problems_.size()) text += cat("\n  ... and ", total_ - problems_.size(), " more");
    fail_input(text);
  }

 private:
  template <typename... Parts>
  void problem(const Frame& frame, Parts&&... parts) {
    ++total_;
    if (problems_.size() < kListedProblems) problems_.push_back(frame.where + cat(std::forward<Parts>(parts)...));
  }

  static void define(Frame& frame, const std::string& name, std::string by) { frame.defined.emplace(name, std::move(by)); }

  static bool visible(const Frame& frame, const std::string& name) {
    for (const Frame* f = &frame; f; f = f->parent)
      if (f->defined.count(name)) return true;
    return false;
  }

  static std::optional<ValueType> type_of(const Frame& frame, const std::string& name) {
    for (const Frame* f = &frame; f; f = f->parent)
      if (auto type = f->graph.type_of(name)) return type;
    return std::nullopt;
  }

  static DType dtype_of(const Frame& frame, const Node& node, size_t input) {
    if (!node.has_input(input)) return DType::Undefined;
    const auto type = type_of(frame, node.inputs[input]);
    return type ? type->dtype : DType::Undefined;
  }

  void check_op(Frame& frame, const Node& node) {
    const auto& rules = op_rules();
    auto it = rules.find(node.op_type);
    if (it == rules.end()) return;
    const OpRule& rule = it->second;
    // Ops whose required inputs moved from attributes to inputs across opsets.
    size_t min_inputs = rule.min_inputs;
    if (node.op_type == "Slice" && !node.has_attribute("starts")) min_inputs = 3;
    if (node.op_type == "Pad" && !node.has_attribute("pads")) min_inputs = 2;
    if (node.op_type == "Unsqueeze" && !node.has_attribute("axes")) min_inputs = 2;
    const size_t count = node.input_count();
    if (count > rule.max_inputs)
      problem(frame, node.describe(), ": has ", count, " inputs, at most ", rule.max_inputs, " allowed");
    for (size_t i = 0; i < min_inputs; ++i)
      if (!node.has_input(i)) problem(frame, node.describe(), ": required input ", i, " is missing (needs ", min_inputs, " inputs)");
    if (node.outputs.empty() || node.outputs[0].empty()) problem(frame, node.describe(), ": has no output");
    for (const std::string& attribute : rule.attributes)
      if (!node.has_attribute(attribute)) problem(frame, node.describe(), ": required attribute '", attribute, "' is missing");
    if (node.op_type == "Constant" && node.attributes.size() != 1)
      problem(frame, node.describe(), ": needs exactly one value attribute, has ", node.attributes.size());

    // dtype agreement, where both types are known.
    std::vector<size_t> same = rule.same_dtype;
    if (rule.all_inputs_same_dtype)
      for (size_t i = 0; i < node.inputs.size(); ++i) same.push_back(i);
    std::optional<size_t> reference;
    for (size_t i : same) {
      const DType dtype = dtype_of(frame, node, i);
      if (dtype == DType::Undefined) continue;
      if (!reference) {
        reference = i;
      } else if (dtype != dtype_of(frame, node, *reference)) {
        problem(frame, node.describe(), ": input dtypes disagree: input ", *reference, " '", node.inputs[*reference], "' is ",
                dtype_name(dtype_of(frame, node, *reference)), " but input ", i, " '", node.inputs[i], "' is ",
                dtype_name(dtype));
        break;
      }
    }
    for (const auto& [index, allowed] : rule.input_types) {
      const DType dtype = dtype_of(frame, node, index);
      if (dtype != DType::Undefined && !type_allowed(dtype, allowed))
        problem(frame, node.describe(), ": input ", index, " '", node.inputs[index], "' is ", dtype_name(dtype), ", expected ",
                type_class_name(allowed));
    }
    if (node.op_type == "If") check_if(frame, node);
  }

  void check_if(Frame& frame, const Node& node) {
    for (const char* branch : {"then_branch", "else_branch"}) {
      if (!node.has_attribute(branch)) continue;  // reported as a missing attribute
      const Attribute& attribute = node.attributes.at(branch);
      if (attribute.kind != Attribute::Kind::Graph || !attribute.g) {
        problem(frame, node.describe(), ": attribute '", branch, "' is not a graph");
        continue;
      }
      if (attribute.g->outputs.size() != node.outputs.size())
        problem(frame, node.describe(), ": ", branch, " has ", attribute.g->outputs.size(), " outputs but the node has ",
                node.outputs.size());
      verify(*attribute.g, &frame, cat(frame.where, "in ", branch, " of ", node.describe(), ": "));
    }
  }

  std::vector<std::string> problems_;
  size_t total_ = 0;
};

}  // namespace

void verify_graph(const Graph& graph) {
  Verifier verifier;
  verifier.verify(graph, nullptr, "");
  verifier.throw_if_problems(graph);
}

}  // namespace gnnrt::ir
