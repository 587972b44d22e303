#include "passes/aggregation_reordering.h"

#include "backends/op_shapes/sparse.h"
#include "passes/dataflow.h"
#include "passes/dead_code_elimination.h"

namespace gnnrt::passes {
namespace {

using namespace op_shapes;

struct LinearShape {
  int64_t in = 0, out = 0;
};

// A linear transform of a 2-D H by a 2-D weight initializer: its input and output widths.
std::optional<LinearShape> linear_transform(const DataflowIndex& index, const ir::Node& node) {
  if (!node.has_runnable_domain() || node.inputs.size() < 2 || node.outputs.size() != 1) return std::nullopt;
  const Tensor* weight = index.initializer(node.inputs[1]);
  const auto h = index.dims_of(node.inputs[0]);
  if (!weight || weight->rank() != 2 || !h || h->size() != 2) return std::nullopt;
  if (node.op_type == "MatMul") return LinearShape{weight->dim(0), weight->dim(1)};
  if (node.op_type == "Linear" && node.domain == ir::kGnnrtDomain) {  // bias/activation do not commute
    if (node.input_count() != 2 || node.attr_string("activation", "none") != "none") return std::nullopt;
    return LinearShape{weight->dim(0), weight->dim(1)};
  }
  if (node.op_type == "Gemm") {
    if (node.input_count() != 2 || node.attr_int("transA", 0) != 0) return std::nullopt;
    const bool transposed = node.attr_int("transB", 0) != 0;
    return LinearShape{transposed ? weight->dim(1) : weight->dim(0), transposed ? weight->dim(0) : weight->dim(1)};
  }
  return std::nullopt;
}

bool is_plain_spmm(const ir::Node& node) {
  return node.domain == ir::kGnnrtDomain && node.op_type == "SpMM" && !node.has_input(spmm::kBias) &&
         node.attr_string("activation", "none") == "none";
}

}  // namespace

PassResult AggregationReordering::run(ir::Graph& graph, PassContext& context) {
  PassResult result;
  // Lifting leaves the old gathers dead but still reading the product this pass renames; when there
  // is something to reorder they go first, so that no node is left reading a value that no longer
  // exists. (Removing dead nodes changes no value, so it is not counted as a change.)
  bool candidate = false;
  {
    const DataflowIndex index(graph);
    for (const ir::Node& node : graph.nodes) {
      if (!is_plain_spmm(node)) continue;
      const ir::Node* producer = index.producer(node.inputs[spmm::kX]);
      const auto shape = producer ? linear_transform(index, *producer) : std::nullopt;
      candidate = candidate || (shape && shape->in < shape->out);
    }
  }
  if (!candidate) return result;
  PassContext quiet;
  DeadCodeElimination().run(graph, quiet);
  std::set<std::string> taken = taken_names(graph);
  for (size_t p = 0; p < graph.nodes.size(); ++p) {
    if (!is_plain_spmm(graph.nodes[p])) continue;
    const DataflowIndex index(graph);
    const std::string product = graph.nodes[p].inputs[spmm::kX];
    const auto linear_at = index.producer_index(product);
    if (!linear_at || index.sole_reader(product) != p) continue;
    const auto shape = linear_transform(index, graph.nodes[*linear_at]);
    if (!shape || shape->in >= shape->out) continue;

    // SpMM now aggregates H into a new value; the linear node moves after it and produces the
    // SpMM's old output.
    ir::Node& spmm_node = graph.nodes[p];
    ir::Node linear = graph.nodes[*linear_at];
    const std::string aggregated = fresh_name(spmm_node.name + "/aggregated", taken);
    const std::string output = spmm_node.outputs[0];
    spmm_node.inputs[spmm::kX] = linear.inputs[0];
    spmm_node.outputs[0] = aggregated;
    linear.inputs[0] = aggregated;
    linear.outputs[0] = output;
    graph.value_types.erase(product);
    graph.value_types.erase(output);
    const std::string spmm_name = spmm_node.name, linear_name = linear.name;
    graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(*linear_at));
    // The SpMM is now at p - 1; the linear node goes right after it.
    graph.nodes.insert(graph.nodes.begin() + static_cast<std::ptrdiff_t>(p), std::move(linear));
    ++result.changes;
    context.note(name(), cat("'", spmm_name, "' now aggregates at width ", shape->in, " before '", linear_name,
                             "' widens to ", shape->out));
  }
  result.summary = cat("reordered ", result.changes, result.changes == 1 ? " aggregation" : " aggregations");
  return result;
}

}  // namespace gnnrt::passes
