// Building an INT8 engine (`gnnrt build --int8`, docs/INT8.md), as TensorRT's builder does with a
// calibrator: the scales come from a calibration cache when one is given and exists, else from a
// calibration run of the fp32 engine over the calibration graphs (then written to the cache, if
// one is named); then the model is built again with the INT8 lowering.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "builder/engine_builder.h"
#include "quantization/calibration.h"

namespace gnnrt::builder {

struct Int8Calibration {
  std::vector<runtime::TensorMap> graphs;  // --calib-data; may be empty when the cache exists
  std::string graphs_source;               // where they came from, for messages
  std::string cache_path;                  // --calib-cache; "" for none
  quantization::CalibratorChoice calibrator;
  runtime::BindOptions bind_options;       // how the graphs' inputs are checked (--allow-cast)
};

struct Int8BuildResult {
  engine::EngineContents engine;                      // the INT8 engine
  std::optional<engine::EngineContents> fp32_engine;  // built when there are graphs (to calibrate or compare)
  quantization::CalibrationTable table;
  bool from_cache = false;
};

// `import` returns the model afresh for each build. `options.precision` is set here. Fails
// (InvalidInput) without graphs and without an existing cache, and on a cache that does not match
// the model.
Int8BuildResult build_int8_engine(const std::function<ir::Model()>& import, BuildOptions options,
                                  const Int8Calibration& calibration, std::ostream* log = nullptr);

}  // namespace gnnrt::builder
