#include "engine/engine_checks.h"

#include <set>
#include <unordered_set>

namespace gnnrt::engine {
namespace {

// The values visible at a point of a graph: its own so far, then those of enclosing graphs.
struct Scope {
  std::unordered_set<std::string> names;
  const Scope* parent = nullptr;

  bool sees(const std::string& name) const {
    for (const Scope* scope = this; scope; scope = scope->parent)
      if (scope->names.count(name)) return true;
    return false;
  }
};

class ContentChecker {
 public:
  ContentChecker(const std::string& what, ErrorCode fault) : what_(what), fault_(fault) {}

  void engine(const EngineContents& contents) {
    graph(contents.model.graph, nullptr, "graph '" + contents.model.graph.name + "'");
    profile(contents.profile, contents.model.graph);
    target(contents.target);
  }

 private:
  template <typename... Parts>
  [[noreturn]] void fail(const std::string& where, Parts&&... parts) const {
    const std::string advice = fault_ == ErrorCode::InvalidInput
                                   ? ": the engine is invalid; rebuild it with `gnnrt build`"
                                   : " (gnnrt refuses to write an engine it could not load)";
    throw Error(fault_, cat("engine '", what_, "': ", where, ": ", std::forward<Parts>(parts)..., advice));
  }

  void value_type(const ir::ValueType& type, const std::string& where) const {
    if (static_cast<uint8_t>(type.dtype) > static_cast<uint8_t>(DType::Bool))
      fail(where, "dtype enum value ", static_cast<int>(type.dtype), " is not a gnnrt dtype");
    if (!type.shape) return;
    for (const ir::Dim& dim : *type.shape)
      if (dim.size < -1) fail(where, "dimension ", dim.size, " (expected >= 0, or -1 when not known)");
  }

  void tensor(const Tensor& t, const std::string& where) const {
    if (!t.defined()) fail(where, "the tensor is undefined");
    if (!t.on_host()) fail(where, "tensor ", t.describe(), " is in device memory (copy it to the host first)");
    if (t.numel() > 0 && t.raw() == nullptr) fail(where, "tensor ", t.describe(), " has no data");
  }

  void define(Scope& scope, const std::string& name, const std::string& where) const {
    if (name.empty()) fail(where, "a value with an empty name");
    if (!scope.names.insert(name).second) fail(where, "value '", name, "' is defined twice");
  }

  void graph(const ir::Graph& g, const Scope* outer, const std::string& where) const {
    Scope scope{{}, outer};
    for (const ir::ValueInfo& input : g.inputs) {
      define(scope, input.name, where + " input '" + input.name + "'");
      value_type(input.type, where + " input '" + input.name + "'");
    }
    for (const auto& [name, weight] : g.initializers) {
      define(scope, name, where + " initializer '" + name + "'");
      tensor(weight, where + " initializer '" + name + "'");
    }
    for (const ir::Node& node : g.nodes) {
      const std::string at = where + " " + node.describe();
      if (node.op_type.empty()) fail(at, "the op type is empty");
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        const std::string& input = node.inputs[i];
        if (!input.empty() && !scope.sees(input))
          fail(at, "input ", i, " reads value '", input, "', which no graph input, initializer or earlier node defines");
      }
      for (const auto& [key, attribute] : node.attributes) {
        const std::string attribute_at = at + " attribute '" + key + "'";
        if (attribute.kind == ir::Attribute::Kind::Tensor) tensor(attribute.t, attribute_at);
        if (attribute.kind == ir::Attribute::Kind::Graph) {
          if (!attribute.g) fail(attribute_at, "the subgraph is missing");
          graph(*attribute.g, &scope, attribute_at + " graph '" + attribute.g->name + "'");
        }
      }
      for (const std::string& output : node.outputs)
        if (!output.empty()) define(scope, output, at + " output '" + output + "'");
    }
    for (const ir::ValueInfo& output : g.outputs) {
      const std::string at = where + " output '" + output.name + "'";
      if (!scope.sees(output.name)) fail(at, "no input, initializer or node defines it");
      value_type(output.type, at);
    }
    for (const auto& [name, type] : g.value_types) value_type(type, where + " value '" + name + "'");
  }

  void profile(const OptimizationProfile& p, const ir::Graph& main) const {
    std::set<std::string> seen;
    for (const InputRange& range : p.inputs) {
      const std::string at = "profile range of input '" + range.name + "'";
      if (!seen.insert(range.name).second) fail(at, "the input has two ranges");
      if (!main.find_input(range.name)) fail(at, "the graph has no such input");
      if (range.min.size() != range.opt.size() || range.opt.size() != range.max.size())
        fail(at, "min ", shape_to_string(range.min), ", opt ", shape_to_string(range.opt), " and max ",
             shape_to_string(range.max), " differ in rank");
      for (size_t d = 0; d < range.min.size(); ++d)
        if (range.min[d] < 0 || range.min[d] > range.opt[d] || range.opt[d] > range.max[d])
          fail(at, "dimension ", d, " needs 0 <= min <= opt <= max, got min ", shape_to_string(range.min),
               ", opt ", shape_to_string(range.opt), ", max ", shape_to_string(range.max));
    }
    if (p.max_graphs < -1) fail("profile", "max_graphs ", p.max_graphs, " (expected -1 for none, or >= 0)");
    if (p.opt_graphs < -1 || p.opt_graphs == 0 || (p.max_graphs >= 0 && p.opt_graphs > p.max_graphs))
      fail("profile", "opt_graphs ", p.opt_graphs, " (expected -1 for none, or 1 to max_graphs ", p.max_graphs, ")");
  }

  void target(const EngineTarget& t) const {
    if (t.device != "cpu" && t.device != "cuda")
      fail("target", "device '", t.device, "' (expected \"cpu\" or \"cuda\")");
    if (t.compute_capability < 0) fail("target", "compute capability ", t.compute_capability, " (expected >= 0)");
  }

  const std::string& what_;
  ErrorCode fault_;
};

}  // namespace

void check_engine_contents(const EngineContents& engine, const std::string& what, ErrorCode fault) {
  ContentChecker(what, fault).engine(engine);
}

}  // namespace gnnrt::engine
