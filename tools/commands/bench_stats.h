// Statistics and JSON text for gnnrt bench: latency summaries as trtexec prints them, and the few
// JSON helpers the report needs.
#pragma once

#include <string>
#include <vector>

namespace gnnrt::cli {

struct LatencySummary {
  size_t count = 0;
  double min = 0, mean = 0, median = 0, p90 = 0, p95 = 0, p99 = 0, max = 0;
};

// Nearest-rank percentiles over the samples (the median averages the middle two of an even
// count); all zero for no samples.
LatencySummary summarize_latencies(std::vector<double> samples);

// A JSON string literal (quotes, backslashes and control characters escaped).
std::string json_string(const std::string& text);
// A JSON number with 9 significant digits; null for NaN and infinities.
std::string json_number(double value);

}  // namespace gnnrt::cli
