#include "quantization/calibrators.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "gnnrt/error.h"

namespace gnnrt::quantization {
namespace {

constexpr size_t kQuantizedLevels = 128;  // magnitudes 0..127 of a symmetric int8

double percentile_amax(const AbsHistogram& histogram, double percentile) {
  const auto& counts = histogram.counts();
  const double wanted = percentile / 100.0 * static_cast<double>(histogram.total());
  uint64_t below = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    below += counts[i];
    if (static_cast<double>(below) >= wanted) return std::min(static_cast<double>(i + 1) * histogram.bin_width(),
                                                              static_cast<double>(histogram.max_abs()));
  }
  return histogram.max_abs();
}

// KL(P || Q) over the bins where P > 0; infinite where Q is 0 there.
double kl_divergence(const std::vector<double>& p, const std::vector<double>& q) {
  double divergence = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 0) continue;
    if (q[i] == 0) return std::numeric_limits<double>::infinity();
    divergence += p[i] * std::log(p[i] / q[i]);
  }
  return divergence;
}

// MXNet's _smooth_distribution, as TensorRT's calibrator does it: empty bins get a small count
// taken evenly from the others, so that KL(P || Q) stays finite where Q lacks what P has.
void smooth(std::vector<double>& counts) {
  constexpr double kEpsilon = 1e-4;
  size_t zeros = 0;
  for (double v : counts) zeros += v == 0;
  if (zeros == 0 || zeros == counts.size()) return;
  const double taken = kEpsilon * static_cast<double>(zeros) / static_cast<double>(counts.size() - zeros);
  for (double& v : counts) v = v == 0 ? kEpsilon : std::max(v - taken, kEpsilon);
}

void normalize(std::vector<double>& distribution) {
  double sum = 0;
  for (double v : distribution) sum += v;
  if (sum > 0)
    for (double& v : distribution) v /= sum;
}

double entropy_amax(const AbsHistogram& histogram) {
  const auto& counts = histogram.counts();
  const size_t bins = counts.size();
  if (bins <= kQuantizedLevels) return histogram.max_abs();
  double best_divergence = std::numeric_limits<double>::infinity();
  size_t best_edge = bins;
  std::vector<double> reference, candidate;
  for (size_t edge = kQuantizedLevels; edge <= bins; ++edge) {
    // P: the histogram clipped at `edge`, what lies beyond added to the last kept bin.
    reference.assign(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(edge));
    double outliers = 0;
    for (size_t i = edge; i < bins; ++i) outliers += static_cast<double>(counts[i]);
    reference.back() += outliers;
    // Q: the histogram's first `edge` bins (without the outliers P holds) merged into 128 levels,
    // each level spread evenly back over the bins where P is nonzero; the last level also takes
    // the remainder bins. The outliers are what Q lacks: clipping costs divergence.
    candidate.assign(edge, 0.0);
    const size_t merged = edge / kQuantizedLevels;
    for (size_t level = 0; level < kQuantizedLevels; ++level) {
      const size_t start = level * merged, stop = level + 1 == kQuantizedLevels ? edge : start + merged;
      double level_count = 0;
      size_t nonzero = 0;
      for (size_t i = start; i < stop; ++i) {
        level_count += static_cast<double>(counts[i]);
        nonzero += reference[i] != 0;
      }
      if (nonzero == 0) continue;
      for (size_t i = start; i < stop; ++i)
        if (reference[i] != 0) candidate[i] = level_count / static_cast<double>(nonzero);
    }
    smooth(reference);
    smooth(candidate);
    normalize(reference);
    normalize(candidate);
    const double divergence = kl_divergence(reference, candidate);
    // Ties go to the smaller threshold (finer steps), as TensorRT's argmin does.
    if (divergence < best_divergence) {
      best_divergence = divergence;
      best_edge = edge;
    }
  }
  return std::min(static_cast<double>(best_edge) * histogram.bin_width(), static_cast<double>(histogram.max_abs()));
}

}  // namespace

std::string calibrator_name(Calibrator method) {
  switch (method) {
    case Calibrator::Entropy: return "entropy";
    case Calibrator::MinMax: return "minmax";
    case Calibrator::Percentile: return "percentile";
  }
  return "?";
}

Calibrator parse_calibrator(const std::string& name, const std::string& what) {
  if (name == "entropy") return Calibrator::Entropy;
  if (name == "minmax") return Calibrator::MinMax;
  if (name == "percentile") return Calibrator::Percentile;
  fail_input(what, ": calibrator '", name, "' is not one of entropy, minmax, percentile");
}

void check_percentile(double percentile) {
  if (!(percentile > 0 && percentile <= 100))
    fail_input("--percentile ", percentile, ": expected a percentage in (0, 100], e.g. 99.99");
}

double choose_amax(const AbsHistogram& histogram, const CalibratorChoice& choice) {
  if (histogram.max_abs() == 0) return 0;
  switch (choice.method) {
    case Calibrator::MinMax: return histogram.max_abs();
    case Calibrator::Percentile: return percentile_amax(histogram, choice.percentile);
    case Calibrator::Entropy: return entropy_amax(histogram);
  }
  return histogram.max_abs();
}

float int8_scale_for(double amax) { return amax > 0 ? static_cast<float>(amax / 127.0) : 1.0f; }

}  // namespace gnnrt::quantization
