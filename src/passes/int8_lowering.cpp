#include "passes/int8_lowering.h"

#include <cmath>

#include "backends/op_shapes/fused_linear.h"
#include "backends/op_shapes/sparse.h"
#include "core/int8.h"
#include "passes/dataflow.h"

namespace gnnrt::passes {
namespace {

bool is_gnnrt_op(const ir::Node& node, const char* op_type) {
  return node.domain == ir::kGnnrtDomain && node.op_type == op_type;
}

ir::Attribute float_attribute(float value) {
  ir::Attribute attribute;
  attribute.kind = ir::Attribute::Kind::Float;
  attribute.f = value;
  return attribute;
}

bool reads_float32(const ir::Graph& graph, const std::string& value) {
  const auto type = graph.type_of(value);
  return type && type->dtype == DType::Float32;
}

struct QuantizedWeight {
  Tensor weight;  // int8 [K, N]
  Tensor scale;   // float32 [N]
};

// Per output column n of W [K, N]: scale = max_k |W[k, n]| / 127 (1 for an all-zero column).
QuantizedWeight quantize_per_column(const Tensor& weight) {
  const int64_t inner = weight.dim(0), width = weight.dim(1);
  const float* w = weight.data<float>();
  QuantizedWeight result{Tensor(DType::Int8, weight.shape()), Tensor(DType::Float32, {width})};
  float* scale = result.scale.data<float>();
  for (int64_t n = 0; n < width; ++n) {
    float amax = 0;
    for (int64_t k = 0; k < inner; ++k) amax = std::fmax(amax, std::fabs(w[k * width + n]));
    scale[n] = amax > 0 ? amax / 127.0f : 1.0f;
  }
  int8_t* q = result.weight.data<int8_t>();
  for (int64_t k = 0; k < inner; ++k)
    for (int64_t n = 0; n < width; ++n) q[k * width + n] = quantize_int8(w[k * width + n], scale[n]);
  return result;
}

void check_layer_names(const ir::Graph& graph, const std::set<std::string>& float_layers) {
  std::set<std::string> layers;
  for (const ir::Node& node : graph.nodes)
    if (is_gnnrt_op(node, "SpMM") || is_gnnrt_op(node, "Linear")) layers.insert(node.name);
  for (const std::string& name : float_layers)
    if (!layers.count(name)) {
      std::string known;
      for (const std::string& layer : layers) known += (known.empty() ? "" : ", ") + layer;
      fail_input("--layer-precision ", name,
                 ": the optimised graph has no SpMM or Linear node of that name; its layers: ",
                 known.empty() ? "none" : known, " (gnnrt build --dump-ir shows them)");
    }
}

}  // namespace

std::vector<std::string> int8_feature_inputs(const ir::Graph& graph, const std::set<std::string>& float_layers) {
  std::vector<std::string> values;
  std::set<std::string> seen;
  for (const ir::Node& node : graph.nodes) {
    if (!is_gnnrt_op(node, "SpMM") || float_layers.count(node.name)) continue;
    const std::string& x = node.inputs[op_shapes::spmm::kX];
    if (reads_float32(graph, x) && seen.insert(x).second) values.push_back(x);
  }
  return values;
}

Int8Lowering::Int8Lowering(Int8LoweringOptions options) : options_(std::move(options)) {}

PassResult Int8Lowering::run(ir::Graph& graph, PassContext& context) {
  check_layer_names(graph, options_.float_layers);
  std::set<std::string> taken = taken_names(graph);
  // float32 value -> its int8 twin and, per row, the twin's row scales
  std::map<std::string, std::pair<std::string, std::string>> quantized_features;
  std::map<std::string, std::pair<std::string, std::string>> quantized_weights;  // initializer -> (int8, scales)
  size_t features = 0, weights = 0;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (options_.float_layers.count(graph.nodes[i].name)) continue;
    if (is_gnnrt_op(graph.nodes[i], "SpMM")) {
      const std::string x = graph.nodes[i].inputs[op_shapes::spmm::kX];
      if (!reads_float32(graph, x)) continue;
      const auto scale = options_.feature_scales.find(x);
      if (!options_.per_row_features && scale == options_.feature_scales.end())
        fail_input(options_.scales_source, " has no INT8 scale for '", x, "', the feature input of ",
                   graph.nodes[i].describe(), ": it was calibrated for another model or other build options; "
                   "calibrate again with --calib-data");
      auto twin = quantized_features.find(x);
      if (twin == quantized_features.end()) {
        ir::Node quantize;
        quantize.domain = ir::kGnnrtDomain;
        quantize.op_type = "QuantizeInt8";
        quantize.name = fresh_name(x + "/quantize_int8", taken);
        quantize.inputs = {x};
        quantize.outputs = {fresh_name(x + "/int8", taken)};
        if (options_.per_row_features) {
          quantize.outputs.push_back(fresh_name(x + "/int8_row_scale", taken));
          ir::Attribute per_row;
          per_row.kind = ir::Attribute::Kind::Int;
          per_row.i = 1;
          quantize.attributes["per_row"] = per_row;
        } else {
          quantize.attributes["scale"] = float_attribute(scale->second);
        }
        const std::string row_scales = options_.per_row_features ? quantize.outputs[1] : "";
        twin = quantized_features.emplace(x, std::make_pair(quantize.outputs[0], row_scales)).first;
        graph.nodes.insert(graph.nodes.begin() + static_cast<std::ptrdiff_t>(i), std::move(quantize));
        ++i;
        ++features;
      }
      ir::Node& spmm = graph.nodes[i];
      spmm.inputs[op_shapes::spmm::kX] = twin->second.first;
      if (options_.per_row_features) {
        spmm.inputs.resize(op_shapes::spmm::kXRowScale + 1);
        spmm.inputs[op_shapes::spmm::kXRowScale] = twin->second.second;
      } else {
        spmm.attributes["x_scale"] = float_attribute(scale->second);
      }
    } else if (is_gnnrt_op(graph.nodes[i], "Linear")) {
      using namespace op_shapes::fused_linear;
      ir::Node& linear = graph.nodes[i];
      const std::string weight = linear.inputs[kWeight];
      const auto initializer = graph.initializers.find(weight);
      if (initializer == graph.initializers.end() || initializer->second.dtype() != DType::Float32 ||
          initializer->second.rank() != 2 || !reads_float32(graph, linear.inputs[kX]))
        continue;
      auto lowered = quantized_weights.find(weight);
      if (lowered == quantized_weights.end()) {
        QuantizedWeight q = quantize_per_column(initializer->second);
        const std::string q_name = fresh_name(weight + "/int8", taken);
        const std::string scale_name = fresh_name(weight + "/scale", taken);
        graph.initializers[q_name] = std::move(q.weight);
        graph.initializers[scale_name] = std::move(q.scale);
        lowered = quantized_weights.emplace(weight, std::make_pair(q_name, scale_name)).first;
        ++weights;
      }
      linear.inputs.resize(kWeightScale + 1);
      linear.inputs[kWeight] = lowered->second.first;
      linear.inputs[kWeightScale] = lowered->second.second;
    }
  }
  PassResult result;
  result.changes = features + weights;
  result.summary = cat(features, features == 1 ? " SpMM feature input" : " SpMM feature inputs",
                       options_.per_row_features ? " (per-row scales)" : "", " and ", weights,
                       weights == 1 ? " Linear weight" : " Linear weights", " now in int8",
                       options_.float_layers.empty() ? std::string() : cat(" (", options_.float_layers.size(),
                                                                            " layers kept in fp32)"));
  if (result.changes) context.note(name(), result.summary);
  return result;
}

}  // namespace gnnrt::passes
