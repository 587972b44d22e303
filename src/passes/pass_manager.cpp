#include "passes/pass_manager.h"

#include <cstdlib>
#include <iostream>
#include <limits>

#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "passes/aggregation_reordering.h"
#include "passes/constant_folding.h"
#include "passes/dead_code_elimination.h"
#include "passes/gcn_normalization_folding.h"
#include "passes/linear_fusion.h"
#include "passes/shape_simplification.h"
#include "passes/mean_pooling_folding.h"
#include "passes/spmm_epilogue_fusion.h"
#include "passes/spmm_lifting.h"

namespace gnnrt::passes {

void PassContext::note(const std::string& pass, const std::string& text) const {
  if (log) *log << "[pass] " << pass << ": " << text << "\n";
}

namespace {

bool dump_requested_by_environment() {
  const char* value = std::getenv("GNNRT_DUMP_IR");
  return value != nullptr && *value != '\0' && std::string(value) != "0";
}

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace

PassManager::PassManager(std::vector<std::unique_ptr<Pass>> passes, PassManagerOptions options)
    : passes_(std::move(passes)), options_(std::move(options)) {
  const std::vector<std::string> known = pass_names();
  for (const std::string& disabled : options_.disabled_passes) {
    bool found = false;
    for (const std::string& name : known) found = found || name == disabled;
    if (!found) fail_input("--disable-pass ", disabled, ": no pass has this name; the passes are: ", join(known));
  }
}

std::vector<std::string> PassManager::pass_names() const {
  std::vector<std::string> names;
  for (const auto& pass : passes_) names.push_back(pass->name());
  return names;
}

PassReport PassManager::run(ir::Graph& graph) {
  PassReport report;
  report.nodes_before = count_nodes(graph);
  // An invalid graph coming in is the model's problem, not the first pass's.
  ir::verify_graph(graph);
  detach_subgraphs(graph);
  PassContext context;
  context.log = options_.log;
  context.max_folded_elements = options_.max_folded_elements;
  const bool dump = options_.dump_ir || dump_requested_by_environment();
  std::ostream& dump_stream = options_.dump_stream ? *options_.dump_stream : options_.log ? *options_.log : std::cerr;

  std::vector<Pass*> enabled;
  for (const auto& pass : passes_) {
    bool disabled = false;
    for (const std::string& name : options_.disabled_passes) disabled = disabled || name == pass->name();
    if (disabled) context.note(pass->name(), "disabled");
    else enabled.push_back(pass.get());
  }

  for (size_t round = 1; round <= options_.max_rounds && !enabled.empty(); ++round) {
    report.rounds = round;
    bool changed_this_round = false;
    for (Pass* pass : enabled) {
      const size_t nodes_before_pass = count_nodes(graph);
      const PassResult result = pass->run(graph, context);
      if (result.changes == 0) continue;
      changed_this_round = true;
      // A pass that breaks the graph is a gnnrt bug, whatever the model: say which pass did it.
      try {
        ir::verify_graph(graph);
        ir::infer_shapes(graph);
      } catch (const Error& error) {
        fail_internal("pass ", pass->name(), " (round ", round, ") left an invalid graph: ", error.what());
      }
      const size_t nodes_after_pass = count_nodes(graph);
      context.note(pass->name(), cat(result.summary, " (", nodes_before_pass, " -> ", nodes_after_pass, " nodes",
                                     round > 1 ? cat(", round ", round) : std::string(), ")"));
      report.records.push_back({round, pass->name(), result.changes, result.summary});
      bool listed = false;
      for (const std::string& name : report.applied_passes) listed = listed || name == pass->name();
      if (!listed) report.applied_passes.push_back(pass->name());
      if (dump) dump_stream << "[pass] IR after " << pass->name() << " (round " << round << "):\n" << ir::print_graph(graph);
    }
    if (!changed_this_round) break;
  }
  report.nodes_after = count_nodes(graph);
  return report;
}

std::vector<std::unique_ptr<Pass>> standard_passes() {
  std::vector<std::unique_ptr<Pass>> passes;
  passes.push_back(std::make_unique<ConstantFolding>());
  passes.push_back(std::make_unique<ShapeSimplification>());
  passes.push_back(std::make_unique<DeadCodeElimination>());
  // Message passing as sparse algebra, in dependency order: lift, fold the normalisation into the
  // lifted SpMMs, reorder around the linear layers, then fuse what follows each SpMM and each
  // remaining dense layer.
  passes.push_back(std::make_unique<SpmmLifting>());
  passes.push_back(std::make_unique<GcnNormalizationFolding>());
  passes.push_back(std::make_unique<AggregationReordering>());
  passes.push_back(std::make_unique<SpmmEpilogueFusion>());
  passes.push_back(std::make_unique<MeanPoolingFolding>());
  passes.push_back(std::make_unique<LinearFusion>());
  return passes;
}

std::vector<std::string> standard_pass_names() {
  std::vector<std::string> names;
  for (const auto& pass : standard_passes()) names.push_back(pass->name());
  return names;
}

PassReport optimize_graph(ir::Graph& graph, const PassManagerOptions& options) {
  PassManager manager(standard_passes(), options);
  return manager.run(graph);
}

std::string describe_report(const PassReport& report) {
  return cat(report.nodes_before, " -> ", report.nodes_after, " nodes in ", report.rounds,
             report.rounds == 1 ? " round" : " rounds", " (",
             report.applied_passes.empty() ? std::string("nothing changed") : "applied: " + join(report.applied_passes),
             ")");
}

// ---------------------------------------------------------------------------------------------
// Graph-editing helpers

size_t count_nodes(const ir::Graph& graph) {
  size_t count = 0;
  for (const ir::Node& node : graph.nodes) {
    ++count;
    for (const auto& [key, attribute] : node.attributes)
      if (attribute.kind == ir::Attribute::Kind::Graph && attribute.g) count += count_nodes(*attribute.g);
  }
  return count;
}

void collect_defined_names(const ir::Graph& graph, std::set<std::string>& names) {
  for (const ir::ValueInfo& input : graph.inputs) names.insert(input.name);
  for (const auto& [name, tensor] : graph.initializers) names.insert(name);
  for (const ir::Node& node : graph.nodes) {
    for (const std::string& output : node.outputs)
      if (!output.empty()) names.insert(output);
    for (const auto& [key, attribute] : node.attributes)
      if (attribute.kind == ir::Attribute::Kind::Graph && attribute.g) collect_defined_names(*attribute.g, names);
  }
}

namespace {

void replace_uses_in_subgraph(ir::Graph& subgraph, const std::string& from, const std::string& to) {
  replace_uses(subgraph, from, to);
  for (ir::ValueInfo& output : subgraph.outputs)
    if (output.name == from) output.name = to;
}

}  // namespace

void replace_uses(ir::Graph& graph, const std::string& from, const std::string& to) {
  for (ir::Node& node : graph.nodes) {
    for (std::string& input : node.inputs)
      if (input == from) input = to;
    for (auto& [key, attribute] : node.attributes)
      if (attribute.kind == ir::Attribute::Kind::Graph && attribute.g) replace_uses_in_subgraph(*attribute.g, from, to);
  }
}

bool is_graph_output(const ir::Graph& graph, const std::string& value) {
  for (const ir::ValueInfo& output : graph.outputs)
    if (output.name == value) return true;
  return false;
}

void detach_subgraphs(ir::Graph& graph) {
  for (ir::Node& node : graph.nodes)
    for (auto& [key, attribute] : node.attributes) {
      if (attribute.kind != ir::Attribute::Kind::Graph || !attribute.g) continue;
      attribute.g = std::make_shared<ir::Graph>(*attribute.g);
      detach_subgraphs(*attribute.g);
    }
}

bool has_subgraph(const ir::Node& node) {
  for (const auto& [key, attribute] : node.attributes)
    if (attribute.kind == ir::Attribute::Kind::Graph) return true;
  return false;
}

std::optional<ir::ValueType> type_in_scope(const std::vector<const ir::Graph*>& scope, const std::string& value) {
  for (const ir::Graph* graph : scope)
    if (auto type = graph->type_of(value)) return type;
  return std::nullopt;
}

std::optional<int64_t> static_element_count(const ir::ValueType& type) {
  if (!type.shape) return std::nullopt;
  int64_t count = 1;
  for (const ir::Dim& dim : *type.shape) {
    if (!dim.is_known()) return std::nullopt;
    if (dim.size != 0 && count > std::numeric_limits<int64_t>::max() / dim.size) return std::nullopt;
    count *= dim.size;
  }
  return count;
}

}  // namespace gnnrt::passes
