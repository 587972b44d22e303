#include "passes/constant_folding.h"

#include <map>
#include <new>
#include <set>

#include "backends/cpu/kernel_registry.h"

namespace gnnrt::passes {
namespace {

// Ops whose outputs are not a function of their inputs alone (or that a model may run in a
// training mode): evaluating them once would freeze one draw.
bool is_deterministic(const std::string& op_type) {
  static const std::set<std::string> nondeterministic = {
      "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout"};
  return nondeterministic.count(op_type) == 0;
}

bool same_static_shape(const ir::ValueType& type, const Tensor& tensor) {
  if (!type.shape || type.shape->size() != tensor.shape().size()) return false;
  for (size_t d = 0; d < type.shape->size(); ++d)
    if ((*type.shape)[d].size != tensor.shape()[d]) return false;
  return true;
}

// Names defined anywhere in `graph` (recursively) except inside the subgraphs of `skipped`.
void collect_names_except(const ir::Graph& graph, const ir::Node* skipped, std::set<std::string>& names) {
  for (const ir::ValueInfo& input : graph.inputs) names.insert(input.name);
  for (const auto& [name, tensor] : graph.initializers) names.insert(name);
  for (const ir::Node& node : graph.nodes) {
    for (const std::string& output : node.outputs)
      if (!output.empty()) names.insert(output);
    if (&node == skipped) continue;
    for (const auto& [key, attribute] : node.attributes)
      if (attribute.kind == ir::Attribute::Kind::Graph && attribute.g) collect_names_except(*attribute.g, skipped, names);
  }
}

class Folder {
 public:
  Folder(ir::Graph& root, PassContext& context, const std::string& pass_name)
      : root_(root), context_(context), pass_name_(pass_name) {}

  size_t folded = 0;
  size_t inlined = 0;

  // `scope`: `graph` first, then the graphs enclosing it.
  void fold_graph(ir::Graph& graph, std::vector<ir::Graph*> scope) {
    size_t i = 0;
    while (i < graph.nodes.size()) {
      ir::Node& node = graph.nodes[i];
      if (node.op_type == "If" && node.domain.empty()) {
        if (const char* branch = constant_branch(node, scope); branch && inline_branch(graph, i, branch)) {
          ++inlined;
          continue;  // the branch's nodes now start at i: fold them too
        }
      }
      if (has_subgraph(node)) {
        for (auto& [key, attribute] : node.attributes) {
          if (attribute.kind != ir::Attribute::Kind::Graph || !attribute.g) continue;
          std::vector<ir::Graph*> inner_scope{attribute.g.get()};
          inner_scope.insert(inner_scope.end(), scope.begin(), scope.end());
          fold_graph(*attribute.g, inner_scope);
        }
        ++i;
        continue;
      }
      if (try_fold(graph, node, scope)) {
        graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(i));
        ++folded;
        continue;
      }
      ++i;
    }
  }

 private:
  static const Tensor* constant(const std::vector<ir::Graph*>& scope, const std::string& name) {
    for (const ir::Graph* graph : scope)
      if (auto it = graph->initializers.find(name); it != graph->initializers.end()) return &it->second;
    return nullptr;
  }

  static std::vector<const ir::Graph*> const_scope(const std::vector<ir::Graph*>& scope) {
    return std::vector<const ir::Graph*>(scope.begin(), scope.end());
  }

  // "then_branch" or "else_branch" when the condition is a constant single bool; nullptr otherwise.
  static const char* constant_branch(const ir::Node& node, const std::vector<ir::Graph*>& scope) {
    if (!node.has_input(0)) return nullptr;
    const Tensor* condition = constant(scope, node.inputs[0]);
    if (!condition || condition->dtype() != DType::Bool || condition->numel() != 1 || !condition->on_host()) return nullptr;
    return condition->data<bool>()[0] ? "then_branch" : "else_branch";
  }

