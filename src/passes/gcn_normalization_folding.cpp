#include "passes/gcn_normalization_folding.h"

#include "backends/op_shapes/sparse.h"
#include "passes/dataflow.h"
#include "passes/sparse_rewrites.h"

namespace gnnrt::passes {
namespace {

using namespace op_shapes;

struct EdgeFactors {
  std::vector<std::string> column_scales;  // [M] vectors gathered by src
  std::vector<std::string> row_scales;     // [N] vectors gathered by dst
  std::vector<std::string> other;          // [E] factors kept as edge values
};

bool is_float_vector(const DataflowIndex& index, const std::string& value) {
  const auto type = index.type_of(value);
  return type && type->dtype == DType::Float32 && type->shape && type->shape->size() == 1;
}

// The 1-D vector `value` gathers from and the index it gathers with, for Gather(a, i) and
// GatherND(a, i[:, None]) over a 1-D a.
std::optional<std::pair<std::string, std::string>> vector_gather(const DataflowIndex& index, const std::string& value) {
  const ir::Node* node = index.producer(value);
  if (!node || !node->domain.empty() || node->inputs.size() != 2 || !is_float_vector(index, node->inputs[0]))
    return std::nullopt;
  if (node->op_type == "Gather" && node->attr_int("axis", 0) == 0 && index.dims_of(node->inputs[1]) &&
      index.dims_of(node->inputs[1])->size() == 1)
    return std::make_pair(node->inputs[0], node->inputs[1]);
  if (node->op_type == "GatherND" && node->attr_int("batch_dims", 0) == 0)
    if (auto positions = column_vector_source(index, node->inputs[1])) return std::make_pair(node->inputs[0], *positions);
  return std::nullopt;
}

// A float 1 of any shape: ConstantOfShape(value=1) or Expand(1).
bool is_ones(const DataflowIndex& index, const std::string& value) {
  const ir::Node* node = index.producer(value);
  if (!node || !node->domain.empty()) return false;
  if (node->op_type == "ConstantOfShape" && node->has_attribute("value")) {
    const ir::Attribute& fill = node->attributes.at("value");
    return fill.kind == ir::Attribute::Kind::Tensor && fill.t.numel() == 1 && fill.t.scalar_as_double(0) == 1.0;
  }
  if (node->op_type == "Expand" && !node->inputs.empty()) return scalar_initializer(index, node->inputs[0]) == 1.0;
  return false;
}

// Splits w (float32 [E]) into its factors through a tree of Mul nodes over [E] arrays.
void collect_factors(const DataflowIndex& index, const std::string& value, const ir::Dim& edges, const CooEdges& coo,
                     EdgeFactors& factors, int depth) {
  if (is_ones(index, value)) return;
  if (const auto gather = vector_gather(index, value)) {
    if (gather->second == coo.src) return factors.column_scales.push_back(gather->first);
    if (gather->second == coo.dst) return factors.row_scales.push_back(gather->first);
  }
  const ir::Node* mul = index.producer_if(value, "Mul");
  if (mul && mul->inputs.size() == 2 && depth < 8) {
    const auto a = index.dims_of(mul->inputs[0]);
    const auto b = index.dims_of(mul->inputs[1]);
    if (a && b && a->size() == 1 && b->size() == 1 && same_dim((*a)[0], edges) && same_dim((*b)[0], edges) &&
        is_float_vector(index, mul->inputs[0]) && is_float_vector(index, mul->inputs[1])) {
      collect_factors(index, mul->inputs[0], edges, coo, factors, depth + 1);
      collect_factors(index, mul->inputs[1], edges, coo, factors, depth + 1);
      return;
    }
  }
  factors.other.push_back(value);
}

bool has_length(const DataflowIndex& index, const std::string& vector, const ir::Dim& length) {
  const auto dims = index.dims_of(vector);
  return dims && dims->size() == 1 && same_dim((*dims)[0], length);
}

}  // namespace

PassResult GcnNormalizationFolding::run(ir::Graph& graph, PassContext& context) {
  PassResult result;
  std::set<std::string> taken = taken_names(graph);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    {
      const ir::Node& node = graph.nodes[i];
      if (node.domain != ir::kGnnrtDomain || node.op_type != "SpMM" || node.inputs.size() != spmm::kValues + 1 ||
          node.inputs[spmm::kValues].empty())
        continue;
    }
    const DataflowIndex index(graph);
    const ir::Node& spmm_node = graph.nodes[i];
    const ir::Node* csr = index.producer(spmm_node.inputs[spmm::kValues]);
    if (!csr || csr->op_type != "CsrFromCoo" || csr->inputs.size() != csr_from_coo::kValues + 1) continue;
    const CooEdges coo{csr->inputs[csr_from_coo::kSrc], csr->inputs[csr_from_coo::kDst],
                       csr->inputs[csr_from_coo::kDenseShape], csr->inputs[csr_from_coo::kValues]};
    const auto edge_dims = index.dims_of(coo.src);
    const auto x_dims = index.dims_of(spmm_node.inputs[spmm::kX]);
    const auto out_dims = index.dims_of(spmm_node.outputs[0]);
    if (!edge_dims || edge_dims->size() != 1 || !x_dims || x_dims->size() != 2 || !out_dims || out_dims->size() != 2)
      continue;
    EdgeFactors factors;
    collect_factors(index, coo.weight, (*edge_dims)[0], coo, factors, 0);
    if (factors.column_scales.empty() && factors.row_scales.empty()) continue;
    if (factors.column_scales.size() > 1 || factors.row_scales.size() > 1 || factors.other.size() > 1) continue;
    if (!factors.column_scales.empty() && !has_length(index, factors.column_scales[0], (*x_dims)[0])) continue;
    if (!factors.row_scales.empty() && !has_length(index, factors.row_scales[0], (*out_dims)[0])) continue;

    const std::string spmm_name = spmm_node.name;
    const CsrValues folded = find_or_insert_csr(
        graph, i, {coo.src, coo.dst, coo.dense_shape, factors.other.empty() ? "" : factors.other[0]}, spmm_name, taken);
    ir::Node& target = graph.nodes[i];
    std::vector<std::string> inputs(spmm::kColScale + 1);
    inputs[spmm::kX] = target.inputs[spmm::kX];
    inputs[spmm::kRowPtr] = folded.row_ptr;
    inputs[spmm::kCol] = folded.col;
    inputs[spmm::kValues] = folded.values;
    inputs[spmm::kRowScale] = factors.row_scales.empty() ? "" : factors.row_scales[0];
    inputs[spmm::kColScale] = factors.column_scales.empty() ? "" : factors.column_scales[0];
    while (!inputs.empty() && inputs.back().empty()) inputs.pop_back();
    target.inputs = inputs;
    ++result.changes;
    context.note(name(), cat("'", spmm_name, "': edge weights folded into ", factors.row_scales.size(), " row scale and ",
                             factors.column_scales.size(), " column scale",
                             factors.other.empty() ? "; no per-edge values left" : "; edge values kept"));
  }
  result.summary = cat("folded normalisation into ", result.changes, result.changes == 1 ? " SpMM" : " SpMMs");
  return result;
}

}  // namespace gnnrt::passes
