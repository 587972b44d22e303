#include "passes/sparse_rewrites.h"

#include "backends/op_shapes/sparse.h"
#include "passes/dataflow.h"

namespace gnnrt::passes {

CsrValues find_or_insert_csr(ir::Graph& graph, size_t& position, const CooEdges& edges, const std::string& base,
                             std::set<std::string>& taken) {
  using namespace op_shapes::csr_from_coo;
  std::vector<std::string> inputs{edges.src, edges.dst, edges.dense_shape};
  if (!edges.weight.empty()) inputs.push_back(edges.weight);
  for (size_t i = 0; i < position; ++i) {
    const ir::Node& node = graph.nodes[i];
    if (node.domain == ir::kGnnrtDomain && node.op_type == "CsrFromCoo" && node.inputs == inputs)
      return {node.outputs[kRowPtr], node.outputs[kCol], edges.weight.empty() ? "" : node.outputs[kSortedValues]};
  }
  ir::Node csr;
  csr.name = fresh_name(base + "/csr", taken);
  csr.op_type = "CsrFromCoo";
  csr.domain = ir::kGnnrtDomain;
  csr.inputs = inputs;
  CsrValues values{fresh_name(base + "/csr_row_ptr", taken), fresh_name(base + "/csr_col", taken), ""};
  csr.outputs = {values.row_ptr, values.col};
  if (!edges.weight.empty()) {
    values.values = fresh_name(base + "/csr_values", taken);
    csr.outputs.push_back(values.values);
  }
  graph.nodes.insert(graph.nodes.begin() + static_cast<std::ptrdiff_t>(position), std::move(csr));
  ++position;
  return values;
}

}  // namespace gnnrt::passes
