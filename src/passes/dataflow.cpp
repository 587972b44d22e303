#include "passes/dataflow.h"

#include <algorithm>

#include "passes/pass_manager.h"

namespace gnnrt::passes {

DataflowIndex::DataflowIndex(const ir::Graph& graph) : graph_(graph) {
  // Liveness, as dead-code elimination sees it: a node is live when a graph output or a live node
  // reads one of its outputs.
  std::set<std::string> live_values;
  for (const ir::ValueInfo& output : graph.outputs) live_values.insert(output.name);
  std::vector<bool> live(graph.nodes.size(), false);
  for (size_t n = graph.nodes.size(); n-- > 0;) {
    for (const std::string& output : graph.nodes[n].outputs)
      if (!output.empty() && live_values.count(output)) live[n] = true;
    if (live[n]) collect_reads(graph.nodes[n], live_values);
  }
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const std::string& output : graph.nodes[i].outputs)
      if (!output.empty()) producers_[output] = i;
    if (!live[i]) continue;
    std::set<std::string> reads;
    collect_reads(graph.nodes[i], reads);
    // collect_reads gives a set: a node reading a value twice (Mul(a, a)) still counts once per
    // input slot here, which is what "single consumer" checks need.
    for (const std::string& input : graph.nodes[i].inputs)
      if (!input.empty()) {
        ++readers_[input];
        last_reader_[input] = i;
      }
    for (const std::string& name : reads)
      if (std::find(graph.nodes[i].inputs.begin(), graph.nodes[i].inputs.end(), name) == graph.nodes[i].inputs.end())
        ++readers_[name];  // read from inside an If branch
  }
  for (const ir::ValueInfo& output : graph.outputs) ++readers_[output.name];
}

const ir::Node* DataflowIndex::producer(const std::string& value) const {
  auto it = producers_.find(value);
  return it == producers_.end() ? nullptr : &graph_.nodes[it->second];
}

std::optional<size_t> DataflowIndex::producer_index(const std::string& value) const {
  auto it = producers_.find(value);
  if (it == producers_.end()) return std::nullopt;
  return it->second;
}

const ir::Node* DataflowIndex::producer_if(const std::string& value, const std::string& op_type) const {
  const ir::Node* node = producer(value);
  return node && node->domain.empty() && node->op_type == op_type ? node : nullptr;
}

size_t DataflowIndex::reader_count(const std::string& value) const {
  auto it = readers_.find(value);
  return it == readers_.end() ? 0 : it->second;
}

std::optional<size_t> DataflowIndex::sole_reader(const std::string& value) const {
  if (reader_count(value) != 1) return std::nullopt;
  auto it = last_reader_.find(value);
  if (it == last_reader_.end()) return std::nullopt;  // read by a graph output or an If branch
  return it->second;
}

bool DataflowIndex::is_graph_input(const std::string& value) const {
  for (const ir::ValueInfo& input : graph_.inputs)
    if (input.name == value) return true;
  return false;
}

const Tensor* DataflowIndex::initializer(const std::string& value) const {
  auto it = graph_.initializers.find(value);
  return it == graph_.initializers.end() ? nullptr : &it->second;
}

std::optional<std::vector<ir::Dim>> DataflowIndex::dims_of(const std::string& value) const {
  const std::optional<ir::ValueType> type = type_of(value);
  if (!type || !type->shape) return std::nullopt;
  return *type->shape;
}

bool same_dim(const ir::Dim& a, const ir::Dim& b) {
  if (a.is_known() && b.is_known()) return a.size == b.size;
  return a.is_symbolic() && b.is_symbolic() && a.symbol == b.symbol;
}

std::optional<double> scalar_initializer(const DataflowIndex& index, const std::string& value) {
  const Tensor* tensor = index.initializer(value);
  if (!tensor || tensor->numel() != 1) return std::nullopt;
  return tensor->scalar_as_double(0);
}

std::optional<std::string> fusable_bias(ir::Graph& graph, const DataflowIndex& index, const ir::Node& add,
                                        const std::string& y, int64_t width, std::set<std::string>& taken) {
  if (!add.domain.empty() || add.op_type != "Add" || add.inputs.size() != 2) return std::nullopt;
  const std::string other = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
  if (other == y) return std::nullopt;
  const Tensor* bias = index.initializer(other);
  if (!bias || bias->dtype() != DType::Float32 || bias->numel() != width) return std::nullopt;
  if (bias->rank() == 1) return other;
  if (bias->rank() != 2 || bias->dim(0) != 1) return std::nullopt;
  const std::string flat = fresh_name(other + "/flat", taken);
  graph.initializers[flat] = bias->reshaped({width});
  return flat;
}

ir::Attribute string_attribute(const std::string& value) {
  ir::Attribute attribute;
  attribute.kind = ir::Attribute::Kind::String;
  attribute.s = value;
  return attribute;
}

std::string fresh_name(const std::string& base, std::set<std::string>& taken) {
  std::string name = base;
  for (int suffix = 2; taken.count(name); ++suffix) name = cat(base, "_", suffix);
  taken.insert(name);
  return name;
}

std::set<std::string> taken_names(const ir::Graph& graph) {
  std::set<std::string> names;
  collect_defined_names(graph, names);
  for (const ir::Node& node : graph.nodes) names.insert(node.name);
  return names;
}

std::optional<std::string> column_vector_source(const DataflowIndex& index, const std::string& value) {
  const ir::Node* node = index.producer(value);
  if (!node || !node->domain.empty() || node->inputs.empty()) return std::nullopt;
  const auto out = index.dims_of(value);
  const auto in = index.dims_of(node->inputs[0]);
  if (!out || !in || out->size() != 2 || in->size() != 1) return std::nullopt;
  if (!same_dim((*out)[0], (*in)[0]) || !(*out)[1].is_known() || (*out)[1].size != 1) return std::nullopt;
  if (node->op_type == "Reshape") return node->inputs[0];
  if (node->op_type == "Unsqueeze") return node->inputs[0];  // [E] -> [E, 1]: the shapes above fix the axis
  return std::nullopt;
}

}  // namespace gnnrt::passes
