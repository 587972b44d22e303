#include "commands/precision_flags.h"

#include "gnnrt/error.h"

namespace gnnrt::cli {

void add_precision_flags(CLI::App* command, std::string& precision) {
  precision = "fp32";
  CLI::Option* fp16 = command->add_flag_callback(
      "--fp16", [&precision] { precision = "fp16"; },
      "Store node features in float16 between the layers (SpMM and dense layers accumulate in fp32; the "
      "graph structure and the outputs stay fp32)");
  CLI::Option* bf16 = command->add_flag_callback("--bf16", [&precision] { precision = "bf16"; },
                                                 "As --fp16, in bfloat16 (fp32's range, fewer mantissa bits)");
  fp16->excludes(bf16);
}

}  // namespace gnnrt::cli

namespace gnnrt::cli {

void add_int8_flags(CLI::App* command, Int8Flags& flags) {
  command->add_flag("--int8", flags.enabled,
                    "CPU only: store the node features each aggregation (SpMM) reads as int8 with calibrated "
                    "per-tensor scales, and Linear weights as int8 per output channel; fp32 accumulation, bias and "
                    "activation (docs/INT8.md). Needs --calib-data or an existing --calib-cache");
  command->add_option("--calib-data", flags.calib_data,
                      "--int8: graphs to calibrate on and to report the accuracy on, as gnnrt run's --inputs "
                      "(repeatable; x_0, edge_index_0, x_1, ... for several graphs in one .npz)");
  command->add_option("--calib-cache", flags.calib_cache,
                      "--int8: calibration cache: read when it exists (no calibration run), else written after "
                      "calibrating on --calib-data");
  command->add_option("--calibrator", flags.calibrator,
                      "--int8: how scales are chosen: entropy (TensorRT's KL-divergence calibrator), minmax (no "
                      "clipping), percentile")
      ->check(CLI::IsMember({"entropy", "minmax", "percentile"}))
      ->capture_default_str();
  command->add_option("--percentile", flags.percentile, "--calibrator percentile: the percentage of |values| kept")
      ->capture_default_str();
  command->add_option("--layer-precision", flags.layer_precision,
                      "--int8: NAME:fp16 or NAME:fp32 keeps the SpMM or Linear node NAME (see --dump-ir) in that "
                      "precision instead of int8 (repeatable; like trtexec --layerPrecisions)");
  command->add_option("--int8-scales", flags.scales,
                      "--int8: the node features' scales: tensor (one per tensor, from calibration) or row (one "
                      "per node, computed as the features are quantised: more accurate, 4 bytes more per row)")
      ->check(CLI::IsMember({"tensor", "row"}))
      ->capture_default_str();
  command->add_option("--int8-layer-tolerance", flags.layer_tolerance,
                      "--int8 with --calib-data: a layer that alone in int8 moves the outputs by more than this "
                      "fraction of their largest fp32 magnitude stays fp16 (fp32 if fp16 does not pass either; "
                      "reported); negative: keep every layer int8")
      ->capture_default_str();
  command->add_option("--int8-layer-max-flips", flags.layer_max_flips,
                      "--int8 with --calib-data: a layer that alone in int8 changes the top prediction (argmax) of "
                      "more than this percentage of the output rows stays fp16, as past --int8-layer-tolerance; "
                      "negative: not checked")
      ->capture_default_str();
  command->add_option("--calib-labels", flags.calib_labels,
                      "--int8: labels .npz (y and test_mask, as gnnrt accuracy reads) for the first calibration "
                      "graph: the report adds test accuracy at fp32, fp16 and int8")
      ->check(CLI::ExistingFile);
  command->add_flag("--allow-cast", flags.allow_cast,
                    "--int8: convert calibration inputs of a customary other dtype (uint8 or float64 x, int32 "
                    "edge_index) instead of refusing them");
}

}  // namespace gnnrt::cli
