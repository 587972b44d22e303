#include "runtime/divergence_check.h"

#include <unordered_map>

namespace gnnrt::runtime {

DivergenceReport find_first_divergence(const ir::Graph& graph, const TensorMap& inputs, DeviceBackend& device,
                                       const Tolerance& tolerance) {
  std::unordered_map<std::string, Tensor> reference;
  Executor cpu(graph, nullptr);
  cpu.run(inputs, [&](const ir::Node& node, const std::vector<Tensor>& outputs) {
    for (size_t i = 0; i < outputs.size() && i < node.outputs.size(); ++i)
      if (!node.outputs[i].empty() && outputs[i].defined()) reference[node.outputs[i]] = outputs[i];
  });

  DivergenceReport report;
  Executor on_device(graph, &device);
  on_device.run(inputs, [&](const ir::Node& node, const std::vector<Tensor>& outputs) {
    if (report.diverged) return;
    for (size_t i = 0; i < outputs.size() && i < node.outputs.size(); ++i) {
      auto expected = reference.find(node.outputs[i]);
      if (expected == reference.end() || !outputs[i].defined()) continue;
      const Tensor actual = on_device.to_host(outputs[i]);
      const bool comparable = actual.dtype() == expected->second.dtype() && actual.dtype() != DType::Undefined;
      ComparisonResult comparison =
          comparable ? compare_tensors(node.outputs[i], actual, expected->second, tolerance) : ComparisonResult{};
      if (!comparable) {
        comparison.name = cat(node.outputs[i], " (dtype ", dtype_name(actual.dtype()), " vs ",
                              dtype_name(expected->second.dtype()), ")");
        comparison.passed = false;
      }
      ++report.values_compared;
      if (!comparison.passed) {
        report.diverged = true;
        report.node = node.describe();
        report.value = node.outputs[i];
        report.comparison = comparison;
        return;
      }
    }
  });
  return report;
}

}  // namespace gnnrt::runtime
