#include "runtime/prediction_agreement.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace gnnrt::runtime {

double PredictionAgreement::argmax_agreement_percent() const {
  return rows ? 100.0 * static_cast<double>(argmax_agree) / static_cast<double>(rows) : 100.0;
}

void PredictionAgreement::merge(const PredictionAgreement& other) {
  max_abs_error = std::max(max_abs_error, other.max_abs_error);
  max_rel_error = std::max(max_rel_error, other.max_rel_error);
  rows += other.rows;
  argmax_agree += other.argmax_agree;
}

std::string PredictionAgreement::describe() const {
  std::ostringstream out;
  out << std::setprecision(3) << std::scientific << "max abs error " << max_abs_error << ", max rel error "
      << max_rel_error;
  if (rows)
    out << std::fixed << std::setprecision(2) << ", argmax agreement " << argmax_agreement_percent() << " % ("
        << argmax_agree << "/" << rows << ")";
  return out.str();
}

int64_t argmax_of_row(const Tensor& scores, int64_t row) {
  const int64_t classes = scores.dim(1);
  int64_t best = 0;
  for (int64_t c = 1; c < classes; ++c)
    if (scores.scalar_as_double(row * classes + c) > scores.scalar_as_double(row * classes + best)) best = c;
  return best;
}

ClassificationAccuracy classification_accuracy(const Tensor& scores, const Tensor& labels, const Tensor* mask) {
  ClassificationAccuracy accuracy;
  for (int64_t row = 0; row < scores.dim(0); ++row) {
    if (mask && mask->scalar_as_double(row) == 0.0) continue;
    accuracy.correct += argmax_of_row(scores, row) == labels.scalar_as_int(row);
    ++accuracy.counted;
  }
  return accuracy;
}

PredictionAgreement compare_predictions(const Tensor& actual, const Tensor& reference, const std::string& what) {
  if (actual.shape() != reference.shape())
    fail_input(what, ": expected the reference's shape ", shape_to_string(reference.shape()), ", got ",
               actual.describe());
  PredictionAgreement agreement;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const double a = actual.scalar_as_double(i), r = reference.scalar_as_double(i);
    if (std::isnan(a) && std::isnan(r)) continue;  // NaN where the reference has NaN is agreement
    const double difference = std::isnan(a) || std::isnan(r) ? INFINITY : std::fabs(a - r);
    agreement.max_abs_error = std::max(agreement.max_abs_error, difference);
    agreement.max_rel_error = std::max(agreement.max_rel_error, difference / std::max(std::fabs(r), 1e-6));
  }
  if (actual.rank() == 2 && actual.dim(1) > 0) {
    agreement.rows = actual.dim(0);
    for (int64_t row = 0; row < agreement.rows; ++row)
      agreement.argmax_agree += argmax_of_row(actual, row) == argmax_of_row(reference, row);
  }
  return agreement;
}

}  // namespace gnnrt::runtime
