// INT8 calibration (TensorRT's calibration step): run the fp32 engine over the calibration graphs,
// collect the histogram of every tensor the INT8 lowering will quantise (the SpMMs' feature
// inputs, passes/int8_lowering.h), and choose each one's scale with the calibrator.
#pragma once

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "engine/engine_contents.h"
#include "quantization/calibration_cache.h"
#include "quantization/calibrators.h"
#include "runtime/input_binding.h"
#include "runtime/structure_cache.h"

namespace gnnrt::quantization {

// "entropy", "minmax", "percentile:99.99": the calibrator as a cache header names it.
std::string calibrator_label(const CalibratorChoice& choice);

// `fp32_engine`: a CPU engine built with the same options as the INT8 one, precision fp32, so that
// its values carry the names the INT8 lowering will look up. Each graph is checked as `gnnrt run`
// checks its inputs (names, dtypes with `bind_options`, the engine's profile); `what` names where
// the graphs came from, for messages. Fails (InvalidInput) when there is no graph.
CalibrationTable calibrate(const engine::EngineContents& fp32_engine, const std::vector<runtime::TensorMap>& graphs,
                           const CalibratorChoice& choice, const std::set<std::string>& float_layers,
                           const runtime::BindOptions& bind_options, const std::string& what,
                           std::ostream* log = nullptr);

}  // namespace gnnrt::quantization
