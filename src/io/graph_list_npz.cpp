#include "io/graph_list_npz.h"

#include <algorithm>
#include <map>
#include <set>

#include "gnnrt/error.h"

namespace gnnrt::io {
namespace {

struct GraphArrayName {
  std::string base;  // the model's name for it, e.g. edge_index
  size_t graph = 0;
};

bool is_known(const std::vector<std::string>& known_names, const std::string& name) {
  return std::find(known_names.begin(), known_names.end(), name) != known_names.end();
}

// "edge_index_12" -> {edge_index, 12} when edge_index is a known name. Leading zeros are refused
// so that each graph has exactly one spelling (x_1, never x_01 beside it).
std::optional<GraphArrayName> parse_graph_array_name(const std::string& name,
                                                     const std::vector<std::string>& known_names) {
  const size_t underscore = name.rfind('_');
  if (underscore == std::string::npos) return std::nullopt;
  const std::string digits = name.substr(underscore + 1);
  // Nine digits at most: no overflow, and far more graphs than one file holds.
  if (digits.empty() || digits.size() > 9 || (digits.size() > 1 && digits[0] == '0') ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  GraphArrayName parsed{name.substr(0, underscore), std::stoul(digits)};
  if (!is_known(known_names, parsed.base)) return std::nullopt;
  return parsed;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

bool has_array(const NamedTensors& graph, const std::string& name) {
  return std::any_of(graph.begin(), graph.end(), [&](const auto& entry) { return entry.first == name; });
}

}  // namespace

std::string graph_array_name(const std::string& name, size_t graph) { return name + "_" + std::to_string(graph); }

std::optional<std::vector<NamedTensors>> split_graph_arrays(const NamedTensors& arrays,
                                                            const std::vector<std::string>& known_names,
                                                            const std::string& path) {
  std::vector<std::string> plain, unrecognised;
  std::string first_per_graph;
  std::map<size_t, NamedTensors> by_number;
  for (const auto& [name, tensor] : arrays) {
    if (is_known(known_names, name)) {
      plain.push_back(name);
    } else if (auto parsed = parse_graph_array_name(name, known_names)) {
      by_number[parsed->graph].emplace_back(parsed->base, tensor);
      if (first_per_graph.empty()) first_per_graph = name;
    } else {
      unrecognised.push_back(name);
    }
  }
  if (by_number.empty()) return std::nullopt;
  if (!plain.empty())
    fail_input(path, ": holds both '", plain.front(), "' (one graph's array) and '", first_per_graph,
               "' (an array of one of several graphs); name every array per graph (x_0, edge_index_0, x_1, ...) "
               "or none");
  if (!unrecognised.empty())
    fail_input(path, ": array '", unrecognised.front(), "' is not named <input>_<graph> for an input of the model (",
               join_names(known_names), "); graphs are numbered 0, 1, 2, ... without leading zeros");

  std::vector<NamedTensors> graphs;
  for (auto& [number, graph] : by_number) {
    if (number != graphs.size()) {
      std::vector<std::string> expected;  // the arrays of the lowest-numbered graph, renumbered
      for (const auto& entry : graphs.empty() ? graph : graphs.front())
        expected.push_back(graph_array_name(entry.first, graphs.size()));
      fail_input(path, ": no arrays for graph ", graphs.size(), " (expected ", join_names(expected), ") but graph ",
                 number, " has some; graphs are numbered 0, 1, 2, ... without gaps");
    }
    graphs.push_back(std::move(graph));
  }
  // Every graph needs the arrays any other graph has: name the first one missing.
  std::set<std::string> bases;
  for (const NamedTensors& graph : graphs)
    for (const auto& entry : graph) bases.insert(entry.first);
  for (const std::string& base : bases)
    for (size_t g = 0; g < graphs.size(); ++g) {
      if (has_array(graphs[g], base)) continue;
      size_t other = 0;
      while (!has_array(graphs[other], base)) ++other;
      fail_input(path, ": graph ", g, " has no array '", graph_array_name(base, g), "' (graph ", other, " has '",
                 graph_array_name(base, other), "'); every graph needs the same arrays");
    }
  return graphs;
}

}  // namespace gnnrt::io