  // Replaces the If at `index` by the nodes of `branch_key`. Fails (returns false, graph untouched)
  // when a name the branch defines is already taken elsewhere in the model.
  bool inline_branch(ir::Graph& graph, size_t index, const char* branch_key) {
    const ir::Node& if_node = graph.nodes[index];
    auto attribute = if_node.attributes.find(branch_key);
    if (attribute == if_node.attributes.end() || attribute->second.kind != ir::Attribute::Kind::Graph ||
        !attribute->second.g)
      return false;
    const ir::Graph& branch = *attribute->second.g;
    if (branch.outputs.size() != if_node.outputs.size() || !branch.inputs.empty()) return false;
    for (const ir::ValueInfo& output : branch.outputs)
      if (output.name.empty()) return false;

    std::set<std::string> taken;
    collect_names_except(root_, &if_node, taken);
    std::set<std::string> branch_names;
    collect_defined_names(branch, branch_names);
    for (const std::string& name : branch_names)
      if (taken.count(name)) {
        context_.note(pass_name_, cat("not inlining ", if_node.describe(), ": its ", branch_key, " defines '", name,
                                      "', a name used elsewhere in the model"));
        return false;
      }

    ir::Graph body = branch;  // a copy: the If node (and its attribute) goes away below
    const std::vector<std::string> if_outputs = if_node.outputs;
    const std::string if_name = if_node.name;
    std::map<std::string, size_t> producer;  // value -> index of the branch node that defines it
    for (size_t n = 0; n < body.nodes.size(); ++n)
      for (const std::string& output : body.nodes[n].outputs)
        if (!output.empty()) producer[output] = n;
    std::map<std::string, int> times_returned;
    for (const ir::ValueInfo& output : body.outputs) ++times_returned[output.name];

    // Branch outputs computed by a branch node are renamed to the If's outputs; the others (a value
    // of the enclosing graph, a branch initializer, one value returned twice) get an Identity.
    std::vector<ir::Node> identities;
    for (size_t k = 0; k < if_outputs.size(); ++k) {
      const std::string& result = body.outputs[k].name;
      const std::string& target = if_outputs[k];
      if (target.empty()) continue;
      auto defined = producer.find(result);
      if (defined != producer.end() && times_returned[result] == 1) {
        for (std::string& output : body.nodes[defined->second].outputs)
          if (output == result) output = target;
        replace_uses(body, result, target);
        body.value_types.erase(result);
      } else {
        ir::Node identity;
        identity.name = cat(if_name, "/output_", k);
        identity.op_type = "Identity";
        identity.inputs = {result};
        identity.outputs = {target};
        identities.push_back(std::move(identity));
      }
    }

    std::set<std::string> node_names;
    for (size_t n = 0; n < graph.nodes.size(); ++n)
      if (n != index) node_names.insert(graph.nodes[n].name);
    std::vector<ir::Node> replacement = std::move(body.nodes);
    for (ir::Node& identity : identities) replacement.push_back(std::move(identity));
    for (ir::Node& node : replacement) {
      std::string name = node.name.empty() ? if_name + "/inlined" : node.name;
      for (int suffix = 2; node_names.count(name); ++suffix) name = cat(node.name.empty() ? if_name + "/inlined" : node.name, "_", suffix);
      node.name = name;
      node_names.insert(name);
    }
    for (auto& [name, tensor] : body.initializers) graph.initializers[name] = std::move(tensor);
    for (auto& [name, type] : body.value_types) graph.value_types[name] = std::move(type);

    context_.note(pass_name_, cat("inlined the ", branch_key, " of ", if_node.describe(), " (", replacement.size(),
                                  replacement.size() == 1 ? " node" : " nodes", "): its condition is a constant"));
    graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(index));
    graph.nodes.insert(graph.nodes.begin() + static_cast<std::ptrdiff_t>(index),
                       std::make_move_iterator(replacement.begin()), std::make_move_iterator(replacement.end()));
    return true;
  }

  bool try_fold(ir::Graph& graph, const ir::Node& node, const std::vector<ir::Graph*>& scope) {
    if (!node.domain.empty() || !is_deterministic(node.op_type) || node.outputs.empty()) return false;
    const cpu::KernelFn* kernel = cpu::kernel_registry().find(node.op_type);
    if (!kernel) return false;
    cpu::KernelInputs inputs;
    for (const std::string& input : node.inputs) {
      if (input.empty()) {
        inputs.push_back(nullptr);
        continue;
      }
      const Tensor* value = constant(scope, input);
      if (!value || !value->on_host()) return false;
      inputs.push_back(value);
    }
    // The size check comes before evaluating: a ConstantOfShape of a constant [1e6, 1e6] must not run.
    std::vector<ir::ValueType> types;
    for (const std::string& output : node.outputs) {
      if (output.empty()) {
        types.emplace_back();
        continue;
      }
      if (is_graph_output(graph, output)) return false;
      const auto type = type_in_scope(const_scope(scope), output);
      if (!type || type->dtype == DType::Undefined) return false;
      const auto count = static_element_count(*type);
      if (!count || *count > context_.max_folded_elements) return false;
      types.push_back(*type);
    }

    std::vector<Tensor> results;
    try {
      cpu::KernelContext kernel_context;  // no run_subgraph: nodes with subgraphs are never folded
      results = (*kernel)(node, inputs, kernel_context);
    } catch (const Error& error) {
      context_.note(pass_name_, cat("not folding ", node.describe(), ": ", error.what()));
      return false;
    } catch (const std::bad_alloc&) {
      context_.note(pass_name_, cat("not folding ", node.describe(), ": out of memory evaluating it"));
      return false;
    }
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (node.outputs[k].empty()) continue;
      if (k >= results.size() || !results[k].defined() || !results[k].on_host()) return false;
      // The kernel and shape inference must agree, or later passes would read a wrong type.
      if (results[k].dtype() != types[k].dtype || !same_static_shape(types[k], results[k])) {
        context_.note(pass_name_, cat("not folding ", node.describe(), ": the kernel computed ", results[k].describe(),
                                      " for '", node.outputs[k], "' but shape inference says ", types[k].to_string()));
        return false;
      }
    }
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (node.outputs[k].empty()) continue;
      // Own storage: a kernel may return a view of its input (Reshape), and initializers are
      // written to the engine one by one.
      graph.initializers[node.outputs[k]] = results[k].clone();
      graph.value_types.erase(node.outputs[k]);
    }
    return true;
  }

  ir::Graph& root_;
  PassContext& context_;
  const std::string& pass_name_;
};

}  // namespace

PassResult ConstantFolding::run(ir::Graph& graph, PassContext& context) {
  const std::string pass_name = name();
  Folder folder(graph, context, pass_name);
  folder.fold_graph(graph, {&graph});
  PassResult result;
  result.changes = folder.folded + folder.inlined;
  result.summary = cat("folded ", folder.folded, folder.folded == 1 ? " node" : " nodes");
  if (folder.inlined > 0)
    result.summary += cat(", inlined ", folder.inlined, folder.inlined == 1 ? " If branch" : " If branches");
  return result;
}

}  // namespace gnnrt::passes
