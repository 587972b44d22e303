// How far one engine's outputs are from a reference engine's (an INT8 or 16-bit engine against
// fp32): the largest absolute and relative differences and, for [rows, classes] scores, how often
// the predicted class (argmax of a row) is the same; and classification accuracy against labels.
#pragma once

#include <cstdint>
#include <string>

#include "gnnrt/tensor.h"

namespace gnnrt::runtime {

struct PredictionAgreement {
  double max_abs_error = 0;
  double max_rel_error = 0;  // |a - r| / max(|r|, 1e-6)
  int64_t rows = 0;          // rows compared for the argmax (rank-2 outputs; else 0)
  int64_t argmax_agree = 0;
  double argmax_agreement_percent() const;
  void merge(const PredictionAgreement& other);  // over several graphs: the worst errors, all rows
  std::string describe() const;  // "max abs error 1.2e-03, max rel error ..., argmax agreement 99.9 % (..)"
};

// `what` names the outputs for messages; their shapes must be equal (InvalidInput otherwise).
PredictionAgreement compare_predictions(const Tensor& actual, const Tensor& reference, const std::string& what);

// The row's predicted class: the first largest score.
int64_t argmax_of_row(const Tensor& scores, int64_t row);

struct ClassificationAccuracy {
  int64_t correct = 0, counted = 0;
  double percent() const { return counted ? 100.0 * static_cast<double>(correct) / static_cast<double>(counted) : 0.0; }
};
// How many of the rows `mask` selects (nonzero; nullptr: every row) have their label as argmax.
// The caller checks the shapes: scores [rows, classes], labels and mask [rows].
ClassificationAccuracy classification_accuracy(const Tensor& scores, const Tensor& labels, const Tensor* mask);

}  // namespace gnnrt::runtime
