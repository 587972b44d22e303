#include "commands/bench_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace gnnrt::cli {
namespace {

// The nearest-rank percentile p (0 < p <= 100) of sorted samples.
double nearest_rank(const std::vector<double>& sorted, double percent) {
  const size_t n = sorted.size();
  const auto rank = static_cast<size_t>(std::ceil(percent / 100.0 * static_cast<double>(n)));
  return sorted[std::clamp<size_t>(rank, 1, n) - 1];
}

}  // namespace

LatencySummary summarize_latencies(std::vector<double> samples) {
  LatencySummary summary;
  if (samples.empty()) return summary;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  summary.count = n;
  summary.min = samples.front();
  summary.max = samples.back();
  summary.median = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  summary.p90 = nearest_rank(samples, 90);
  summary.p95 = nearest_rank(samples, 95);
  summary.p99 = nearest_rank(samples, 99);
  double total = 0;
  for (double s : samples) total += s;
  summary.mean = total / static_cast<double>(n);
  return summary;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  std::ostringstream out;
  out << std::setprecision(9) << value;
  return out.str();
}

}  // namespace gnnrt::cli
