#include "builder/profile.h"

#include <map>
#include <sstream>

#include "runtime/graph_input_checks.h"

namespace gnnrt::builder {
namespace {

// "x:100x1433,edge_index:2x500" -> {x: [100, 1433], edge_index: [2, 500]}
std::map<std::string, Dims> parse_shapes(const std::string& text, const std::string& option) {
  std::map<std::string, Dims> shapes;
  std::stringstream entries(text);
  std::string entry;
  while (std::getline(entries, entry, ',')) {
    if (entry.empty()) continue;
    const size_t colon = entry.rfind(':');
    if (colon == std::string::npos || colon == 0)
      fail_input(option, " '", entry, "': expected name:AxBxC, e.g. x:2708x1433");
    const std::string name = entry.substr(0, colon);
    Dims dims;
    std::stringstream parts(entry.substr(colon + 1));
    std::string part;
    while (std::getline(parts, part, 'x')) {
      size_t used = 0;
      long long value = -1;
      try {
        value = std::stoll(part, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != part.size() || value < 0)
        fail_input(option, " '", entry, "': '", part, "' is not a non-negative dimension");
      dims.push_back(value);
    }
    if (shapes.count(name)) fail_input(option, ": input '", name, "' is given twice");
    shapes[name] = dims;
  }
  return shapes;
}

std::string dims_text(const Dims& dims) {
  std::string text;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) text += "x";
    text += dims[i] >= kUnboundedDim ? "inf" : std::to_string(dims[i]);
  }
  return text;
}

}  // namespace

engine::OptimizationProfile make_profile(const ir::Graph& graph, const ProfileRequest& request) {
  const auto min_shapes = parse_shapes(request.min_shapes, "--min-shapes");
  const auto opt_shapes = parse_shapes(request.opt_shapes, "--opt-shapes");
  const auto max_shapes = parse_shapes(request.max_shapes, "--max-shapes");
  for (const auto* shapes : {&min_shapes, &opt_shapes, &max_shapes})
    for (const auto& [name, dims] : *shapes)
      if (!graph.find_input(name)) fail_input("profile: the model has no input '", name, "'");

  // The symbols that stand for the node and edge counts, whatever the exporter named them.
  const runtime::GraphInputRoles roles = runtime::find_graph_input_roles(graph);
  auto symbol_of = [&](const std::string& input, size_t axis) -> std::string {
    const ir::ValueInfo* info = input.empty() ? nullptr : graph.find_input(input);
    if (!info || !info->type.shape || info->type.shape->size() <= axis) return {};
    return (*info->type.shape)[axis].symbol;
  };
  const std::string nodes_symbol = symbol_of(roles.node_features, 0);
  const std::string edges_symbol = symbol_of(roles.edge_index, 1);
  if ((request.max_nodes >= 0 || request.min_nodes >= 0 || request.opt_nodes >= 0) && nodes_symbol.empty())
    fail_input("--min/opt/max-nodes: the model has no node-feature input with a dynamic first dimension");
  if ((request.max_edges >= 0 || request.min_edges >= 0 || request.opt_edges >= 0) && edges_symbol.empty())
    fail_input("--min/opt/max-edges: the model has no edge_index input with a dynamic second dimension");

  engine::OptimizationProfile profile;
  profile.max_graphs = request.max_graphs;
  profile.opt_graphs = request.opt_graphs;
  if (request.opt_graphs == 0 || request.opt_graphs < -1)
    fail_input("--opt-graphs must be at least 1, got ", request.opt_graphs);
  if (request.max_graphs >= 0 && request.opt_graphs > request.max_graphs)
    fail_input("--opt-graphs ", request.opt_graphs, " is more than --max-graphs ", request.max_graphs);
  if (request.opt_graphs > 0 && runtime::find_graph_input_roles(graph).batch.empty())
    fail_input("--opt-graphs: the model has no batch input (it serves one graph a call, not batches of graphs)");
  for (const ir::ValueInfo& input : graph.inputs) {
    if (!input.type.shape) continue;
    const std::vector<ir::Dim>& declared = *input.type.shape;
    bool dynamic = false;
    for (const ir::Dim& d : declared) dynamic = dynamic || !d.is_known();
    const bool named = min_shapes.count(input.name) || opt_shapes.count(input.name) || max_shapes.count(input.name);
    if (!dynamic && !named) continue;
    engine::InputRange range;
    range.name = input.name;
    for (size_t axis = 0; axis < declared.size(); ++axis) {
      const ir::Dim& d = declared[axis];
      int64_t lo = d.is_known() ? d.size : 0, opt = d.is_known() ? d.size : -1, hi = d.is_known() ? d.size : kUnboundedDim;
      if (d.is_symbolic() && d.symbol == nodes_symbol) {
        if (request.min_nodes >= 0) lo = request.min_nodes;
        if (request.opt_nodes >= 0) opt = request.opt_nodes;
        if (request.max_nodes >= 0) hi = request.max_nodes;
      }
      if (d.is_symbolic() && d.symbol == edges_symbol) {
        if (request.min_edges >= 0) lo = request.min_edges;
        if (request.opt_edges >= 0) opt = request.opt_edges;
        if (request.max_edges >= 0) hi = request.max_edges;
      }
      range.min.push_back(lo);
      range.opt.push_back(opt);
      range.max.push_back(hi);
    }
    auto apply = [&](const std::map<std::string, Dims>& shapes, Dims& target, const char* option) {
      auto it = shapes.find(input.name);
      if (it == shapes.end()) return;
      if (it->second.size() != declared.size())
        fail_input(option, ": input '", input.name, "' has rank ", declared.size(), " (", input.type.to_string(),
                   "), got ", it->second.size(), " dimensions");
      for (size_t axis = 0; axis < declared.size(); ++axis)
        if (declared[axis].is_known() && declared[axis].size != it->second[axis])
          fail_input(option, ": input '", input.name, "' dimension ", axis, " is fixed to ", declared[axis].size,
                     " by the model, got ", it->second[axis]);
      target = it->second;
    };
    apply(min_shapes, range.min, "--min-shapes");
    apply(opt_shapes, range.opt, "--opt-shapes");
    apply(max_shapes, range.max, "--max-shapes");
    for (size_t axis = 0; axis < declared.size(); ++axis) {
      // An unset opt sits at max when max is bounded, else at min: the size tactics are timed on.
      if (range.opt[axis] < 0) range.opt[axis] = range.max[axis] < kUnboundedDim ? range.max[axis] : range.min[axis];
      if (!(range.min[axis] <= range.opt[axis] && range.opt[axis] <= range.max[axis]))
        fail_input("profile for input '", input.name, "' dimension ", axis, ": need min <= opt <= max, got ",
                   range.min[axis], " <= ", range.opt[axis], " <= ", range.max[axis]);
    }
    profile.inputs.push_back(range);
  }
  return profile;
}

std::string describe_profile(const engine::OptimizationProfile& profile) {
  std::string text;
  for (const engine::InputRange& range : profile.inputs)
    text += cat("  ", range.name, ": min ", dims_text(range.min), ", opt ", dims_text(range.opt), ", max ",
                dims_text(range.max), "\n");
  if (profile.opt_graphs > 0) text += cat("  graphs per batch: opt ", profile.opt_graphs, "\n");
  if (profile.max_graphs > 0) text += cat("  graphs per batch: at most ", profile.max_graphs, "\n");
  return text.empty() ? "  (no dynamic inputs)\n" : text;
}

}  // namespace gnnrt::builder
