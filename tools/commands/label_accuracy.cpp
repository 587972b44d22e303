#include "commands/label_accuracy.h"

#include "io/npz.h"

namespace gnnrt::cli {

const Tensor& find_array(const io::NamedTensors& arrays, const std::string& key, const std::string& path) {
  for (const auto& [name, tensor] : arrays)
    if (name == key) return tensor;
  std::string names;
  for (const auto& entry : arrays) names += (names.empty() ? "" : ", ") + entry.first;
  fail_input(path, ": has no array '", key, "'; it holds: ", names);
}

LabelSet read_labels(const std::string& path, const std::string& label_key, const std::string& mask_key) {
  const io::NamedTensors arrays = io::read_npz(path);
  LabelSet set{path, label_key, mask_key, find_array(arrays, label_key, path), std::nullopt};
  if (!mask_key.empty()) set.mask = find_array(arrays, mask_key, path);
  return set;
}

runtime::ClassificationAccuracy score_against_labels(const Tensor& scores, const std::string& scores_what,
                                                     const LabelSet& set) {
  if (scores.rank() != 2)
    fail_input(scores_what, ": expected [num_nodes, num_classes] scores, got ", scores.describe());
  const int64_t rows = scores.dim(0);
  if (set.labels.rank() != 1 || set.labels.dim(0) != rows || !is_integer(set.labels.dtype()))
    fail_input(set.path, ":", set.label_key, ": expected ", rows, " integer labels, got ", set.labels.describe());
  if (set.mask && (set.mask->rank() != 1 || set.mask->dim(0) != rows))
    fail_input(set.path, ":", set.mask_key, ": expected ", rows, " mask entries, got ", set.mask->describe());
  const runtime::ClassificationAccuracy accuracy =
      runtime::classification_accuracy(scores, set.labels, set.mask ? &*set.mask : nullptr);
  if (accuracy.counted == 0) fail_input(set.path, ":", set.mask_key, ": the mask selects no rows");
  return accuracy;
}

}  // namespace gnnrt::cli
