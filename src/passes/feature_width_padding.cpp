#include "passes/feature_width_padding.h"

#include "backends/op_shapes/fused_linear.h"
#include "passes/dataflow.h"

namespace gnnrt::passes {
namespace {

using namespace op_shapes;

// `tensor` (float32, last dim `width`) with zero entries appended along the last dim up to `padded`.
Tensor pad_last_dim(const Tensor& tensor, int64_t padded) {
  Dims shape = tensor.shape();
  const int64_t width = shape.back();
  const int64_t rows = width ? tensor.numel() / width : 0;
  shape.back() = padded;
  Tensor result(DType::Float32, shape);
  float* out = result.data<float>();
  const float* in = tensor.data<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < padded; ++c) out[r * padded + c] = c < width ? in[r * width + c] : 0.0f;
  return result;
}

Tensor int64_vector(std::initializer_list<int64_t> values) {
  Tensor tensor(DType::Int64, {static_cast<int64_t>(values.size())});
  int64_t* out = tensor.data<int64_t>();
  for (int64_t v : values) *out++ = v;
  return tensor;
}

bool is_gnnrt(const ir::Node& node, const char* op) { return node.domain == ir::kGnnrtDomain && node.op_type == op; }

}  // namespace

PassResult FeatureWidthPadding::run(ir::Graph& graph, PassContext& context) {
  PassResult result;
  std::set<std::string> taken = taken_names(graph);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!is_gnnrt(graph.nodes[i], "Linear")) continue;
    const DataflowIndex index(graph);
    ir::Node& linear = graph.nodes[i];
    const Tensor* weight = index.initializer(linear.inputs[fused_linear::kWeight]);
    if (!weight || weight->dtype() != DType::Float32 || weight->rank() != 2) continue;
    const int64_t width = weight->dim(1);
    const int64_t padded = (width + multiple_ - 1) / multiple_ * multiple_;
    if (width == 0 || padded == width) continue;
    const Tensor* bias = linear.has_input(fused_linear::kBias) ? index.initializer(linear.inputs[fused_linear::kBias])
                                                               : nullptr;
    if (linear.has_input(fused_linear::kBias) && (!bias || bias->dtype() != DType::Float32)) continue;
    // Every reader must be an SpMM taking it as X, with a float32 initializer bias if any.
    const std::string y = linear.outputs[0];
    if (is_graph_output(graph, y)) continue;
    std::vector<size_t> readers;
    bool only_spmms = true;
    for (size_t r = i + 1; r < graph.nodes.size(); ++r) {
      const ir::Node& node = graph.nodes[r];
      std::set<std::string> reads;
      collect_reads(node, reads);
      if (!reads.count(y)) continue;
      const bool as_x = is_gnnrt(node, "SpMM") && node.inputs[spmm::kX] == y &&
                        std::count(node.inputs.begin(), node.inputs.end(), y) == 1;
      const bool bias_ok = !node.has_input(spmm::kBias) || index.initializer(node.inputs[spmm::kBias]);
      only_spmms = only_spmms && as_x && bias_ok;
      readers.push_back(r);
    }
    if (!only_spmms || readers.empty()) continue;

    // The Linear writes the padded width under a new name.
    const std::string padded_weight = fresh_name(linear.inputs[fused_linear::kWeight] + "/padded", taken);
    graph.initializers[padded_weight] = pad_last_dim(*weight, padded);
    linear.inputs[fused_linear::kWeight] = padded_weight;
    if (bias) {
      const std::string padded_bias = fresh_name(linear.inputs[fused_linear::kBias] + "/padded", taken);
      graph.initializers[padded_bias] = pad_last_dim(*bias, padded);
      linear.inputs[fused_linear::kBias] = padded_bias;
    }
    const std::string wide_y = fresh_name(y + "/padded", taken);
    linear.outputs[0] = wide_y;
    graph.value_types.erase(y);
    const std::string linear_name = linear.name;
    const std::string starts = fresh_name(linear_name + "/slice_starts", taken);
    const std::string ends = fresh_name(linear_name + "/slice_ends", taken);
    const std::string axes = fresh_name(linear_name + "/slice_axes", taken);
    graph.initializers[starts] = int64_vector({0});
    graph.initializers[ends] = int64_vector({width});
    graph.initializers[axes] = int64_vector({1});

    // Each SpMM aggregates the padded rows; a Slice after it gives the old value back.
    size_t inserted = 0;
    for (size_t r : readers) {
      ir::Node& spmm_node = graph.nodes[r + inserted];
      spmm_node.inputs[spmm::kX] = wide_y;
      if (spmm_node.has_input(spmm::kBias)) {
        const Tensor* spmm_bias = graph.initializers.count(spmm_node.inputs[spmm::kBias])
                                      ? &graph.initializers.at(spmm_node.inputs[spmm::kBias])
                                      : nullptr;
        GNNRT_CHECK(spmm_bias != nullptr, "feature_width_padding: SpMM bias is no initializer");
        const std::string padded_bias = fresh_name(spmm_node.inputs[spmm::kBias] + "/padded", taken);
        graph.initializers[padded_bias] = pad_last_dim(*spmm_bias, padded);
        spmm_node.inputs[spmm::kBias] = padded_bias;
      }
      const std::string out = spmm_node.outputs[0];
      const std::string wide_out = fresh_name(out + "/padded", taken);
      spmm_node.outputs[0] = wide_out;
      graph.value_types.erase(out);
      ir::Node slice;
      slice.name = fresh_name(spmm_node.name + "/unpad", taken);
      slice.op_type = "Slice";
      slice.inputs = {wide_out, starts, ends, axes};
      slice.outputs = {out};
      graph.nodes.insert(graph.nodes.begin() + static_cast<std::ptrdiff_t>(r + inserted + 1), std::move(slice));
      ++inserted;
    }
    ++result.changes;
    context.note(name(), cat("'", linear_name, "' and its ", readers.size(), readers.size() == 1 ? " SpMM" : " SpMMs",
                             " now work at width ", padded, " instead of ", width));
  }
  result.summary = cat("padded ", result.changes, result.changes == 1 ? " layer" : " layers");
  return result;
}

}  // namespace gnnrt::passes
