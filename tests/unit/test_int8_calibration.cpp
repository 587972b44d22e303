// INT8 calibration: the histogram of magnitudes, the three calibrators' thresholds on known
// distributions (fixed seeds), and the calibration cache file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <vector>

#include "quantization/calibration_cache.h"
#include "quantization/calibrators.h"
#include "quantization/histogram.h"
#include "test_support.h"

namespace gnnrt::quantization {
namespace {

using testing::TempFolderTest;

std::vector<float> uniform_samples(size_t count, float low, float high, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> draw(low, high);
  std::vector<float> values(count);
  for (float& v : values) v = draw(rng);
  return values;
}

// N(0, 1) samples and `outliers` values of magnitude `outlier` (alternating signs) at the end.
std::vector<float> gaussian_with_outliers(size_t count, size_t outliers, float outlier, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> draw(0.0f, 1.0f);
  std::vector<float> values(count);
  for (float& v : values) v = draw(rng);
  for (size_t i = 0; i < outliers; ++i) values.push_back(i % 2 ? -outlier : outlier);
  return values;
}

AbsHistogram histogram_of(const std::vector<float>& values) {
  AbsHistogram histogram;
  histogram.add(values.data(), static_cast<int64_t>(values.size()));
  return histogram;
}

double amax_of(const std::vector<float>& values, Calibrator method, double percentile = 99.99) {
  return choose_amax(histogram_of(values), CalibratorChoice{method, percentile});
}

TEST(Int8Histogram, CountsEachMagnitudeInItsBin) {
  AbsHistogram histogram(8);
  const std::vector<float> values{-8.0f, 0.5f, 1.0f, -1.5f, 7.9f, 0.0f};
  histogram.add(values.data(), static_cast<int64_t>(values.size()));
  EXPECT_EQ(histogram.range(), 8.0);
  EXPECT_EQ(histogram.total(), 6u);
  EXPECT_EQ(histogram.max_abs(), 8.0f);
  // Bins of width 1: 0 and 0.5 in bin 0, 1 and 1.5 in bin 1, 7.9 and 8 (the range itself) in bin 7.
  EXPECT_EQ(histogram.counts(), (std::vector<uint64_t>{2, 2, 0, 0, 0, 0, 0, 2}));
}

TEST(Int8Histogram, GrowingTheRangeMergesBinsWithoutLosingCounts) {
  AbsHistogram histogram(8);
  const std::vector<float> first{1.0f, 3.5f, -4.0f};  // range 4: bins of width 0.5
  histogram.add(first.data(), 3);
  const std::vector<float> second{-13.0f, 0.2f, std::nanf(""), INFINITY};  // range 16: bins of width 2
  histogram.add(second.data(), 4);
  EXPECT_EQ(histogram.range(), 16.0);
  EXPECT_EQ(histogram.total(), 5u);
  EXPECT_EQ(histogram.nonfinite(), 2u);
  EXPECT_EQ(histogram.max_abs(), 13.0f);
  // 0.2 and 1 in [0, 2), 3.5 and 4 in [2, 4), 13 in [12, 14).
  EXPECT_EQ(histogram.counts(), (std::vector<uint64_t>{2, 2, 0, 0, 0, 0, 1, 0}));
}

TEST(Int8Calibrators, MinMaxScaleIsTheLargestMagnitudeOver127) {
  const std::vector<float> values = uniform_samples(50000, -3.0f, 3.0f, 11);
  float largest = 0;
  for (float v : values) largest = std::max(largest, std::fabs(v));
  const double amax = amax_of(values, Calibrator::MinMax);
  EXPECT_EQ(amax, largest);
  EXPECT_EQ(int8_scale_for(amax), static_cast<float>(static_cast<double>(largest) / 127.0));
  EXPECT_GT(largest, 2.99f);
}

TEST(Int8Calibrators, PercentileFindsTheQuantileOfAUniform) {
  const std::vector<float> values = uniform_samples(100000, 0.0f, 1.0f, 5);
  const AbsHistogram histogram = histogram_of(values);
  EXPECT_NEAR(choose_amax(histogram, {Calibrator::Percentile, 90.0}), 0.9, 2 * histogram.bin_width());
  EXPECT_NEAR(choose_amax(histogram, {Calibrator::Percentile, 50.0}), 0.5, 2 * histogram.bin_width());
  EXPECT_EQ(choose_amax(histogram, {Calibrator::Percentile, 100.0}), histogram.max_abs());
}

// A Gaussian with a few huge outliers: minmax follows the outlier, the clipping calibrators keep
// the bulk (|x| < 5 holds all but ~1e-6 of N(0, 1)) and clip far below the outlier.
TEST(Int8Calibrators, EntropyAndPercentileClipOutliersOfAGaussian) {
  const std::vector<float> values = gaussian_with_outliers(200000, 4, 50.0f, 42);
  EXPECT_EQ(amax_of(values, Calibrator::MinMax), 50.0);
  const double percentile = amax_of(values, Calibrator::Percentile, 99.99);
  EXPECT_GT(percentile, 3.5);  // N(0, 1)'s 99.99th percentile of |x| is 3.89
  EXPECT_LT(percentile, 4.5);
  const double entropy = amax_of(values, Calibrator::Entropy);
  EXPECT_GT(entropy, 3.0);
  EXPECT_LT(entropy, 12.5);  // at most a quarter of the outlier
}

// TensorRT's entropy calibrator never clips below 128 of the 2048 bins: with an outlier 1000 sigma
// away that is 62.5; it clips there or a little above, far below the outlier.
TEST(Int8Calibrators, EntropyClipsAFarOutlierAtItsSmallestThreshold) {
  const std::vector<float> values = gaussian_with_outliers(100000, 3, 1000.0f, 3);
  const double entropy = amax_of(values, Calibrator::Entropy);
  EXPECT_GE(entropy, 62.5 - 1e-9);
  EXPECT_LT(entropy, 200.0);
}

// Without outliers the whole range carries information: entropy keeps most of it.
TEST(Int8Calibrators, EntropyKeepsMostOfAUniformRange) {
  const std::vector<float> values = uniform_samples(100000, -2.0f, 2.0f, 9);
  const double entropy = amax_of(values, Calibrator::Entropy);
  EXPECT_GT(entropy, 1.6);
  EXPECT_LE(entropy, 2.0);
}

TEST(Int8Calibrators, AllZeroTensorGetsAUsableScale) {
  const std::vector<float> zeros(100, 0.0f);
  for (Calibrator method : {Calibrator::Entropy, Calibrator::MinMax, Calibrator::Percentile})
    EXPECT_EQ(amax_of(zeros, method), 0.0) << calibrator_name(method);
  EXPECT_EQ(int8_scale_for(0.0), 1.0f);
}

TEST(Int8Calibrators, NamesAndPercentilesAreChecked) {
  EXPECT_EQ(parse_calibrator("minmax", "--calibrator"), Calibrator::MinMax);
  EXPECT_EQ(parse_calibrator("percentile", "--calibrator"), Calibrator::Percentile);
  testing::expect_error(ErrorCode::InvalidInput, [] { parse_calibrator("kl", "--calibrator"); },
                        {"--calibrator", "'kl'", "entropy, minmax, percentile"});
  testing::expect_error(ErrorCode::InvalidInput, [] { check_percentile(0.0); }, {"(0, 100]"});
  testing::expect_error(ErrorCode::InvalidInput, [] { check_percentile(100.5); }, {"(0, 100]"});
  check_percentile(100.0);
}

class Int8CalibrationCache : public TempFolderTest {};

TEST_F(Int8CalibrationCache, RoundTripsEveryScaleExactly) {
  CalibrationTable table;
  table.calibrator = "percentile:99.99";
  table.scales = {{"/conv1/MatMul_output_0", 0.0218271613f},
                  {"name with spaces: and a colon", 1.0f / 3.0f},
                  {"tiny", 1.17549435e-38f},
                  {"large", 3.0e30f}};
  write_calibration_cache(path("model.cache"), table);
  const CalibrationTable loaded = read_calibration_cache(path("model.cache"));
  EXPECT_EQ(loaded.calibrator, table.calibrator);
  EXPECT_EQ(loaded.scales, table.scales);  // float equality: 9 digits read back as the same float
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder()), {}), 1) << "a temporary was left behind";
  const std::string text = testing::read_file(path("model.cache"));
  EXPECT_EQ(text.rfind("gnnrt-int8-calibration 1 percentile:99.99\n", 0), 0u) << text;
}

