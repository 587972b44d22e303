#include "passes/linear_fusion.h"

#include "backends/op_shapes/fused_linear.h"
#include "passes/dataflow.h"

namespace gnnrt::passes {
namespace {

using namespace op_shapes;

// [K, N] row-major float32: alpha * B, or alpha * B^T when transposed.
Tensor linear_weight(const Tensor& b, bool transposed, float alpha) {
  const Tensor source = cast_tensor(b, DType::Float32);
  const int64_t rows = transposed ? b.dim(1) : b.dim(0), cols = transposed ? b.dim(0) : b.dim(1);
  Tensor weight(DType::Float32, {rows, cols});
  const float* in = source.data<float>();
  float* out = weight.data<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[r * cols + c] = alpha * (transposed ? in[c * rows + r] : in[r * cols + c]);
  return weight;
}

// A float32 initializer of `width` elements shaped [N] or [1, N], as a [N] tensor scaled by `scale`.
std::optional<Tensor> row_bias(const Tensor* tensor, int64_t width, float scale) {
  if (!tensor || tensor->dtype() != DType::Float32 || tensor->numel() != width) return std::nullopt;
  if (!(tensor->rank() == 1 || (tensor->rank() == 2 && tensor->dim(0) == 1))) return std::nullopt;
  Tensor bias(DType::Float32, {width});
  for (int64_t i = 0; i < width; ++i) bias.data<float>()[i] = scale * tensor->data<float>()[i];
  return bias;
}

// Turns node i into a Linear when it is a MatMul/Gemm with a weight initializer; false otherwise.
bool convert_to_linear(ir::Graph& graph, size_t i, std::set<std::string>& taken) {
  ir::Node& node = graph.nodes[i];
  if (!node.domain.empty() || (node.op_type != "MatMul" && node.op_type != "Gemm") || node.inputs.size() < 2 ||
      node.outputs.size() != 1)
    return false;
  const DataflowIndex index(graph);  // only for candidates: made for every node, the pass was quadratic
  const Tensor* b = index.initializer(node.inputs[1]);
  const auto x = index.dims_of(node.inputs[0]);
  const auto x_type = index.type_of(node.inputs[0]);
  if (!b || b->rank() != 2 || b->dtype() != DType::Float32 || !x || x->size() != 2 || !x_type ||
      x_type->dtype != DType::Float32)
    return false;
  bool transposed = false;
  float alpha = 1.0f, beta = 1.0f;
  std::optional<Tensor> bias;
  if (node.op_type == "Gemm") {
    if (node.attr_int("transA", 0) != 0) return false;
    transposed = node.attr_int("transB", 0) != 0;
    alpha = node.attr_float("alpha", 1.0f);
    beta = node.attr_float("beta", 1.0f);
    if (node.has_input(2)) {
      bias = row_bias(index.initializer(node.inputs[2]), transposed ? b->dim(0) : b->dim(1), beta);
      if (!bias) return false;
    }
  }
  std::string weight_name = node.inputs[1];
  if (transposed || alpha != 1.0f) {
    weight_name = fresh_name(node.name + "/weight", taken);
    graph.initializers[weight_name] = linear_weight(*b, transposed, alpha);
  }
  std::vector<std::string> inputs{node.inputs[0], weight_name};
  if (bias) {
    const std::string bias_name = fresh_name(node.name + "/bias", taken);
    graph.initializers[bias_name] = *bias;
    inputs.push_back(bias_name);
  }
  node.op_type = "Linear";
  node.domain = ir::kGnnrtDomain;
  node.inputs = inputs;
  node.attributes.clear();
  return true;
}

// Fuses the bias Add or the Relu that reads node p's output; a description, or empty when none.
std::string fuse_epilogue(ir::Graph& graph, size_t p, std::set<std::string>& taken) {
  const DataflowIndex index(graph);
  ir::Node& linear = graph.nodes[p];
  const std::string y = linear.outputs[0];
  const auto reader = index.sole_reader(y);
  const auto dims = index.dims_of(y);
  if (!reader || !dims || dims->size() != 2 || !(*dims)[1].is_known()) return "";
  const ir::Node& next = graph.nodes[*reader];
  if (!next.domain.empty() || next.outputs.size() != 1) return "";
  const bool has_bias = linear.has_input(fused_linear::kBias);
  const bool has_activation = linear.attr_string("activation", "none") != "none";
  std::string what;
  if (next.op_type == "Add" && !has_bias && !has_activation) {
    const auto bias = fusable_bias(graph, index, next, y, (*dims)[1].size, taken);
    if (!bias) return "";
    linear.inputs.resize(fused_linear::kBias + 1);
    linear.inputs[fused_linear::kBias] = *bias;
    what = cat("bias '", *bias, "'");
  } else if (next.op_type == "Relu" && !has_activation) {
    linear.attributes["activation"] = string_attribute("relu");
    what = "relu";
  } else {
    return "";
  }
  what = cat("'", next.name, "' (", what, ")");
  linear.outputs[0] = next.outputs[0];
  graph.value_types.erase(y);
  graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(*reader));
  return what;
}

}  // namespace

PassResult LinearFusion::run(ir::Graph& graph, PassContext& context) {
  PassResult result;
  std::set<std::string> taken = taken_names(graph);
  size_t converted = 0, fused = 0;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const std::string original = graph.nodes[i].op_type;
    if (convert_to_linear(graph, i, taken)) {
      ++converted;
      context.note(name(), cat("'", graph.nodes[i].name, "' (", original, ") is now a gnnrt.Linear"));
    }
    if (graph.nodes[i].domain != ir::kGnnrtDomain || graph.nodes[i].op_type != "Linear") continue;
    for (std::string what = fuse_epilogue(graph, i, taken); !what.empty(); what = fuse_epilogue(graph, i, taken)) {
      ++fused;
      context.note(name(), cat(what, " fused into '", graph.nodes[i].name, "'"));
    }
  }
  result.changes = converted + fused;
  result.summary = cat("made ", converted, converted == 1 ? " Linear" : " Linears", ", fused ", fused,
                       fused == 1 ? " epilogue op" : " epilogue ops");
  return result;
}

}  // namespace gnnrt::passes
