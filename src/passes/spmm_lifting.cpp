#include "passes/spmm_lifting.h"

#include <optional>

#include "backends/op_shapes/sparse.h"
#include "passes/dataflow.h"
#include "passes/sparse_rewrites.h"

namespace gnnrt::passes {
namespace {

struct Aggregation {
  std::string features;     // X [M, F]
  std::string src, dst;     // int64 [E]; src empty: row e of X itself (a segment sum, M = E)
  std::string dense_shape;  // the zeros' shape, [N, F]
  std::string weight;       // float32 [E], empty when messages are not scaled
};

bool has_dtype(const DataflowIndex& index, const std::string& value, DType dtype) {
  const auto type = index.type_of(value);
  return type && type->dtype == dtype;
}

// A ConstantOfShape whose fill is 0 (or absent, which is a float32 zero).
const ir::Node* zeros_producer(const DataflowIndex& index, const std::string& value) {
  const ir::Node* node = index.producer_if(value, "ConstantOfShape");
  if (!node || node->inputs.empty()) return nullptr;
  if (node->has_attribute("value")) {
    const ir::Attribute& fill = node->attributes.at("value");
    if (fill.kind != ir::Attribute::Kind::Tensor || fill.t.numel() != 1 || fill.t.scalar_as_double(0) != 0.0)
      return nullptr;
  }
  return node;
}

// Gather(X, src) along rows of a 2-D X, giving [E, F]; fills features and src.
bool match_row_gather(const DataflowIndex& index, const std::string& value, const std::vector<ir::Dim>& messages,
                      Aggregation& match) {
  const ir::Node* gather = index.producer_if(value, "Gather");
  if (!gather || gather->inputs.size() != 2) return false;
  const auto x = index.dims_of(gather->inputs[0]);
  const auto src = index.dims_of(gather->inputs[1]);
  if (!x || x->size() != 2 || !src || src->size() != 1) return false;
  const int64_t axis = gather->attr_int("axis", 0);
  if (axis != 0 && axis != -2) return false;
  if (!same_dim((*src)[0], messages[0]) || !same_dim((*x)[1], messages[1])) return false;
  if (!has_dtype(index, gather->inputs[0], DType::Float32) || !has_dtype(index, gather->inputs[1], DType::Int64))
    return false;
  match.features = gather->inputs[0];
  match.src = gather->inputs[1];
  return true;
}

std::optional<Aggregation> match_aggregation(const DataflowIndex& index, const ir::Node& scatter) {
  if (!scatter.domain.empty() || scatter.op_type != "ScatterElements" || scatter.inputs.size() != 3 ||
      scatter.attr_string("reduction", "none") != "add")
    return std::nullopt;
  const auto data = index.dims_of(scatter.inputs[0]);
  const auto updates = index.dims_of(scatter.inputs[2]);
  const auto indices = index.dims_of(scatter.inputs[1]);
  if (!data || data->size() != 2 || !updates || updates->size() != 2 || !indices || indices->size() != 2) return std::nullopt;
  const int64_t axis = scatter.attr_int("axis", 0);
  if (axis != 0 && axis != -2) return std::nullopt;
  // Messages fill whole rows of the output: [E, F] into [N, F], indices [E, F].
  if (!same_dim((*data)[1], (*updates)[1]) || !same_dim((*indices)[0], (*updates)[0]) ||
      !same_dim((*indices)[1], (*updates)[1]))
    return std::nullopt;
  if (!has_dtype(index, scatter.inputs[0], DType::Float32)) return std::nullopt;

  Aggregation match;
  const ir::Node* zeros = zeros_producer(index, scatter.inputs[0]);
  if (!zeros) return std::nullopt;
  match.dense_shape = zeros->inputs[0];
  // CsrFromCoo reads only the row count, dense_shape[0]: when the shape is Concat([N], [F]), take
  // [N] itself, so that layers of different widths over the same edges share one CSR matrix.
  if (const ir::Node* concat = index.producer_if(match.dense_shape, "Concat"); concat && !concat->inputs.empty()) {
    const auto first = index.dims_of(concat->inputs[0]);
    if (first && first->size() == 1 && (*first)[0].is_known() && (*first)[0].size == 1 &&
        has_dtype(index, concat->inputs[0], DType::Int64))
      match.dense_shape = concat->inputs[0];
  }

  // indices[e, f] = dst[e] for every f: dst broadcast along the feature dim.
  const ir::Node* expand = index.producer_if(scatter.inputs[1], "Expand");
  if (!expand || expand->inputs.size() != 2) return std::nullopt;
  const auto dst = column_vector_source(index, expand->inputs[0]);
  if (!dst || !has_dtype(index, *dst, DType::Int64)) return std::nullopt;
  const auto dst_dims = index.dims_of(*dst);
  if (!dst_dims || !same_dim((*dst_dims)[0], (*updates)[0])) return std::nullopt;
  match.dst = *dst;

  // updates = X[src] or X[src] * w[:, None] (either operand order).
  if (match_row_gather(index, scatter.inputs[2], *updates, match)) return match;
  const ir::Node* mul = index.producer_if(scatter.inputs[2], "Mul");
  for (size_t side = 0; mul && mul->inputs.size() == 2 && side < 2; ++side) {
    const std::string& gathered = mul->inputs[side];
    const std::string& scale = mul->inputs[1 - side];
    const auto gathered_dims = index.dims_of(gathered);
    if (!gathered_dims || *gathered_dims != *updates) continue;
    Aggregation candidate = match;
    if (!match_row_gather(index, gathered, *updates, candidate)) continue;
    const auto weight = column_vector_source(index, scale);
    if (!weight || !has_dtype(index, *weight, DType::Float32)) continue;
    const auto weight_dims = index.dims_of(*weight);
    if (!weight_dims || !same_dim((*weight_dims)[0], (*updates)[0])) continue;
    candidate.weight = *weight;
    return candidate;
  }
  // Otherwise, when dst is a graph input (`batch`), the updates are whole rows of a float32 [E, F]
  // value H, each added into row dst[e]: a segment sum (global_add_pool, and the sums of
  // global_mean_pool), which is SpMM over the CSR matrix with one entry (dst[e], e) per row of H.
  // Messages scattered by an edge list are left alone here: they are lifted above or not at all.
  if (!index.is_graph_input(match.dst) || !has_dtype(index, scatter.inputs[2], DType::Float32)) return std::nullopt;
  match.features = scatter.inputs[2];
  return match;
}

// int64 [E] holding 0 .. E-1, E the length of `dst` (a structure value, so the positions are
// too), made before node `position` (which moves past the new nodes).
std::string insert_positions(ir::Graph& graph, size_t& position, const std::string& dst, const std::string& base,
                             std::set<std::string>& taken) {
  auto scalar = [&](const std::string& what, int64_t value) {
    const std::string name = fresh_name(base + "/" + what, taken);
    Tensor tensor(DType::Int64, {});
    tensor.data<int64_t>()[0] = value;
    graph.initializers[name] = tensor;
    return name;
  };
  auto add = [&](const std::string& op, std::vector<std::string> inputs, const std::string& what,
                 std::map<std::string, ir::Attribute> attributes = {}) {
    ir::Node node;
    node.name = fresh_name(base + "/" + what, taken);
    node.op_type = op;
    node.inputs = std::move(inputs);
    node.outputs = {fresh_name(base + "/" + what, taken)};
    node.attributes = std::move(attributes);
    const std::string output = node.outputs[0];
    graph.nodes.insert(graph.nodes.begin() + static_cast<std::ptrdiff_t>(position++), std::move(node));
    return output;
  };
  ir::Attribute end;
  end.kind = ir::Attribute::Kind::Int;
  end.i = 1;
  const std::string length = add("Shape", {dst}, "rows", {{"end", end}});
  const std::string count = add("Squeeze", {length}, "row_count");
  return add("Range", {scalar("zero", 0), count, scalar("one", 1)}, "positions");
}

}  // namespace

PassResult SpmmLifting::run(ir::Graph& graph, PassContext& context) {
  PassResult result;
  std::set<std::string> taken = taken_names(graph);
  // The index is made again only after the graph changed: once per node made the pass quadratic
  // in the node count (seconds for a few hundred nodes in a sanitizer build).
  std::optional<DataflowIndex> index;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!index) index.emplace(graph);
    const std::optional<Aggregation> match = match_aggregation(*index, graph.nodes[i]);
    if (!match) continue;
    index.reset();
    const std::string scatter_name = graph.nodes[i].name;
    const bool segment_sum = match->src.empty();
    const std::string src = segment_sum ? insert_positions(graph, i, match->dst, scatter_name, taken) : match->src;
    const CsrValues csr = find_or_insert_csr(graph, i, {src, match->dst, match->dense_shape, match->weight},
                                             scatter_name, taken);
    ir::Node& scatter = graph.nodes[i];
    scatter.op_type = "SpMM";
    scatter.domain = ir::kGnnrtDomain;
    scatter.attributes.clear();
    scatter.inputs = {match->features, csr.row_ptr, csr.col};
    if (!csr.values.empty()) scatter.inputs.push_back(csr.values);
    ++result.changes;
    context.note(name(), cat("'", scatter_name, "': ",
                             segment_sum ? "segment sum (scatter-add of whole rows)"
                                         : cat("gather -> ", match->weight.empty() ? "" : "scale -> ", "scatter-add"),
                             " of '", match->features, "' lifted to SpMM over CSR '", csr.row_ptr, "'"));
  }
  result.summary = cat("lifted ", result.changes, result.changes == 1 ? " aggregation" : " aggregations", " to SpMM");
  return result;
}

}  // namespace gnnrt::passes
