#include "commands/run_graph_batch.h"

#include <algorithm>

#include "io/graph_list_npz.h"
#include "runtime/graph_input_checks.h"

namespace gnnrt::cli {
namespace {

constexpr size_t kGraphsListedInFull = 12;  // more graphs: the first kGraphsListedFirst, then a count
constexpr size_t kGraphsListedFirst = 5;

}  // namespace

bool runs_as_batch(const ir::Graph& model, const RunInputs& inputs) {
  if (inputs.per_graph_names) return true;
  const std::string batch = runtime::find_graph_input_roles(model).batch;
  return !batch.empty() && !inputs.graphs.front().count(batch);
}

std::vector<io::NamedTensors> graph_outputs(const ir::Graph& model, const runtime::MergedBatch& merged,
                                            const runtime::TensorMap& outputs, bool per_graph_names) {
  const std::vector<runtime::TensorMap> split = runtime::split_outputs(model, merged, outputs);
  GNNRT_CHECK(per_graph_names || split.size() == 1, "model names for the outputs of ", split.size(), " graphs");
  std::vector<io::NamedTensors> named(split.size());
  for (size_t g = 0; g < split.size(); ++g)
    for (const ir::ValueInfo& output : model.outputs)
      named[g].emplace_back(per_graph_names ? io::graph_array_name(output.name, g) : output.name,
                            split[g].at(output.name));
  return named;
}

void print_batch_summary(std::ostream& out, const ir::Graph& model, const RunInputs& inputs,
                         const runtime::MergedBatch& merged, const std::vector<io::NamedTensors>& outputs,
                         const std::string& device, double milliseconds) {
  const std::string edge_index = runtime::find_graph_input_roles(model).edge_index;
  const size_t count = outputs.size();
  const size_t listed = count <= kGraphsListedInFull ? count : kGraphsListedFirst;
  for (size_t g = 0; g < listed; ++g) {
    out << "graph " << g << " (" << inputs.sources[g] << "): " << merged.node_counts[g] << " nodes, "
        << inputs.graphs[g].at(edge_index).dim(1) << " edges;";
    for (const auto& [name, tensor] : outputs[g]) out << " " << name << " " << tensor.describe();
    out << "\n";
  }
  if (listed < count) {
    const auto [fewest, most] = std::minmax_element(merged.node_counts.begin() + static_cast<std::ptrdiff_t>(listed),
                                                    merged.node_counts.end());
    out << "graphs " << listed << " to " << count - 1 << ": " << *fewest << " to " << *most
        << " nodes each, not listed (--output writes every graph's outputs)\n";
  }
  int64_t nodes = 0;
  for (int64_t count : merged.node_counts) nodes += count;
  out << "ran " << count << " graphs as one batch (" << nodes << " nodes, " << merged.inputs.at(edge_index).dim(1)
      << " edges) on " << device << " in " << milliseconds << " ms\n";
}

}  // namespace gnnrt::cli