TEST_F(Int8CalibrationCache, CorruptCachesNameTheFileAndLine) {
  const std::string header = "gnnrt-int8-calibration 1 entropy\n";
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
      {"", {"the file is empty"}},
      {"TRT-8600-EntropyCalibration2\nx: 3c010a14\n",
       {"line 1:", "expected the header", "not a gnnrt calibration cache"}},
      {"gnnrt-int8-calibration 9 entropy\n", {"line 1:", "format version '9'", "reads version 1"}},
      {"gnnrt-int8-calibration 1 kl\n", {"line 1:", "calibrator 'kl'"}},
      {header + "# comment\na: 0.5\nb 0.5\n", {"line 4:", "expected \"tensor: scale\"", "b 0.5"}},
      {header + "a: 0.5\nb: -0.5\n", {"line 3:", "'b'", "positive finite number", "-0.5"}},
      {header + "a: 0.5x\n", {"line 2:", "'a'", "0.5x"}},
      {header + "a: nan\n", {"line 2:", "'a'"}},
      {header + "a: 1e99\n", {"line 2:", "'a'"}},
      {header + "a: 0.5\na: 0.25\n", {"line 3:", "'a' is named twice"}},
  };
  for (const auto& [content, parts] : cases) {
    testing::write_file(path("bad.cache"), content);
    std::vector<std::string> expected = parts;
    expected.push_back(path("bad.cache"));
    testing::expect_error(
        ErrorCode::InvalidInput, [&] { read_calibration_cache(path("bad.cache")); }, expected);
  }
  testing::expect_error(ErrorCode::InvalidInput, [&] { read_calibration_cache(path("missing.cache")); },
                        {"missing.cache", "cannot open"});
}

}  // namespace
}  // namespace gnnrt::quantization
