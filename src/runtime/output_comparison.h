// Compares computed outputs with reference outputs elementwise: |actual - expected| <= atol +
// rtol * |expected|, NaN matching NaN, +-inf matching itself. Used by `gnnrt run --compare` and
// by the fixture tests.
#pragma once

#include <string>
#include <vector>

#include "gnnrt/tensor.h"

namespace gnnrt::runtime {

struct Tolerance {
  double atol = 1e-4;  // float32 defaults: PyG and gnnrt sum in different orders
  double rtol = 1e-3;
};

struct ComparisonResult {
  std::string name;
  bool shape_matches = true;
  bool passed = true;
  double max_abs_error = 0.0;
  double max_rel_error = 0.0;  // relative to |expected|, over elements where expected != 0
  int64_t mismatches = 0;      // elements outside tolerance (NaN placement counts)
  int64_t first_mismatch = -1; // flat index
  std::string summary() const;  // one line for the user
};

// Shapes must agree exactly; values are compared as double.
ComparisonResult compare_tensors(const std::string& name, const Tensor& actual, const Tensor& expected,
                                 const Tolerance& tolerance);

}  // namespace gnnrt::runtime
