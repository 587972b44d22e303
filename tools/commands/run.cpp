// gnnrt run: run a model on inputs from .npz/.npy files (one graph, or several as one batch),
// write and compare its outputs.
#include <chrono>
#include <iostream>
#include <memory>

#include "commands/commands.h"
#include "commands/precision_flags.h"
#include "builder/engine_builder.h"
#include "commands/input_files.h"
#include "commands/run_graph_batch.h"
#include "engine/engine_reader.h"
#include "io/npz.h"
#include "onnx/importer.h"
#include "runtime/divergence_check.h"
#include "runtime/graph_input_checks.h"
#include "runtime/inference.h"
#include "runtime/profile_check.h"
#include "runtime/output_comparison.h"
#include "runtime/prediction_agreement.h"

namespace gnnrt::cli {
namespace {

struct RunOptions {
  std::string onnx_path;
  std::string engine_path;
  std::vector<std::string> input_npz;
  std::vector<std::string> named_inputs;  // name=file.npy
  std::string output_path;
  std::string device = "auto";
  std::string compare_path;
  double rtol = 1e-3;
  double atol = 1e-4;
  std::string check_against;
  bool allow_cast = false;
  std::vector<std::string> disabled_passes;
  std::string precision = "fp32";
  bool verbose = false;
};

std::string resolve_device(const std::string& requested) {
  if (requested == "auto") return runtime::cuda_usable() ? "cuda" : "cpu";
  return requested;
}

int compare_outputs(const RunOptions& options, const runtime::TensorMap& outputs) {
  const io::NamedTensors reference = io::read_npz(options.compare_path);
  const runtime::Tolerance tolerance{options.atol, options.rtol};
  bool all_passed = true;
  size_t compared = 0;
  for (const auto& [name, expected] : reference) {
    auto it = outputs.find(name);
    if (it == outputs.end()) {
      std::string names;
      for (const auto& entry : outputs) names += (names.empty() ? "" : ", ") + entry.first;
      fail_input(options.compare_path, ": array '", name, "' is not an output of the model; its outputs are: ", names);
    }
    const runtime::ComparisonResult result = runtime::compare_tensors(name, it->second, expected, tolerance);
    std::cout << "compare " << result.summary() << "\n";
    all_passed = all_passed && result.passed;
    ++compared;
  }
  for (const auto& [name, tensor] : outputs) {
    bool found = false;
    for (const auto& entry : reference) found = found || entry.first == name;
    if (!found) std::cout << "compare " << name << ": not in " << options.compare_path << ", not compared\n";
  }
  std::cout << "compare: " << compared << " output(s), atol " << options.atol << ", rtol " << options.rtol << ": "
            << (all_passed ? "PASSED" : "FAILED") << "\n";
  return all_passed ? 0 : 3;
}

int check_against_cpu(const RunOptions& options, const engine::EngineContents& engine,
                      const runtime::TensorMap& inputs, const runtime::BindOptions& bind_options,
                      runtime::DeviceBackend* backend) {
  if (!backend) fail_input("--check-against cpu compares a device run with the CPU: use it with --device cuda");
  runtime::BoundInputs bound = runtime::bind_inputs(engine.model.graph, inputs, bind_options);
  runtime::check_inputs_in_profile(engine.profile, engine.model.graph, bound.tensors);
  const runtime::DivergenceReport report = runtime::find_first_divergence(
      engine.model.graph, bound.tensors, *backend, runtime::Tolerance{options.atol, options.rtol});
  if (report.diverged) {
    std::cout << "check-against cpu: first divergence at " << report.node << ", output '" << report.value
              << "': " << report.comparison.summary() << " (after " << report.values_compared - 1
              << " values that agree)\n";
    return 3;
  }
  std::cout << "check-against cpu: all " << report.values_compared << " intermediate values agree within atol "
            << options.atol << ", rtol " << options.rtol << "\n";
  return 0;
}

// --check-against fp32: the --engine (INT8 or 16-bit) against the fp32 engine of --onnx, on the CPU,
// output by output. A report: the exit code stays 0.
int check_against_fp32(const RunOptions& options, const engine::EngineContents& engine,
                       const runtime::TensorMap& inputs, const runtime::BindOptions& bind_options,
                       runtime::DeviceBackend* backend) {
  builder::BuildOptions fp32_options;
  fp32_options.disabled_passes = options.disabled_passes;
  const engine::EngineContents fp32 =
      builder::build_engine(onnx_import::import_onnx_file(options.onnx_path), fp32_options);
  const runtime::TensorMap reference = runtime::run_engine(fp32, inputs, bind_options).outputs;
  const runtime::TensorMap outputs = runtime::run_engine(engine, inputs, bind_options, backend).outputs;
  for (const ir::ValueInfo& output : engine.model.graph.outputs) {
    const runtime::PredictionAgreement agreement =
        runtime::compare_predictions(outputs.at(output.name), reference.at(output.name), "output " + output.name);
    std::cout << "check-against fp32 (" << options.onnx_path << "), output '" << output.name
              << "': " << agreement.describe() << "\n";
  }
  return 0;
}

int run_command(const RunOptions& options) {
  const bool against_fp32 = options.check_against == "fp32";
  if (against_fp32 && (options.onnx_path.empty() || options.engine_path.empty()))
    fail_input("--check-against fp32 compares an --engine (e.g. built with --int8) with the fp32 engine of its ONNX "
               "model: give both --engine M.engine and --onnx M.onnx");
  if (!against_fp32 && options.onnx_path.empty() == options.engine_path.empty())
    fail_input("give the model as exactly one of --onnx M.onnx or --engine M.engine");
  if (options.input_npz.empty() && options.named_inputs.empty())
    fail_input("no inputs given: pass --inputs in.npz (one array per model input) or --input name=file.npy");
  engine::EngineContents engine;
  std::string device;
  if (!options.engine_path.empty()) {
    if (!options.disabled_passes.empty() && !against_fp32)
      fail_input("--disable-pass applies when a model is built: the passes of ", options.engine_path,
                 " ran when it was built; rebuild it with gnnrt build --disable-pass, or run --onnx");
    engine = engine::read_engine_file(options.engine_path);
    device = options.device == "auto" ? engine.target.device : options.device;
    builder::check_engine_runs_here(engine, device, options.engine_path);
  } else {
    device = resolve_device(options.device);
    runtime::create_device_backend(device);  // a missing GPU is reported before the model is read
    onnx_import::ImportOptions import_options;
    import_options.verbose = options.verbose;
    builder::BuildOptions build_options;
    build_options.device = device;
    build_options.disabled_passes = options.disabled_passes;
    build_options.verbose_passes = options.verbose;
    build_options.precision = options.precision;
    // The same engine `gnnrt build` would write, built in memory.
    engine = builder::build_engine(onnx_import::import_onnx_file(options.onnx_path, import_options), build_options,
                                   options.verbose ? &std::cerr : nullptr);
  }
  std::unique_ptr<runtime::DeviceBackend> backend = runtime::create_device_backend(device);
  const ir::Graph& model = engine.model.graph;
  std::vector<std::string> input_names;
  for (const ir::ValueInfo& input : model.inputs) input_names.push_back(input.name);
  const RunInputs run_inputs = load_run_inputs(options.input_npz, options.named_inputs, input_names);
  const bool batched = runs_as_batch(model, run_inputs);
  runtime::BindOptions bind_options;
  bind_options.allow_cast = options.allow_cast;
  runtime::MergedBatch merged;
  if (batched) {
    merged = runtime::merge_graphs(model, run_inputs.graphs, run_inputs.sources, bind_options);
    for (const std::string& note : merged.notes) std::cerr << "gnnrt: note: " << note << "\n";
    if (!run_inputs.per_graph_names)
      std::cerr << "gnnrt: note: no '" << runtime::find_graph_input_roles(model).batch
                << "' given: the inputs are one graph, and its batch vector of zeros is built\n";
  }
  const runtime::TensorMap& inputs = batched ? merged.inputs : run_inputs.graphs.front();

  if (against_fp32) return check_against_fp32(options, engine, inputs, bind_options, backend.get());
  if (!options.check_against.empty()) return check_against_cpu(options, engine, inputs, bind_options, backend.get());
  const auto start = std::chrono::steady_clock::now();
  runtime::InferenceResult result = runtime::run_engine(engine, inputs, bind_options, backend.get());
  const double milliseconds =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  for (const std::string& note : result.notes) std::cerr << "gnnrt: note: " << note << "\n";

  // Every output under the name it is written and compared with: per graph (out_3) for several graphs.
  io::NamedTensors named;
  if (batched) {
    const std::vector<io::NamedTensors> per_graph =
        graph_outputs(model, merged, result.outputs, run_inputs.per_graph_names);
    for (const io::NamedTensors& graph : per_graph) named.insert(named.end(), graph.begin(), graph.end());
    if (run_inputs.per_graph_names)
      print_batch_summary(std::cout, model, run_inputs, merged, per_graph, device, milliseconds);
  } else {
    for (const ir::ValueInfo& output : model.outputs) named.emplace_back(output.name, result.outputs.at(output.name));
  }
  if (!run_inputs.per_graph_names) {
    for (const auto& [name, tensor] : named) std::cout << "output " << name << ": " << tensor.describe() << "\n";
    std::cout << "ran on " << device << " in " << milliseconds << " ms\n";
  }

  if (!options.output_path.empty()) {
    io::write_npz(options.output_path, named);
    std::cout << "wrote " << options.output_path << "\n";
  }
  if (!options.compare_path.empty()) return compare_outputs(options, runtime::TensorMap(named.begin(), named.end()));
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand("run", "Run a model on inputs from .npz/.npy files");
  command->add_option("--onnx", options->onnx_path,
                      "ONNX model exported from PyG (torch.onnx.export); built in memory, as gnnrt build would");
  command->add_option("--engine", options->engine_path, "Engine file written by gnnrt build");
  command->add_option("--inputs", options->input_npz,
                      "An .npz holding one array per model input, named as the model's inputs. Repeatable: "
                      "one graph each, run as one batch (files with no array name in common are pieces of one "
                      "graph instead); an .npz whose arrays are named per graph (x_0, edge_index_0, x_1, ...) "
                      "holds several");
  command->add_option("--input", options->named_inputs, "One input as name=file.npy (repeatable)");
  command->add_option("--output", options->output_path,
                      "Write the outputs to this .npz, one array per output (per output and graph for several "
                      "graphs: out_0, out_1, ...)");
  command->add_option("--device", options->device,
                      "cpu, cuda, or auto (with --onnx: cuda when a usable GPU is present; with --engine: the "
                      "engine's device)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  command->add_option("--compare", options->compare_path,
                      "Reference .npz to compare the outputs with, arrays named as --output writes them; exit code "
                      "3 on a mismatch");
  command->add_option("--rtol", options->rtol, "Relative tolerance for --compare")->capture_default_str();
  command->add_option("--atol", options->atol, "Absolute tolerance for --compare")->capture_default_str();
  command->add_option("--check-against", options->check_against,
                      "cpu: run on the CPU too and name the first node whose output differs beyond --atol/--rtol "
                      "(exit code 3). fp32: compare the --engine (--int8, --fp16) with the fp32 engine of --onnx "
                      "(give both), printing per output max abs/rel error and argmax agreement")
      ->check(CLI::IsMember({"cpu", "fp32"}));
  command->add_flag("--allow-cast", options->allow_cast,
                    "Convert inputs of a customary other dtype (float64 x, int32 edge_index) instead of refusing them");
  command->add_option("--disable-pass", options->disabled_passes,
                      "With --onnx: skip this optimisation pass (repeatable): constant_folding, "
                      "shape_simplification, dead_code_elimination, ...");
  add_precision_flags(command, options->precision);
  command->add_flag("--verbose,-v", options->verbose, "Say what the importer, each optimisation pass and the runtime do");
  command->footer(
      "Several graphs (molecules) run as one batch, as PyG's DataLoader batches them: merged into one disjoint "
      "union, the batch vector built (give none), run once; node-level outputs come back as each graph's rows, "
      "pooled ones as one row per graph. Graphs may have no nodes.\n"
      "  gnnrt run --onnx M.onnx --inputs g0.npz --inputs g1.npz --output out.npz   # writes out_0, out_1\n"
      "  gnnrt run --onnx M.onnx --inputs graphs.npz   # x_0, edge_index_0, x_1, edge_index_1, ...\n"
      "A model that takes 'batch', given one graph without it, runs it as one graph (as PyG does with batch=None).\n");
  command->callback([options, &exit_code] { exit_code = run_command(*options); });
}

}  // namespace gnnrt::cli
