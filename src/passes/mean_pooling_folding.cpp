#include "passes/mean_pooling_folding.h"

#include "backends/op_shapes/sparse.h"
#include "passes/dataflow.h"

namespace gnnrt::passes {
namespace {

// The [G] vector v that `divisor` broadcasts along the feature dim: Expand(Reshape(v, [G, 1]), ...)
// or Reshape(v, [G, 1]) itself (Unsqueeze too).
std::optional<std::string> row_vector_of(const DataflowIndex& index, const std::string& divisor) {
  std::string column = divisor;
  if (const ir::Node* expand = index.producer_if(divisor, "Expand"); expand && !expand->inputs.empty())
    column = expand->inputs[0];
  return column_vector_source(index, column);
}

}  // namespace

PassResult MeanPoolingFolding::run(ir::Graph& graph, PassContext& context) {
  using namespace op_shapes;
  PassResult result;
  for (size_t p = 0; p < graph.nodes.size(); ++p) {
    const ir::Node& candidate = graph.nodes[p];
    if (candidate.domain != ir::kGnnrtDomain || candidate.op_type != "SpMM") continue;
    if (candidate.has_input(spmm::kRowScale) || candidate.has_input(spmm::kBias) ||
        candidate.attr_string("activation", "none") != "none" || candidate.attr_int("row_scale_divides", 0) != 0)
      continue;
    const DataflowIndex index(graph);
    const std::string sums = candidate.outputs[0];
    const auto reader = index.sole_reader(sums);
    const auto dims = index.dims_of(sums);
    if (!reader || !dims || dims->size() != 2) continue;
    const ir::Node& div = graph.nodes[*reader];
    if (!div.domain.empty() || div.op_type != "Div" || div.inputs.size() != 2 || div.inputs[0] != sums ||
        div.outputs.size() != 1)
      continue;
    const auto divisor_dims = index.dims_of(div.inputs[1]);
    if (!divisor_dims || divisor_dims->size() != 2 || !same_dim((*divisor_dims)[0], (*dims)[0])) continue;
    const auto counts = row_vector_of(index, div.inputs[1]);
    if (!counts) continue;
    const auto count_type = index.type_of(*counts);
    const auto count_dims = index.dims_of(*counts);
    if (!count_type || count_type->dtype != DType::Float32 || !count_dims || count_dims->size() != 1 ||
        !same_dim((*count_dims)[0], (*dims)[0]))
      continue;
    // The quotient keeps the Div's name, so readers downstream are untouched.
    const std::string div_name = div.name, quotient = div.outputs[0];
    ir::Node& spmm_node = graph.nodes[p];
    spmm_node.inputs.resize(spmm::kRowScale + 1);
    spmm_node.inputs[spmm::kRowScale] = *counts;
    ir::Attribute divides;
    divides.kind = ir::Attribute::Kind::Int;
    divides.i = 1;
    spmm_node.attributes["row_scale_divides"] = divides;
    spmm_node.outputs[0] = quotient;
    graph.value_types.erase(sums);
    graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(*reader));
    ++result.changes;
    context.note(name(), cat("'", div_name, "' (division by '", *counts, "') folded into '", graph.nodes[p].name,
                             "'"));
  }
  result.summary = cat("folded ", result.changes, result.changes == 1 ? " mean" : " means", " into SpMM");
  return result;
}

}  // namespace gnnrt::passes
