#include "passes/spmm_epilogue_fusion.h"

#include "backends/op_shapes/sparse.h"
#include "passes/dataflow.h"

namespace gnnrt::passes {
namespace {

using namespace op_shapes;

}  // namespace

PassResult SpmmEpilogueFusion::run(ir::Graph& graph, PassContext& context) {
  PassResult result;
  std::set<std::string> taken = taken_names(graph);
  for (size_t p = 0; p < graph.nodes.size(); ++p) {
    if (graph.nodes[p].domain != ir::kGnnrtDomain || graph.nodes[p].op_type != "SpMM") continue;
    for (bool fused = true; fused;) {
      fused = false;
      const DataflowIndex index(graph);
      ir::Node& spmm_node = graph.nodes[p];
      const std::string y = spmm_node.outputs[0];
      const auto reader = index.sole_reader(y);
      const auto dims = index.dims_of(y);
      if (!reader || !dims || dims->size() != 2 || !(*dims)[1].is_known()) break;
      const ir::Node& next = graph.nodes[*reader];
      if (!next.domain.empty() || next.outputs.size() != 1) break;
      const bool has_bias = spmm_node.has_input(spmm::kBias);
      const bool has_activation = spmm_node.attr_string("activation", "none") != "none";
      std::string what;
      if (next.op_type == "Add" && !has_bias && !has_activation) {
        const auto bias = fusable_bias(graph, index, next, y, (*dims)[1].size, taken);
        if (!bias) break;
        spmm_node.inputs.resize(spmm::kBias + 1);
        spmm_node.inputs[spmm::kBias] = *bias;
        what = cat("bias '", *bias, "'");
      } else if (next.op_type == "Relu" && !has_activation) {
        spmm_node.attributes["activation"] = string_attribute("relu");
        what = "relu";
      } else {
        break;
      }
      const std::string next_name = next.name;
      spmm_node.outputs[0] = next.outputs[0];
      graph.value_types.erase(y);
      graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(*reader));
      ++result.changes;
      fused = true;
      context.note(name(), cat("'", next_name, "' (", what, ") fused into '", graph.nodes[p].name, "'"));
    }
  }
  result.summary = cat("fused ", result.changes, result.changes == 1 ? " epilogue op" : " epilogue ops");
  return result;
}

}  // namespace gnnrt::passes
