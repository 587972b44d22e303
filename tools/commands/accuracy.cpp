// gnnrt accuracy: classification accuracy of saved predictions against labels, over a mask.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>

#include "commands/commands.h"
#include "commands/label_accuracy.h"
#include "io/npz.h"
#include "runtime/prediction_agreement.h"

namespace gnnrt::cli {
namespace {

struct AccuracyOptions {
  std::string predictions_path;
  std::string output_name = "out";
  std::string labels_path;
  std::string label_key = "y";
  std::string mask_key = "test_mask";
  std::string reference_path;  // fp32 outputs to compare a 16-bit engine's with
};

// A 16-bit or INT8 engine against its fp32 reference: the largest absolute and relative differences
// and how often the predicted class is the same (over every row: the mask is for the accuracy).
void report_against_reference(const Tensor& logits, const AccuracyOptions& options) {
  const io::NamedTensors reference_file = io::read_npz(options.reference_path);
  const Tensor& reference = find_array(reference_file, options.output_name, options.reference_path);
  const runtime::PredictionAgreement agreement =
      runtime::compare_predictions(logits, reference, cat(options.reference_path, ":", options.output_name));
  std::cout << "against " << options.reference_path << ": " << agreement.describe() << "\n";
}

int accuracy_command(const AccuracyOptions& options) {
  const io::NamedTensors predictions_file = io::read_npz(options.predictions_path);
  const Tensor& logits = find_array(predictions_file, options.output_name, options.predictions_path);
  const LabelSet labels = read_labels(options.labels_path, options.label_key, options.mask_key);
  const runtime::ClassificationAccuracy accuracy =
      score_against_labels(logits, options.predictions_path + ":" + options.output_name, labels);
  std::cout << std::fixed << std::setprecision(2) << "accuracy" << (labels.mask ? " (" + options.mask_key + ")" : "")
            << ": " << accuracy.percent() << " % (" << accuracy.correct << "/" << accuracy.counted << ")\n";
  if (!options.reference_path.empty()) report_against_reference(logits, options);
  return 0;
}

}  // namespace

void add_accuracy_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<AccuracyOptions>();
  CLI::App* command = app.add_subcommand("accuracy", "Classification accuracy of saved outputs against labels");
  command->add_option("--predictions", options->predictions_path, "Outputs written by gnnrt run --output")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--output-name", options->output_name, "Which array of --predictions holds the scores")
      ->capture_default_str();
  command->add_option("--labels", options->labels_path, ".npz with the labels (and the mask)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--label-key", options->label_key, "Array of --labels holding the class ids")->capture_default_str();
  command->add_option("--mask", options->mask_key, "Boolean array of --labels selecting the rows to score ('' for all)")
      ->capture_default_str();
  command->add_option("--reference", options->reference_path,
                      "fp32 outputs (gnnrt run --output) to compare these with, e.g. an --fp16 engine's: prints max "
                      "abs/rel error and argmax agreement")
      ->check(CLI::ExistingFile);
  command->callback([options, &exit_code] { exit_code = accuracy_command(*options); });
}

}  // namespace gnnrt::cli
