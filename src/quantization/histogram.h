// The histogram of a tensor's absolute values that INT8 calibration collects over the calibration
// graphs (as TensorRT's calibrators do). The range is not known before the first batch and may grow
// with each: it starts at the first batch's largest magnitude and doubles as needed, each doubling
// merging neighbouring bins in pairs, so no count is ever lost or moved to a bin it does not fall in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gnnrt::quantization {

class AbsHistogram {
 public:
  static constexpr size_t kDefaultBins = 2048;  // TensorRT's entropy calibrator uses 2048
  explicit AbsHistogram(size_t bins = kDefaultBins);

  // Adds |values[i]| for every finite value; NaN and infinities are counted apart (nonfinite()).
  void add(const float* values, int64_t count);

  size_t bin_count() const { return counts_.size(); }
  // Bin i covers [i * bin_width(), (i + 1) * bin_width()); the last one also holds range() itself.
  double range() const { return range_; }
  double bin_width() const { return range_ / static_cast<double>(counts_.size()); }
  const std::vector<uint64_t>& counts() const { return counts_; }
  uint64_t total() const { return total_; }        // finite values added
  uint64_t nonfinite() const { return nonfinite_; }
  float max_abs() const { return max_abs_; }       // exact, not rounded to a bin

 private:
  void grow_to(double magnitude);

  std::vector<uint64_t> counts_;
  double range_ = 0;  // 0 until a nonzero magnitude is seen: zeros then all sit in bin 0
  uint64_t total_ = 0, nonfinite_ = 0;
  float max_abs_ = 0;
};

}  // namespace gnnrt::quantization
