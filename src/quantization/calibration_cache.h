// The INT8 calibration cache (as TensorRT's --calib cache file): the scales a calibration chose,
// so that later builds of the same model skip the calibration run. A text file:
//
//   gnnrt-int8-calibration 1 entropy          <- magic, format version, calibrator
//   # comment lines and blank lines are ignored
//   /conv1/lin/MatMul_output_0: 0.0218271613  <- tensor: scale, one quantised tensor per line
//
// The calibrator is "entropy", "minmax" or "percentile:<p>" (p in %). A tensor is a value of the
// optimised graph (the feature input of a gnnrt.SpMM); its name is everything before the line's
// last ": ", the scale (amax / 127, > 0, finite) is written with 9 significant digits, which
// reads back as the same float. Written atomically (io/atomic_file.h).
#pragma once

#include <map>
#include <string>

namespace gnnrt::quantization {

struct CalibrationTable {
  std::string calibrator;               // as the header names it
  std::map<std::string, float> scales;  // tensor -> INT8 scale
};

void write_calibration_cache(const std::string& path, const CalibrationTable& table);
// Fails (InvalidInput, naming the file and line) on a missing file, a wrong header, a malformed
// line, a scale that is not a positive finite number, or a tensor named twice.
CalibrationTable read_calibration_cache(const std::string& path);

}  // namespace gnnrt::quantization
