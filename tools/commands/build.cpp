// gnnrt build: ONNX model -> engine file, for a device and an optimisation profile (as trtexec
// --onnx=M.onnx --saveEngine=M.engine --minShapes/--optShapes/--maxShapes).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include <functional>
#include <iomanip>
#include <map>

#include "builder/engine_builder.h"
#include "builder/int8_builder.h"
#include "builder/profile.h"
#include "commands/input_files.h"
#include "commands/label_accuracy.h"
#include "io/npz.h"
#include "runtime/graph_input_checks.h"
#include "runtime/inference.h"
#include "runtime/prediction_agreement.h"
#include "commands/commands.h"
#include "commands/precision_flags.h"
#include "engine/engine_writer.h"
#include "ir/printer.h"
#include "onnx/importer.h"
#include "runtime/backend.h"

namespace gnnrt::cli {
namespace {

struct BuildCommandOptions {
  std::string onnx_path;
  std::string engine_path;
  std::string device = "auto";
  builder::ProfileRequest profile;
  std::vector<std::string> disabled_passes;
  std::string precision = "fp32";
  std::string timing_cache;
  bool verbose = false;
  bool dump_ir = false;
  Int8Flags int8;
};

// Each layer alone in int8 against fp32 and the precision it got (with the flags that make a build
// from the cache alone, which measures nothing, the same engine); then every layer's precision.
void report_layer_precisions(const builder::Int8BuildResult& built, double tolerance, double max_flips) {
  std::string flags;
  for (const builder::Int8LayerError& layer : built.layers) {
    std::cout << "[build] INT8 layer " << layer.layer << " alone: max abs error " << std::setprecision(3)
              << std::scientific << layer.max_abs_error << std::fixed << std::setprecision(2) << " ("
              << 100.0 * layer.relative_error << " % of the largest output), argmax agreement "
              << layer.argmax_agreement_percent << " %";
    if (layer.fp16_relative_error)
      std::cout << "; in fp16 alone " << 100.0 * *layer.fp16_relative_error << " %, argmax agreement "
                << layer.fp16_argmax_agreement_percent.value_or(100.0) << " %";
    std::cout << " -> " << layer.precision << "\n";
    if (layer.precision != "int8") flags += " --layer-precision " + layer.layer + ":" + layer.precision;
  }
  if (!built.layers.empty())
    std::cout << "[build] INT8: " << (flags.empty() ? std::string("every layer measured stays int8")
                                                    : "layers past the tolerance (" + cat(100.0 * tolerance) +
                                                          " % of the largest output, or flipping more than " +
                                                          cat(max_flips) + " % of the predictions) kept in fp16 (fp32 where fp16 is past it too); to "
                                                          "build the same from the cache alone, add" + flags)
              << "\n";
  std::string all;
  for (const auto& [layer, precision] : builder::layer_precisions(built.engine.model.graph))
    all += (all.empty() ? "" : ", ") + layer + " " + precision;
  std::cout << "[build] INT8 engine's layer precisions: " << all << "\n";
}

// With no opt size given, an INT8 build for CUDA times its SpMM tactics at the first calibration
// graph's sizes, as `gnnrt bench` times them at its graph's: the graphs an engine is calibrated on
// are the ones it is meant for. Any of --opt-shapes, --opt-nodes and --opt-edges turns this off;
// --opt-graphs keeps its own value. Sizes the profile cannot take (a static dimension, or one
// outside the min/max the user gave) leave the request as it was: the build's own checks apply.
// (A CPU engine has no tactics to time: its profile stays as given, so that a build from the
// calibration cache alone, with the same flags, writes the same file.)
void optimise_for_calibration_graph(builder::ProfileRequest& profile, const ir::Graph& graph,
                                    const runtime::TensorMap& first) {
  if (!profile.opt_shapes.empty() || profile.opt_nodes >= 0 || profile.opt_edges >= 0) return;
  const runtime::GraphInputRoles roles = runtime::find_graph_input_roles(graph);
  auto x = first.find(roles.node_features);
  auto edge_index = first.find(roles.edge_index);
  if (x == first.end() || edge_index == first.end() || x->second.rank() < 1 || edge_index->second.rank() != 2) return;
  builder::ProfileRequest derived = profile;
  derived.opt_nodes = x->second.dim(0);
  derived.opt_edges = edge_index->second.dim(1);
  auto batch = first.find(roles.batch);
  if (batch != first.end() && profile.opt_graphs < 0 && batch->second.on_host() && batch->second.numel() > 0) {
    int64_t largest = -1;
    for (int64_t i = 0; i < batch->second.numel(); ++i) largest = std::max(largest, batch->second.scalar_as_int(i));
    if (largest >= 0 && largest < derived.opt_nodes) derived.opt_graphs = largest + 1;  // else ids are junk
  }
  try {
    builder::make_profile(graph, derived);
  } catch (const Error&) {
    return;
  }
  profile = derived;
  std::cout << "[build] INT8: tactics timed at the first calibration graph's sizes (--opt-nodes " << derived.opt_nodes
            << " --opt-edges " << derived.opt_edges
            << (derived.opt_graphs > 0 ? cat(" --opt-graphs ", derived.opt_graphs) : std::string())
            << "; give those flags to build the same from the calibration cache alone, or others to optimise for "
               "other sizes)\n";
}

// --int8's report: the INT8 engine against the fp32 one on the calibration graphs, per output; with
// labels, test accuracy at fp32, fp16 and int8 on the first graph. The INT8 and fp16 engines run
// on the device they were built for; the fp32 engine is the CPU reference calibration ran.
void report_int8_accuracy(const builder::Int8BuildResult& built, const builder::Int8Calibration& calibration,
                          const BuildCommandOptions& options, const std::function<ir::Model()>& import,
                          const builder::BuildOptions& build_options) {
  std::map<std::string, runtime::PredictionAgreement> per_output;
  std::vector<runtime::TensorMap> fp32_outputs, int8_outputs;
  const std::unique_ptr<runtime::DeviceBackend> device =
      build_options.device == "cuda" ? runtime::create_device_backend("cuda") : nullptr;
  for (const runtime::TensorMap& graph : calibration.graphs) {
    fp32_outputs.push_back(runtime::run_engine(*built.fp32_engine, graph, calibration.bind_options).outputs);
    int8_outputs.push_back(runtime::run_engine(built.engine, graph, calibration.bind_options, device.get()).outputs);
    for (const auto& [name, reference] : fp32_outputs.back())
      per_output[name].merge(runtime::compare_predictions(int8_outputs.back().at(name), reference, "output " + name));
  }
  for (const auto& [name, agreement] : per_output)
    std::cout << "[build] INT8 vs fp32 on the " << calibration.graphs.size() << " calibration graph"
              << (calibration.graphs.size() == 1 ? "" : "s") << ", output '" << name << "': " << agreement.describe()
              << "\n";
  if (options.int8.calib_labels.empty()) return;
  builder::BuildOptions fp16_options = build_options;
  fp16_options.precision = "fp16";
  const engine::EngineContents fp16 = builder::build_engine(import(), fp16_options);
  const runtime::TensorMap fp16_outputs =
      runtime::run_engine(fp16, calibration.graphs.front(), calibration.bind_options, device.get()).outputs;
  const LabelSet labels = read_labels(options.int8.calib_labels, options.int8.label_key, options.int8.mask_key);
  for (const ir::ValueInfo& output : built.engine.model.graph.outputs) {
    const auto accuracy = [&](const runtime::TensorMap& outputs, const char* precision) {
      const Tensor& scores = outputs.at(output.name);
      return cat(std::fixed, std::setprecision(2),
                 score_against_labels(scores, cat(precision, " output '", output.name, "'"), labels).percent(), " %");
    };
    std::cout << "[build] test accuracy (" << options.int8.mask_key << ") of output '" << output.name << "': fp32 "
              << accuracy(fp32_outputs.front(), "fp32") << ", fp16 " << accuracy(fp16_outputs, "fp16") << ", int8 "
              << accuracy(int8_outputs.front(), "int8") << "\n";
  }
}

int build_command(const BuildCommandOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const std::string device = options.device != "auto" ? options.device
                             : runtime::cuda_usable() ? "cuda"
                                                      : "cpu";
  std::cout << "[build] importing " << options.onnx_path << "\n";
  onnx_import::ImportOptions import_options;
  import_options.verbose = options.verbose;
  builder::BuildOptions build_options;
  build_options.device = device;
  build_options.profile = options.profile;
  build_options.disabled_passes = options.disabled_passes;
  build_options.verbose_passes = options.verbose;
  build_options.precision = options.precision;
  build_options.timing_cache_path = options.timing_cache;
  const auto import = [&] { return onnx_import::import_onnx_file(options.onnx_path, import_options); };
  const Int8Flags& int8 = options.int8;
  if (!int8.enabled && (!int8.calib_data.empty() || !int8.calib_cache.empty() || !int8.layer_precision.empty() ||
                        !int8.calib_labels.empty()))
    fail_input("--calib-data, --calib-cache, --calib-labels and --layer-precision apply to --int8 builds: add --int8");
  if (int8.enabled && options.precision != "fp32")
    fail_input("--int8 and --", options.precision, " exclude each other: give one precision");
  engine::EngineContents engine;
  if (int8.enabled) {
    builder::Int8Calibration calibration;
    calibration.cache_path = int8.calib_cache;
    calibration.bind_options.allow_cast = int8.allow_cast;
    builder::apply_int8_choices({int8.calibrator, "--calibrator", int8.percentile, int8.layer_tolerance,
                                 int8.layer_max_flips, int8.layer_precision, int8.scales == "row"},
                                build_options, calibration);
    if (!int8.calib_data.empty()) {
      const ir::Model model = import();
      std::vector<std::string> input_names;
      for (const ir::ValueInfo& input : model.graph.inputs) input_names.push_back(input.name);
      calibration.graphs = load_run_inputs(int8.calib_data, {}, input_names).graphs;
      for (const std::string& path : int8.calib_data)
        calibration.graphs_source += (calibration.graphs_source.empty() ? "" : ", ") + path;
      if (!calibration.graphs.empty() && device == "cuda")
        optimise_for_calibration_graph(build_options.profile, model.graph, calibration.graphs.front());
    }
    if (!int8.calib_labels.empty() && calibration.graphs.empty())
      fail_input("--calib-labels labels the calibration graphs: give --calib-data too");
    builder::Int8BuildResult built = builder::build_int8_engine(import, build_options, calibration, &std::cout);
    report_layer_precisions(built, calibration.layer_tolerance, calibration.layer_max_flips_percent);
    if (built.fp32_engine) report_int8_accuracy(built, calibration, options, import, build_options);
    engine = std::move(built.engine);
  } else {
    engine = builder::build_engine(import(), build_options, &std::cout);
  }
  size_t on_device = 0;
  for (const auto& [node, choice] : engine.kernel_choices) on_device += choice.rfind("cuda:", 0) == 0;
  std::cout << "[build] target: " << device
            << (device == "cuda" ? cat(" (sm_", engine.target.compute_capability, ", ", engine.target.device_name, ")")
                                 : std::string())
            << "; " << engine.kernel_choices.size() << " nodes, " << on_device << " with CUDA kernels\n";
  if (options.dump_ir) std::cout << "[build] the optimised graph:\n" << ir::print_graph(engine.model.graph);
  engine::write_engine_file(options.engine_path, engine);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[build] wrote " << options.engine_path << " (" << std::filesystem::file_size(options.engine_path)
            << " bytes) in " << seconds << " s\n";
  return 0;
}

}  // namespace

void add_build_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<BuildCommandOptions>();
  CLI::App* command = app.add_subcommand("build", "Build an engine file from an ONNX model (like trtexec --saveEngine)");
  command->add_option("--onnx", options->onnx_path, "ONNX model exported from PyG")->required()->check(CLI::ExistingFile);
  command->add_option("--save", options->engine_path, "Engine file to write")->required();
  command->add_option("--device", options->device,
                      "cuda, cpu, or auto (cuda when a usable GPU is present)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  builder::ProfileRequest& p = options->profile;
  command->add_option("--min-shapes", p.min_shapes, "Smallest input shapes, trtexec-style: x:1x1433,edge_index:2x0");
  command->add_option("--opt-shapes", p.opt_shapes, "Shapes to optimise for (same form)");
  command->add_option("--max-shapes", p.max_shapes, "Largest input shapes (same form)");
  command->add_option("--min-nodes", p.min_nodes, "Smallest num_nodes (every dimension sharing x's first)");
  command->add_option("--opt-nodes", p.opt_nodes, "num_nodes to optimise for");
  command->add_option("--max-nodes", p.max_nodes, "Largest num_nodes");
  command->add_option("--min-edges", p.min_edges, "Smallest num_edges (every dimension sharing edge_index's second)");
  command->add_option("--opt-edges", p.opt_edges, "num_edges to optimise for");
  command->add_option("--max-edges", p.max_edges, "Largest num_edges");
  command->add_option("--opt-graphs", p.opt_graphs,
                      "Graphs a batch holds to optimise for (graph-level models; the SpMM tactics are timed on that many "
                      "small graphs; default: one per 25 nodes)");
  command->add_option("--max-graphs", p.max_graphs, "Most graphs in one batch (bound on the values of batch + 1)");
  command->add_option("--disable-pass", options->disabled_passes,
                      "Skip this optimisation pass (repeatable): constant_folding, shape_simplification, "
                      "dead_code_elimination, ...");
  add_precision_flags(command, options->precision);
  add_int8_flags(command, options->int8);
  command->add_option("--timing-cache", options->timing_cache,
                      "CUDA: keep the SpMM tactic timings in this file and reuse them in later builds on the same card "
                      "(as trtexec --timingCacheFile); created when missing");
  command->add_flag("--verbose,-v", options->verbose, "Say what the importer and each optimisation pass do");
  command->add_flag("--dump-ir", options->dump_ir,
                    "Print the optimised graph, one line per node with its kernel's inputs, attributes and output "
                    "types (what the engine runs; like trtexec --dumpLayerInfo)");
  command->callback([options, &exit_code] { exit_code = build_command(*options); });
}

}  // namespace gnnrt::cli
