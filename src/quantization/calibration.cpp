#include "quantization/calibration.h"

#include <iomanip>
#include <map>

#include "passes/int8_lowering.h"
#include "runtime/executor.h"
#include "runtime/profile_check.h"

namespace gnnrt::quantization {

std::string calibrator_label(const CalibratorChoice& choice) {
  if (choice.method == Calibrator::Percentile) return cat("percentile:", choice.percentile);
  return calibrator_name(choice.method);
}

CalibrationTable calibrate(const engine::EngineContents& fp32_engine, const std::vector<runtime::TensorMap>& graphs,
                           const CalibratorChoice& choice, const std::set<std::string>& float_layers,
                           const runtime::BindOptions& bind_options, const std::string& what, std::ostream* log) {
  if (fp32_engine.target.device != "cpu")
    fail_internal("calibration runs a CPU engine, got ", fp32_engine.target.device);
  if (graphs.empty()) fail_input(what, ": no calibration graph");
  const ir::Graph& graph = fp32_engine.model.graph;
  std::map<std::string, AbsHistogram> histograms;
  for (const std::string& value : passes::int8_feature_inputs(graph, float_layers))
    histograms.emplace(value, AbsHistogram());
  const auto add = [&](const std::string& name, const Tensor& tensor) {
    const auto it = histograms.find(name);
    if (it == histograms.end()) return;
    GNNRT_CHECK(tensor.dtype() == DType::Float32, "calibrated value ", name, " is ", tensor.describe());
    it->second.add(tensor.data<float>(), tensor.numel());
  };
  // A constant feature input (an initializer) is measured once, as it is.
  for (const auto& [name, tensor] : graph.initializers) add(name, tensor);
  runtime::Executor executor(graph);
  for (size_t g = 0; g < graphs.size(); ++g) {
    runtime::BoundInputs bound = runtime::bind_inputs(graph, graphs[g], bind_options);
    runtime::check_inputs_in_profile(fp32_engine.profile, graph, bound.tensors);
    for (const auto& [name, tensor] : bound.tensors) add(name, tensor);
    executor.run(bound.tensors, [&](const ir::Node& node, const std::vector<Tensor>& outputs) {
      for (size_t i = 0; i < outputs.size() && i < node.outputs.size(); ++i) add(node.outputs[i], outputs[i]);
    });
  }
  CalibrationTable table;
  table.calibrator = calibrator_label(choice);
  for (const auto& [name, histogram] : histograms) {
    const double amax = choose_amax(histogram, choice);
    table.scales[name] = int8_scale_for(amax);
    if (log)
      *log << "[calibrate] " << name << ": max |x| " << histogram.max_abs() << ", " << table.calibrator << " clips at "
           << amax << (histogram.nonfinite() ? cat(" (", histogram.nonfinite(), " NaN/inf values ignored)") : "")
           << "\n";
  }
  return table;
}

}  // namespace gnnrt::quantization
