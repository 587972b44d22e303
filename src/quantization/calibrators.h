// INT8 calibrators: from a tensor's histogram of magnitudes to the clipping threshold `amax`
// whose symmetric per-tensor scale is amax / 127 (values beyond amax saturate to +-127):
//
// - minmax: amax = the largest magnitude seen. No clipping; one outlier stretches the scale.
// - percentile: amax = the smallest bin edge below which `percentile` % of the values lie.
// - entropy: TensorRT's KL-divergence calibrator (its IInt8EntropyCalibrator2): for each
//   candidate threshold from bin 128 to the last, the histogram clipped there (the outliers added
//   to the last kept bin) is compared with its 128-level quantisation; the threshold whose
//   quantised distribution is closest (least KL divergence) wins.
#pragma once

#include <string>

#include "quantization/histogram.h"

namespace gnnrt::quantization {

enum class Calibrator { Entropy, MinMax, Percentile };

struct CalibratorChoice {
  Calibrator method = Calibrator::Entropy;
  double percentile = 99.99;  // for Percentile, in (0, 100]
};

// "entropy", "minmax", "percentile".
std::string calibrator_name(Calibrator method);
// Fails (InvalidInput, naming `what`) on any other name.
Calibrator parse_calibrator(const std::string& name, const std::string& what);
// Fails (InvalidInput) unless percentile is in (0, 100].
void check_percentile(double percentile);

// The clipping threshold for `histogram`; 0 when it holds no nonzero value.
double choose_amax(const AbsHistogram& histogram, const CalibratorChoice& choice);

// The symmetric INT8 scale of a threshold: amax / 127, and 1 for amax = 0 (a tensor that was all
// zeros in calibration: every scale quantises it exactly).
float int8_scale_for(double amax);

}  // namespace gnnrt::quantization
