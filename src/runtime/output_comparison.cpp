#include "runtime/output_comparison.h"

#include <cmath>
#include <cstdio>

namespace gnnrt::runtime {

std::string ComparisonResult::summary() const {
  if (!shape_matches) return cat(name, ": SHAPE MISMATCH");
  char line[256];
  std::snprintf(line, sizeof(line), "%s: max abs error %.3g, max rel error %.3g, %lld element(s) outside tolerance %s",
                name.c_str(), max_abs_error, max_rel_error, static_cast<long long>(mismatches),
                passed ? "-> ok" : "-> MISMATCH");
  return line;
}

ComparisonResult compare_tensors(const std::string& name, const Tensor& actual, const Tensor& expected,
                                 const Tolerance& tolerance) {
  ComparisonResult result;
  result.name = name;
  if (actual.shape() != expected.shape()) {
    result.shape_matches = false;
    result.passed = false;
    result.name = cat(name, " (got ", actual.describe(), ", expected ", expected.describe(), ")");
    return result;
  }
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const double a = actual.scalar_as_double(i);
    const double e = expected.scalar_as_double(i);
    bool ok;
    if (std::isnan(e) || std::isnan(a)) {
      ok = std::isnan(e) && std::isnan(a);
    } else if (std::isinf(e) || std::isinf(a)) {
      ok = a == e;
    } else {
      const double abs_error = std::fabs(a - e);
      result.max_abs_error = std::max(result.max_abs_error, abs_error);
      if (e != 0.0) result.max_rel_error = std::max(result.max_rel_error, abs_error / std::fabs(e));
      ok = abs_error <= tolerance.atol + tolerance.rtol * std::fabs(e);
    }
    if (!ok) {
      if (result.first_mismatch < 0) result.first_mismatch = i;
      ++result.mismatches;
    }
  }
  result.passed = result.mismatches == 0;
  return result;
}

}  // namespace gnnrt::runtime
