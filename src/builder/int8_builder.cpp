#include "builder/int8_builder.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "backends/op_shapes/fused_linear.h"
#include "backends/op_shapes/sparse.h"
#include "runtime/inference.h"
#include "runtime/prediction_agreement.h"

namespace gnnrt::builder {
namespace {

// The fp32 engine's outputs on every graph, and their largest finite magnitude.
struct Fp32Reference {
  std::vector<runtime::TensorMap> outputs;
  double largest = 0;
};

Fp32Reference run_reference(const engine::EngineContents& fp32, const Int8Calibration& calibration) {
  Fp32Reference reference;
  for (const runtime::TensorMap& graph : calibration.graphs) {
    reference.outputs.push_back(runtime::run_engine(fp32, graph, calibration.bind_options).outputs);
    for (const auto& [name, tensor] : reference.outputs.back())
      for (int64_t i = 0; i < tensor.numel(); ++i)
        if (std::isfinite(tensor.scalar_as_double(i)))
          reference.largest = std::max(reference.largest, std::fabs(tensor.scalar_as_double(i)));
  }
  return reference;
}

Int8LayerError measure(const std::string& layer, const engine::EngineContents& engine, const Fp32Reference& reference,
                       const Int8Calibration& calibration) {
  runtime::PredictionAgreement total;
  for (size_t g = 0; g < calibration.graphs.size(); ++g) {
    const runtime::TensorMap outputs =
        runtime::run_engine(engine, calibration.graphs[g], calibration.bind_options).outputs;
    for (const auto& [name, expected] : reference.outputs[g])
      total.merge(runtime::compare_predictions(outputs.at(name), expected, "output " + name));
  }
  Int8LayerError error;
  error.layer = layer;
  error.max_abs_error = total.max_abs_error;
  error.relative_error = reference.largest > 0 ? total.max_abs_error / reference.largest : total.max_abs_error;
  error.argmax_agreement_percent = total.argmax_agreement_percent();
  return error;
}

// The layers not in int8 (fp32 or fp16), which calibration leaves out.
std::set<std::string> float_layers(const BuildOptions& options) {
  std::set<std::string> layers = options.int8_float_layers;
  layers.insert(options.int8_fp16_layers.begin(), options.int8_fp16_layers.end());
  return layers;
}

}  // namespace

std::vector<std::string> int8_layers(const ir::Graph& graph) {
  std::vector<std::string> layers;
  for (const ir::Node& node : graph.nodes) {
    if (node.domain != ir::kGnnrtDomain) continue;
    const bool spmm = node.op_type == "SpMM" && (node.attributes.count("x_scale") ||
                                                 (node.inputs.size() > op_shapes::spmm::kXRowScale &&
                                                  !node.inputs[op_shapes::spmm::kXRowScale].empty()));
    const bool linear = node.op_type == "Linear" && node.inputs.size() > op_shapes::fused_linear::kWeightScale &&
                        !node.inputs[op_shapes::fused_linear::kWeightScale].empty();
    if (spmm || linear) layers.push_back(node.name);
  }
  return layers;
}

std::vector<std::pair<std::string, std::string>> layer_precisions(const ir::Graph& graph) {
  const std::vector<std::string> int8 = int8_layers(graph);
  std::vector<std::pair<std::string, std::string>> layers;
  for (const ir::Node& node : graph.nodes) {
    if (node.domain != ir::kGnnrtDomain || (node.op_type != "SpMM" && node.op_type != "Linear")) continue;
    const auto output = graph.type_of(node.outputs[0]);
    const bool fp16 = output && output->dtype == DType::Float16;
    layers.emplace_back(node.name, std::count(int8.begin(), int8.end(), node.name) ? "int8"
                                   : fp16                                           ? "fp16"
                                                                                    : "fp32");
  }
  return layers;
}

LayerPrecisions parse_layer_precisions(const std::vector<std::string>& layer_precision) {
  LayerPrecisions layers;
  for (const std::string& entry : layer_precision) {
    const size_t colon = entry.rfind(':');
    if (colon == std::string::npos || colon == 0)
      fail_input("--layer-precision ", entry, ": expected NAME:fp32 or NAME:fp16");
    const std::string name = entry.substr(0, colon), precision = entry.substr(colon + 1);
    if (precision != "fp32" && precision != "fp16")
      fail_input("--layer-precision ", entry, ": precision '", precision, "', expected fp32 or fp16 (int8 is the "
                 "default)");
    std::set<std::string>& mine = precision == "fp32" ? layers.fp32 : layers.fp16;
    const std::set<std::string>& other = precision == "fp32" ? layers.fp16 : layers.fp32;
    if (other.count(name))
      fail_input("--layer-precision ", entry, ": layer ", name, " is also given ", precision == "fp32" ? "fp16" : "fp32",
                 "; give one precision per layer");
    mine.insert(name);
  }
  return layers;
}

void apply_int8_choices(const Int8Choices& choices, BuildOptions& options, Int8Calibration& calibration) {
  calibration.calibrator.method = quantization::parse_calibrator(choices.calibrator, choices.calibrator_setting);
  if (calibration.calibrator.method == quantization::Calibrator::Percentile)
    quantization::check_percentile(choices.percentile);
  calibration.calibrator.percentile = choices.percentile;
  calibration.layer_tolerance = choices.layer_tolerance;
  calibration.layer_max_flips_percent = choices.layer_max_flips_percent;
  const LayerPrecisions layers = parse_layer_precisions(choices.layer_precisions);
  options.int8_float_layers = layers.fp32;
  options.int8_fp16_layers = layers.fp16;
  options.int8_per_row = choices.per_row;
}

Int8BuildResult build_int8_engine(const std::function<ir::Model()>& import, BuildOptions options,
                                  const Int8Calibration& calibration, std::ostream* log) {
  const bool cache_exists = !calibration.cache_path.empty() && std::filesystem::exists(calibration.cache_path);
  if (calibration.graphs.empty() && !cache_exists) {
    if (!calibration.cache_path.empty())
      fail_input("--int8: the calibration cache '", calibration.cache_path, "' does not exist; give --calib-data "
                 "graphs.npz to calibrate (the cache is then written there)");
    fail_input("--int8 needs calibration: give --calib-data graphs.npz (graphs to calibrate on, as gnnrt run's "
               "--inputs) or --calib-cache FILE (the cache of an earlier calibration)");
  }
  // Calibration and the per-layer measurements run CPU engines (the reference backend); for a CUDA
  // build they are laid out as the CUDA engine is, so the scales and layer names carry over.
  BuildOptions on_cpu = options;
  on_cpu.device = "cpu";
  on_cpu.layout_for_cuda = options.device == "cuda";
  Int8BuildResult result;
  if (!calibration.graphs.empty()) {
    BuildOptions fp32 = on_cpu;
    fp32.precision = "fp32";
    if (log) *log << "[build] INT8: building the fp32 engine to calibrate and compare with\n";
    result.fp32_engine = build_engine(import(), fp32, nullptr);
  }
  if (cache_exists) {
    result.table = quantization::read_calibration_cache(calibration.cache_path);
    result.from_cache = true;
    if (log)
      *log << "[build] INT8: " << result.table.scales.size() << " scales from the calibration cache "
           << calibration.cache_path << " (" << result.table.calibrator << "; delete it to calibrate again)\n";
  } else {
    result.table = quantization::calibrate(*result.fp32_engine, calibration.graphs, calibration.calibrator,
                                           float_layers(options), calibration.bind_options,
                                           calibration.graphs_source, log);
    if (log)
      *log << "[build] INT8: calibrated " << result.table.scales.size() << " tensors on " << calibration.graphs.size()
           << (calibration.graphs.size() == 1 ? " graph" : " graphs") << " (" << result.table.calibrator << ")\n";
    if (!calibration.cache_path.empty()) {
      quantization::write_calibration_cache(calibration.cache_path, result.table);
      if (log) *log << "[build] INT8: wrote the calibration cache " << calibration.cache_path << "\n";
    }
  }
  for (BuildOptions* each : {&options, &on_cpu}) {
    each->precision = "int8";
    each->int8_scales = result.table.scales;
    each->int8_scales_source = result.from_cache ? cat("the calibration cache '", calibration.cache_path, "'")
                                                 : cat("the calibration on ", calibration.graphs_source);
  }
  if (!result.fp32_engine || calibration.layer_tolerance < 0) {
    result.engine = build_engine(import(), options, log);
    return result;
  }
  // Each layer alone in int8, measured; those past the tolerance (output error or flipped
  // predictions) stay fp16, or fp32 if fp16 alone is past it too.
  const std::vector<std::string> layers = int8_layers(build_engine(import(), on_cpu).model.graph);
  const Fp32Reference reference = run_reference(*result.fp32_engine, calibration);
  BuildOptions chosen = options;  // what the measurements choose; `alone` starts from the user's choice
  for (const std::string& layer : layers) {
    BuildOptions alone = on_cpu;
    for (const std::string& other : layers)
      if (other != layer) alone.int8_float_layers.insert(other);
    Int8LayerError error = measure(layer, build_engine(import(), alone), reference, calibration);
    const auto passes = [&](double relative_error, double agreement_percent) {
      return relative_error <= calibration.layer_tolerance &&
             (calibration.layer_max_flips_percent < 0 || 100.0 - agreement_percent <= calibration.layer_max_flips_percent);
    };
    if (!passes(error.relative_error, error.argmax_agreement_percent)) {
      alone.int8_fp16_layers.insert(layer);
      const Int8LayerError in_fp16 = measure(layer, build_engine(import(), alone), reference, calibration);
      error.fp16_relative_error = in_fp16.relative_error;
      error.fp16_argmax_agreement_percent = in_fp16.argmax_agreement_percent;
      error.precision = passes(in_fp16.relative_error, in_fp16.argmax_agreement_percent) ? "fp16" : "fp32";
      (error.precision == "fp16" ? chosen.int8_fp16_layers : chosen.int8_float_layers).insert(layer);
    }
    result.layers.push_back(error);
  }
  result.engine = build_engine(import(), chosen, log);
  return result;
}

}  // namespace gnnrt::builder
