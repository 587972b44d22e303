// Classification accuracy of [rows, classes] scores against labels from an .npz (an array of
// integer labels and, optionally, a boolean mask selecting the rows to score, as PyG's Planetoid
// splits are stored): shared by `gnnrt accuracy` and the report of `gnnrt build --int8`.
#pragma once

#include <optional>
#include <string>

#include "gnnrt/tensor.h"
#include "io/npy.h"
#include "runtime/prediction_agreement.h"

namespace gnnrt::cli {

// The array `key` of `arrays` (read from `path`); fails (InvalidInput) naming the arrays it holds.
const Tensor& find_array(const io::NamedTensors& arrays, const std::string& key, const std::string& path);

struct LabelSet {
  std::string path, label_key, mask_key;
  Tensor labels;
  std::optional<Tensor> mask;  // none when mask_key is ""
};
LabelSet read_labels(const std::string& path, const std::string& label_key, const std::string& mask_key);

// Checks the scores' and the labels' shapes (InvalidInput naming `scores_what` or the labels file)
// and scores the rows the mask selects; fails when it selects none.
runtime::ClassificationAccuracy score_against_labels(const Tensor& scores, const std::string& scores_what,
                                                     const LabelSet& labels);

}  // namespace gnnrt::cli
