// Building an INT8 engine (`gnnrt build --int8`, docs/INT8.md), as TensorRT's builder does with a
// calibrator: the scales come from a calibration cache when one is given and exists, else from a
// calibration run of the fp32 engine over the calibration graphs (then written to the cache, if
// one is named); then the model is built again with the INT8 lowering.
//
// With calibration graphs, each quantised layer (an SpMM reading int8 features, a Linear with int8
// weights) is measured alone: an engine with only that layer in int8 runs on the graphs, and a
// layer whose error exceeds the tolerance (largest output difference over the largest fp32 output
// magnitude) stays in fp16 in the engine built (16-bit features, fp32 accumulation), as TensorRT
// keeps layers in higher precision; one whose fp16 error, measured alone too, still exceeds the
// tolerance stays fp32.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
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
  // Largest error a layer alone may cause, as a fraction of the fp32 outputs' largest magnitude;
  // < 0: no automatic choice (every layer not named in BuildOptions::int8_float_layers or
  // int8_fp16_layers is int8).
  double layer_tolerance = 0.05;
  // Most top predictions (argmax over each output row) a layer alone in int8 may change, in percent
  // of the rows: a layer can move the outputs little and still flip many close calls; < 0: not
  // checked. Applies with layer_tolerance >= 0.
  double layer_max_flips_percent = 0.5;
};

// One quantised layer measured alone (only it in int8) against fp32 on the calibration graphs.
struct Int8LayerError {
  std::string layer;     // the SpMM or Linear node
  double max_abs_error = 0;
  double relative_error = 0;  // max_abs_error / the fp32 outputs' largest magnitude
  double argmax_agreement_percent = 100;
  // "int8"; "fp16" when relative_error > tolerance or it flips more than layer_max_flips_percent of
  // the predictions; "fp32" when fp16 alone fails the same test.
  std::string precision = "int8";
  std::optional<double> fp16_relative_error;  // measured for the layers that fail in int8
  std::optional<double> fp16_argmax_agreement_percent;
};

struct Int8BuildResult {
  engine::EngineContents engine;                      // the INT8 engine
  std::optional<engine::EngineContents> fp32_engine;  // built when there are graphs (to calibrate or compare)
  quantization::CalibrationTable table;
  bool from_cache = false;
  std::vector<Int8LayerError> layers;  // measured when there are graphs and a tolerance >= 0
};

// The layers an INT8 engine holds in int8: SpMMs reading int8 features, Linears with int8 weights.
std::vector<std::string> int8_layers(const ir::Graph& graph);

// Each SpMM and Linear of an engine built with precision "int8", in graph order, with the precision
// it got: "int8", "fp16" (it writes float16) or "fp32".
std::vector<std::pair<std::string, std::string>> layer_precisions(const ir::Graph& graph);

// --layer-precision NAME:fp32 / NAME:fp16 (BuildConfig::layer_precisions in the C++ API): the layers
// kept out of int8. Fails (InvalidInput) on another form or precision, or on a layer given two.
struct LayerPrecisions {
  std::set<std::string> fp32, fp16;
};
LayerPrecisions parse_layer_precisions(const std::vector<std::string>& layer_precision);

// The INT8 choices gnnrt build's flags and BuildConfig's fields both make, as they come from the
// user; apply_int8_choices checks them and sets them on the build options and the calibration.
struct Int8Choices {
  std::string calibrator = "entropy";  // entropy, minmax or percentile
  std::string calibrator_setting;      // how messages name it: "--calibrator", "BuildConfig::calibrator"
  double percentile = 99.99;
  double layer_tolerance = 0.05;
  double layer_max_flips_percent = 0.5;
  std::vector<std::string> layer_precisions;  // NAME:fp32 / NAME:fp16
  bool per_row = false;                       // per-row feature scales
};
void apply_int8_choices(const Int8Choices& choices, BuildOptions& options, Int8Calibration& calibration);

// `import` returns the model afresh for each build. `options.precision` is set here. Fails
// (InvalidInput) without graphs and without an existing cache, and on a cache that does not match
// the model.
Int8BuildResult build_int8_engine(const std::function<ir::Model()>& import, BuildOptions options,
                                  const Int8Calibration& calibration, std::ostream* log = nullptr);

}  // namespace gnnrt::builder
