#include "passes/precision_lowering.h"

#include <vector>

#include "backends/op_shapes/fused_linear.h"
#include "passes/dataflow.h"

namespace gnnrt::passes {
namespace {

bool is_gnnrt_op(const ir::Node& node, const char* op_type) {
  return node.domain == ir::kGnnrtDomain && node.op_type == op_type;
}

ir::Node cast_node(const std::string& name, const std::string& input, const std::string& output, DType to) {
  ir::Node cast;
  cast.name = name;
  cast.op_type = "Cast";
  cast.inputs = {input};
  cast.outputs = {output};
  ir::Attribute target;
  target.kind = ir::Attribute::Kind::Int;
  target.i = dtype_to_onnx(to);
  cast.attributes["to"] = target;
  return cast;
}

}  // namespace

PrecisionLowering::PrecisionLowering(DType storage, std::set<std::string> layers)
    : storage_(storage), layers_(std::move(layers)) {
  GNNRT_CHECK(storage == DType::Float16 || storage == DType::BFloat16, "precision lowering to ", dtype_name(storage));
}

PassResult PrecisionLowering::run(ir::Graph& graph, PassContext& context) {
  std::set<std::string> taken = taken_names(graph);
  std::set<std::string> graph_inputs;
  for (const ir::ValueInfo& input : graph.inputs) graph_inputs.insert(input.name);
  const std::string suffix = storage_ == DType::Float16 ? "/fp16" : "/bf16";

  std::map<std::string, std::string> lowered;       // float32 value -> its 16-bit twin made by the region
  std::vector<std::string> lowered_order;           // lowered's keys, in graph order
  std::map<std::string, std::string> entry_casts;   // float32 value -> its cast into the region
  std::map<std::string, std::string> low_weights;   // initializer -> its 16-bit copy
  size_t region = 0, casts = 0;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const DataflowIndex index(graph);
    ir::Node& node = graph.nodes[i];
    const bool spmm = is_gnnrt_op(node, "SpMM"), linear = is_gnnrt_op(node, "Linear");
    if (!spmm && !linear) continue;
    if (!layers_.empty() && !layers_.count(node.name)) continue;
    const std::string x = node.inputs[0];
    const auto x_type = index.type_of(x);
    // A value the region made earlier in this run has lost its type until shapes are re-inferred.
    if (!lowered.count(x) && (!x_type || x_type->dtype != DType::Float32)) continue;
    if (linear && graph_inputs.count(x) && layers_.empty()) continue;

    if (auto it = lowered.find(x); it != lowered.end()) {
      node.inputs[0] = it->second;
    } else if (auto cast = entry_casts.find(x); cast != entry_casts.end()) {
      node.inputs[0] = cast->second;
    } else {
      const std::string low = fresh_name(x + suffix, taken);
      entry_casts[x] = low;
      graph.nodes.insert(graph.nodes.begin() + static_cast<std::ptrdiff_t>(i),
                         cast_node(fresh_name(low + "/cast", taken), x, low, storage_));
      ++i;
      ++casts;
      graph.nodes[i].inputs[0] = low;
    }
    ir::Node& lowered_node = graph.nodes[i];
    if (linear)
      for (size_t w = op_shapes::fused_linear::kWeight; w < lowered_node.inputs.size(); ++w) {
        const std::string& weight = lowered_node.inputs[w];
        if (weight.empty() || !graph.initializers.count(weight)) continue;
        if (!low_weights.count(weight)) {
          const std::string low = fresh_name(weight + suffix, taken);
          graph.initializers[low] = cast_tensor(graph.initializers.at(weight), storage_);
          low_weights[weight] = low;
        }
        lowered_node.inputs[w] = low_weights.at(weight);
      }
    const std::string y = lowered_node.outputs[0];
    const std::string low_y = fresh_name(y + suffix, taken);
    lowered[y] = low_y;
    lowered_order.push_back(y);
    lowered_node.outputs[0] = low_y;
    graph.value_types.erase(y);
    ++region;
  }

  // Values leaving the region: whoever still reads the float32 name gets a cast back. Last value
  // first: DataflowIndex counts only live readers, and a node outside the region between two parts
  // of it (an INT8 engine's fp16 layers) is live again only once the later part's casts are back.
  for (auto it = lowered_order.rbegin(); it != lowered_order.rend(); ++it) {
    const std::string& value = *it;
    const std::string& low = lowered.at(value);
    const DataflowIndex index(graph);
    if (index.reader_count(value) == 0) continue;
    const auto producer = index.producer_index(low);
    GNNRT_CHECK(producer.has_value(), "precision_lowering: no producer for ", low);
    graph.nodes.insert(graph.nodes.begin() + static_cast<std::ptrdiff_t>(*producer + 1),
                       cast_node(fresh_name(value + "/cast", taken), low, value, DType::Float32));
    ++casts;
  }
  PassResult result;
  result.changes = region;
  result.summary = cat(region, region == 1 ? " op" : " ops", " now store ", dtype_name(storage_), " features (",
                       casts, casts == 1 ? " cast" : " casts", " at the region's edges)");
  if (region) context.note(name(), result.summary);
  return result;
}

}  // namespace gnnrt::passes
