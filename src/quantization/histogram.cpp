#include "quantization/histogram.h"

#include <algorithm>
#include <cmath>

#include "gnnrt/error.h"

namespace gnnrt::quantization {

AbsHistogram::AbsHistogram(size_t bins) : counts_(bins, 0) {
  GNNRT_CHECK(bins >= 2 && bins % 2 == 0, "a histogram needs an even number of bins, got ", bins);
}

void AbsHistogram::grow_to(double magnitude) {
  if (range_ == 0) {
    range_ = magnitude;  // every count so far is a zero, which stays in bin 0
    return;
  }
  const size_t bins = counts_.size();
  while (range_ < magnitude) {
    // Bins 2i and 2i+1 of the old range are exactly bin i of the doubled one.
    for (size_t i = 0; i < bins / 2; ++i) counts_[i] = counts_[2 * i] + counts_[2 * i + 1];
    std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(bins / 2), counts_.end(), 0);
    range_ *= 2;
  }
}

void AbsHistogram::add(const float* values, int64_t count) {
  float batch_max = 0;
  for (int64_t i = 0; i < count; ++i)
    if (std::isfinite(values[i])) batch_max = std::max(batch_max, std::fabs(values[i]));
  if (batch_max > range_) grow_to(batch_max);
  max_abs_ = std::max(max_abs_, batch_max);
  const size_t last = counts_.size() - 1;
  const double per_bin = range_ > 0 ? static_cast<double>(counts_.size()) / range_ : 0.0;
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) {
      ++nonfinite_;
      continue;
    }
    const double position = std::fabs(static_cast<double>(values[i])) * per_bin;
    ++counts_[std::min(static_cast<size_t>(position), last)];
    ++total_;
  }
}

}  // namespace gnnrt::quantization
