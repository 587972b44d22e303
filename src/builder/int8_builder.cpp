#include "builder/int8_builder.h"

#include <filesystem>

namespace gnnrt::builder {

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
  if (options.device != "cpu")
    fail_input("--int8: INT8 engines are CPU-only in this build (the CUDA backend has no int8 kernels yet); "
               "build with --device cpu, or use --fp16 on CUDA");
  Int8BuildResult result;
  if (!calibration.graphs.empty()) {
    BuildOptions fp32 = options;
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
                                           options.int8_float_layers, calibration.bind_options,
                                           calibration.graphs_source, log);
    if (log)
      *log << "[build] INT8: calibrated " << result.table.scales.size() << " tensors on " << calibration.graphs.size()
           << (calibration.graphs.size() == 1 ? " graph" : " graphs") << " (" << result.table.calibrator << ")\n";
    if (!calibration.cache_path.empty()) {
      quantization::write_calibration_cache(calibration.cache_path, result.table);
      if (log) *log << "[build] INT8: wrote the calibration cache " << calibration.cache_path << "\n";
    }
  }
  options.precision = "int8";
  options.int8_scales = result.table.scales;
  options.int8_scales_source = result.from_cache ? cat("the calibration cache '", calibration.cache_path, "'")
                                                 : cat("the calibration on ", calibration.graphs_source);
  result.engine = build_engine(import(), options, log);
  return result;
}

}  // namespace gnnrt::builder
