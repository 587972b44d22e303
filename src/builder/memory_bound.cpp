#include "builder/memory_bound.h"

#include <iomanip>
#include <limits>
#include <set>
#include <sstream>

#include "gnnrt/error.h"
#include "ir/symbolic_dims.h"

namespace gnnrt::builder {
namespace {

constexpr uint64_t kSaturated = std::numeric_limits<uint64_t>::max();

uint64_t saturating_add(uint64_t a, uint64_t b) { return b > kSaturated - a ? kSaturated : a + b; }
uint64_t saturating_multiply(uint64_t a, uint64_t b) { return a != 0 && b > kSaturated / a ? kSaturated : a * b; }

// Each symbolic dim of the graph inputs at its profile maximum, or at its minimum when unbounded.
std::map<std::string, int64_t> symbols_at_maximum(const ir::Graph& graph, const engine::OptimizationProfile& profile) {
  std::map<std::string, int64_t> values;
  for (const engine::InputRange& range : profile.inputs) {
    const ir::ValueInfo* input = graph.find_input(range.name);
    if (!input || !input->type.shape || input->type.shape->size() != range.max.size()) continue;
    for (size_t d = 0; d < range.max.size(); ++d) {
      const ir::Dim& dim = (*input->type.shape)[d];
      if (dim.is_symbolic()) values[dim.symbol] = range.max[d] >= engine::kUnboundedDim ? range.min[d] : range.max[d];
    }
  }
  return values;
}

// Bytes of a value at those sizes: an unknown or negative dim counts as 0, so this stays a floor.
uint64_t floor_bytes(const ir::Graph& graph, const std::string& value, const std::map<std::string, int64_t>& symbols) {
  const std::optional<ir::ValueType> type = graph.type_of(value);
  if (!type || !type->shape || type->dtype == DType::Undefined) return 0;
  uint64_t bytes = dtype_size(type->dtype);
  for (const ir::Dim& dim : *type->shape) {
    const std::optional<ir::SymInt> size = ir::SymInt::from_dim(dim);
    const std::optional<int64_t> at_max = size ? size->evaluate(symbols, 0) : std::nullopt;
    bytes = saturating_multiply(bytes, at_max && *at_max > 0 ? static_cast<uint64_t>(*at_max) : 0);
  }
  return bytes;
}

std::string gib(uint64_t bytes) {
  if (bytes == kSaturated) return "more than 16 EiB";
  std::ostringstream text;
  text << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / static_cast<double>(uint64_t{1} << 30)
       << " GiB";
  return text.str();
}

}  // namespace

uint64_t DeviceMemoryFloor::total() const {
  return saturating_add(saturating_add(inputs_bytes, weights_bytes), largest_node_bytes);
}

DeviceMemoryFloor device_memory_floor(const ir::Graph& graph, const engine::OptimizationProfile& profile,
                                      const std::map<std::string, std::string>& kernel_choices) {
  const std::map<std::string, int64_t> symbols = symbols_at_maximum(graph, profile);
  DeviceMemoryFloor floor;
  std::set<std::string> resident;
  for (const ir::ValueInfo& input : graph.inputs) {
    floor.inputs_bytes = saturating_add(floor.inputs_bytes, floor_bytes(graph, input.name, symbols));
    resident.insert(input.name);
  }
  for (const ir::Node& node : graph.nodes) {
    const auto choice = kernel_choices.find(node.name);
    if (choice == kernel_choices.end() || choice->second.rfind("cuda:", 0) != 0) continue;
    std::set<std::string> transient;
    for (const std::string& input : node.inputs) {
      if (input.empty()) continue;
      if (const auto weight = graph.initializers.find(input); weight != graph.initializers.end()) {
        if (resident.insert(input).second) floor.weights_bytes = saturating_add(floor.weights_bytes, weight->second.nbytes());
      } else if (!resident.count(input)) {
        transient.insert(input);
      }
    }
    for (const std::string& output : node.outputs)
      if (!output.empty()) transient.insert(output);
    uint64_t node_bytes = 0;
    for (const std::string& value : transient) node_bytes = saturating_add(node_bytes, floor_bytes(graph, value, symbols));
    if (node_bytes > floor.largest_node_bytes || floor.largest_node.empty()) {
      floor.largest_node_bytes = node_bytes;
      floor.largest_node = node.describe();
    }
  }
  return floor;
}

void check_profile_fits_device(const DeviceMemoryFloor& floor, uint64_t device_bytes, const std::string& device_name) {
  if (floor.total() <= device_bytes) return;
  fail_input("the optimisation profile cannot fit the card: at its maximum shapes a call needs at least ",
             gib(floor.total()), " of GPU memory (graph inputs ", gib(floor.inputs_bytes), ", weights ",
             gib(floor.weights_bytes), ", and ", gib(floor.largest_node_bytes), " of inputs and outputs at ",
             floor.largest_node, "), and ", device_name, " has ", gib(device_bytes),
             "; lower the profile's maximum (--max-nodes, --max-edges or --max-shapes)");
}

}  // namespace gnnrt::builder
