// trtexec's precision flags, shared by the commands that build an engine (build, run --onnx, bench
// --onnx): --fp16 or --bf16 store node features in 16 bits (builder::BuildOptions::precision); and
// build's --int8 with its calibration flags.
#pragma once

#include <CLI/CLI.hpp>

#include <set>
#include <string>
#include <vector>

namespace gnnrt::cli {

// Adds --fp16 and --bf16 (mutually exclusive) to `command`; `precision` becomes "fp16" or "bf16"
// when one is given and stays "fp32" otherwise. The strings must outlive the command.
void add_precision_flags(CLI::App* command, std::string& precision);

}  // namespace gnnrt::cli

namespace gnnrt::cli {

// gnnrt build's INT8 flags (docs/INT8.md), as trtexec --int8 --calib=cache.
struct Int8Flags {
  bool enabled = false;                      // --int8
  std::vector<std::string> calib_data;       // --calib-data graphs.npz (repeatable, as run's --inputs)
  std::string calib_cache;                   // --calib-cache file
  std::string calibrator = "entropy";        // --calibrator
  double percentile = 99.99;                 // --percentile
  std::vector<std::string> layer_precision;  // --layer-precision NAME:fp32|fp16 (repeatable)
  std::string calib_labels;                  // --calib-labels labels.npz: accuracies in the report
  std::string label_key = "y", mask_key = "test_mask";
  bool allow_cast = false;                   // --allow-cast for the calibration graphs
  double layer_tolerance = 0.05;             // --int8-layer-tolerance
  double layer_max_flips = 0.5;              // --int8-layer-max-flips (percent)
  std::string scales = "tensor";             // --int8-scales tensor|row
};

// Adds --int8 and its calibration flags; --int8 excludes `exclusive` (--fp16, --bf16).
void add_int8_flags(CLI::App* command, Int8Flags& flags);


}  // namespace gnnrt::cli
