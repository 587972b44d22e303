// gnnrt bench: trtexec-style performance summary of one model on one graph (a named synthetic
// workload, or an npz of inputs): latency per phase (GPU compute with the graph bound or cached,
// cold, copies, end to end), throughput, peak device memory, per-node profile, and JSON.
#include "core/openmp.h"

#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>

#include "builder/engine_builder.h"
#include "commands/bench_phases.h"
#include "backends/cpu/blas_core.h"
#include "commands/bench_report.h"
#include "commands/bench_streams.h"
#include "commands/bench_workload.h"
#include "commands/commands.h"
#include "engine/engine_reader.h"
#include "io/npz.h"
#include "onnx/importer.h"
#include "runtime/graph_input_checks.h"
#include "runtime/inference.h"
#include "runtime/profile_check.h"

namespace gnnrt::cli {
namespace {

struct BenchOptions {
  std::string onnx_path, engine_path;
  std::string device = "auto";
  WorkloadRequest workload;
  std::string save_inputs_path, save_outputs_path;
  std::string json_path;
  bool fp16 = false, bf16 = false;
  std::vector<std::string> disabled_passes;
  int64_t warmup = 10;
  int64_t iterations = 50;
  double duration_s = 0;
  std::optional<int64_t> cold_iterations;
  bool dump_profile = false;
  int profile_calls = 5;
  bool cuda_graph = false;
  int streams = 0;
  bool allow_cast = false;
  bool verbose = false;
};

std::string cpu_model_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
  }
  return "unknown CPU";
}

std::string cpu_description() {
  return cat(cpu_model_name(), " (", omp_get_max_threads(), " OpenMP threads, OpenBLAS ", cpu::blas_core_name(), " kernels)");
}

void check_options(const BenchOptions& options) {
  const bool has_model = !options.onnx_path.empty() || !options.engine_path.empty();
  if (!options.onnx_path.empty() && !options.engine_path.empty())
    fail_input("give the model as exactly one of --onnx M.onnx or --engine M.engine, not both");
  check_workload_request(options.workload);
  if (options.warmup < 0) fail_input("--warmup must be >= 0, got ", options.warmup);
  if (options.iterations < 0 || (options.iterations == 0 && options.save_inputs_path.empty()))
    fail_input("--iterations must be >= 1 (0 only with --save-inputs, to write the inputs and stop), got ",
               options.iterations);
  if (!has_model && !(options.iterations == 0 && !options.save_inputs_path.empty()))
    fail_input("give the model as exactly one of --onnx M.onnx or --engine M.engine (without a model, gnnrt bench "
               "only generates a graph: --graph NAME --save-inputs FILE.npz --iterations 0)");
  if (!(options.duration_s >= 0)) fail_input("--duration must be >= 0 seconds, got ", options.duration_s);
  if (options.cold_iterations && *options.cold_iterations < 1)
    fail_input("--cold-iterations must be >= 1, got ", *options.cold_iterations);
  if (options.profile_calls < 1) fail_input("--profile-calls must be >= 1, got ", options.profile_calls);
  if (options.fp16 && options.bf16) fail_input("give at most one of --fp16 and --bf16");
  if ((options.fp16 || options.bf16) && !options.engine_path.empty())
    fail_input(options.fp16 ? "--fp16" : "--bf16", " chooses the precision when a model is built: use it with --onnx ",
               "(the precision of ", options.engine_path, " was fixed when it was built)");
  if (!options.disabled_passes.empty() && options.onnx_path.empty())
    fail_input("--disable-pass applies when a model is built: use it with --onnx");
  if (options.streams < 0 || options.streams > 64) fail_input("--streams must be in [1, 64], got ", options.streams);
  if (options.streams > 0 && options.device == "cpu")
    fail_input("--streams times concurrent GPU streams: use it with --device cuda (or auto on a GPU machine)");
}

// The graph's sizes for the engine's opt shape, as trtexec builds for the shapes it is given.
void set_opt_shape(builder::ProfileRequest& profile, const ir::Graph& graph, const BenchWorkload& workload) {
  const runtime::GraphInputRoles roles = runtime::find_graph_input_roles(graph);
  if (roles.node_features.empty() || roles.edge_index.empty() || workload.num_nodes <= 0) return;
  profile.opt_nodes = workload.num_nodes;
  profile.opt_edges = workload.num_edges;
  if (!roles.batch.empty() && workload.num_graphs > 0) profile.opt_graphs = workload.num_graphs;
}

void save_tensors(const std::string& path, const std::vector<std::string>& order, const runtime::TensorMap& tensors) {
  io::NamedTensors named;
  for (const std::string& name : order) {
    auto it = tensors.find(name);
    if (it != tensors.end()) named.emplace_back(name, it->second);
  }
  io::write_npz(path, named, /*compress=*/false);  // stored: fast for GB-sized graphs
}

int bench_command(const BenchOptions& options) {
  check_options(options);
  const int64_t cold_iterations = options.cold_iterations.value_or(options.iterations);

  BenchReport report;
  report.precision = options.fp16 ? "fp16" : options.bf16 ? "bf16" : "fp32";
  report.settings.warmup = options.warmup;
  report.settings.iterations = options.iterations;
  report.settings.duration_s = options.duration_s;
  report.settings.cold_iterations = cold_iterations;
  report.settings.profile_calls = options.dump_profile ? options.profile_calls : 0;
  report.settings.cuda_graph = options.cuda_graph;

  // The device first: the first line names the card or the CPU.
  engine::EngineContents engine;
  std::optional<ir::Model> imported;
  if (!options.engine_path.empty()) {
    engine = engine::read_engine_file(options.engine_path);
    report.device = options.device == "auto" ? engine.target.device : options.device;
    builder::check_engine_runs_here(engine, report.device, options.engine_path);
    report.model_path = options.engine_path;
    report.model_kind = "engine";
  } else if (!options.onnx_path.empty()) {
    report.device = options.device == "auto" ? (runtime::cuda_usable() ? "cuda" : "cpu") : options.device;
    report.model_path = options.onnx_path;
    report.model_kind = "onnx";
  } else {
    report.device = "cpu";  // generating a graph only
  }
  const bool has_model = !report.model_kind.empty();
  std::unique_ptr<runtime::DeviceBackend> backend = has_model ? runtime::create_device_backend(report.device) : nullptr;
  if (backend) {
    const runtime::DeviceInfo info = runtime::cuda_device_info();
    report.device_name = cat(info.name, " (sm_", info.compute_capability, ")");
    report.timer = "cuda_events";
  } else {
    report.device_name = cpu_description();
    report.timer = "steady_clock";
  }
  std::cout << "device: " << report.device << ": " << report.device_name
            << (has_model ? "" : "; generating the graph only") << std::endl;

  if (!options.onnx_path.empty()) {
    onnx_import::ImportOptions import_options;
    import_options.verbose = options.verbose;
    imported = onnx_import::import_onnx_file(options.onnx_path, import_options);
  }
  const ir::Graph* model_graph = imported ? &imported->graph : has_model ? &engine.model.graph : nullptr;

  const auto generation_start = std::chrono::steady_clock::now();
  const BenchWorkload workload = make_workload(model_graph, options.workload);
  report.generation_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - generation_start).count();
  report.workload = &workload;
  for (const std::string& note : workload.notes) std::cerr << "gnnrt: note: " << note << "\n";

  if (imported) {
    builder::BuildOptions build_options;
    build_options.device = report.device;
    build_options.precision = report.precision;
    build_options.disabled_passes = options.disabled_passes;
    build_options.verbose_passes = options.verbose;
    set_opt_shape(build_options.profile, imported->graph, workload);
    engine = builder::build_engine(std::move(*imported), build_options, options.verbose ? &std::cerr : nullptr);
    imported.reset();
  }
  if (has_model) {
    report.engine_nodes = engine.model.graph.nodes.size();
    std::cout << "model: " << report.model_path << " (" << report.model_kind << ", " << report.engine_nodes
              << " nodes in the engine's graph, precision " << report.precision << ")\n";
  }
  std::cout << "workload: " << workload.description << ": " << workload.num_nodes << " nodes, " << workload.num_edges
            << " edges, " << workload.num_graphs << " graph(s)";
  for (const std::string& name : workload.input_order)
    if (auto it = workload.inputs.find(name); it != workload.inputs.end())
      std::cout << "; " << name << " " << it->second.describe();
  std::cout << " (" << std::fixed << std::setprecision(2) << report.generation_s << " s to "
            << (workload.source == "inputs" ? "read" : "generate") << ")" << std::defaultfloat << "\n";

  // Bad inputs are refused here with the runtime's own messages, before any timing.
  runtime::BindOptions bind_options;
  bind_options.allow_cast = options.allow_cast;
  runtime::TensorMap checked_inputs = workload.inputs;
  std::string edge_index_name = "edge_index";
  if (has_model) {
    const ir::Graph& graph = engine.model.graph;
    runtime::BoundInputs bound = runtime::bind_inputs(graph, workload.inputs, bind_options);
    runtime::check_inputs_in_profile(engine.profile, graph, bound.tensors);
    for (const std::string& note : bound.notes) std::cerr << "gnnrt: note: " << note << "\n";
    checked_inputs = std::move(bound.tensors);
    edge_index_name = runtime::find_graph_input_roles(graph).edge_index;
  }
  if (auto edge_index = checked_inputs.find(edge_index_name); edge_index != checked_inputs.end() &&
                                                             edge_index->second.dtype() == DType::Int64 &&
                                                             edge_index->second.rank() == 2 && workload.num_nodes > 0) {
    report.out_degrees = io::summarize_degrees(edge_index->second, workload.num_nodes, 0);
    report.in_degrees = io::summarize_degrees(edge_index->second, workload.num_nodes, 1);
    std::cout << std::setprecision(4) << "degrees: in max " << report.in_degrees->max << ", mean "
              << report.in_degrees->mean << "; out max " << report.out_degrees->max << ", mean "
              << report.out_degrees->mean << std::defaultfloat << std::setprecision(6) << "\n";
  }
  // Saved only once they passed the checks, so the file is always a graph this model accepts.
  if (!options.save_inputs_path.empty()) {
    save_tensors(options.save_inputs_path, workload.input_order, workload.inputs);
    std::cout << "wrote inputs to " << options.save_inputs_path << "\n";
  }

  if (options.iterations > 0) {
    report.measurements = measure_phases(engine, checked_inputs, workload.inputs, bind_options, backend.get(),
                                         report.settings);
    if (options.streams > 0) {
      if (!backend) fail_input("--streams times concurrent GPU streams, but the model runs on the CPU here");
      StreamsSettings streams;
      streams.streams = options.streams;
      streams.calls_per_stream = options.iterations;
      streams.warmup = std::max<int64_t>(options.warmup, options.cuda_graph ? 3 : 1);
      streams.cuda_graph = options.cuda_graph;
      report.streams = measure_streams(engine, checked_inputs, report.device, streams);
    }
    print_summary(std::cout, report);
    if (options.dump_profile) print_profile(std::cout, *report.measurements);
    if (!options.save_outputs_path.empty()) {
      std::vector<std::string> order;
      for (const ir::ValueInfo& output : engine.model.graph.outputs) order.push_back(output.name);
      save_tensors(options.save_outputs_path, order, report.measurements->outputs);
      std::cout << "wrote outputs to " << options.save_outputs_path << "\n";
    }
  }
  if (!options.json_path.empty()) {
    write_json_report(options.json_path, report);
    std::cout << "wrote " << options.json_path << "\n";
  }
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* command = app.add_subcommand(
      "bench",
      "Time a model on a graph, like trtexec: after warm-up, each phase is timed on its own and summarised as "
      "min/mean/median/p90/p95/p99 (ms):\n"
      "  GPU compute (warm, graph bound)  inputs already on the device, the graph's structure part (degrees, "
      "normalisation, CSR) bound once, outputs left on the device; device errors checked after each call, untimed. "
      "The figure to compare with torch paths timed on device tensors\n"
      "  GPU compute (warm, structure cache)  the same, the structure part found in the cache by comparing the "
      "graph's content\n"
      "  cold  the structure part included (a graph not seen before)\n"
      "  H2D / D2H  copying the inputs to the device / the outputs back\n"
      "  end-to-end  one call as `gnnrt run` makes it: host inputs checked, copied, run, outputs copied back\n"
      "On the CPU the same phases except the copies, on the host's clock. Also: throughput (graphs, nodes, edges per "
      "second), peak device memory beyond the inputs (weights, structure cache, intermediates), and with "
      "--dump-profile the time of every node. The first line names the card or the CPU.\n"
      "Examples:\n"
      "  gnnrt bench --onnx gcn.onnx --graph arxiv-size --fp16 --json out.json\n"
      "  gnnrt bench --onnx gcn.onnx --graph graph.npz --iterations 200 --dump-profile\n"
      "  gnnrt bench --graph products-size --save-inputs graph.npz --iterations 0   # generate only");
  command->add_option("--onnx", options->onnx_path, "ONNX model exported from PyG; built in memory, as gnnrt build would "
                                                    "(for the graph's sizes as the opt shape)");
  command->add_option("--engine", options->engine_path, "Engine file written by gnnrt build");
  command->add_option("--device", options->device,
                      "cpu, cuda, or auto (with --onnx: cuda when a usable GPU is present; with --engine: the "
                      "engine's device)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  command->add_option("--graph", options->workload.graph,
                      "The graph: an .npz holding one array per model input, or a named synthetic workload: " +
                          io::named_workload_names() +
                          ". Named graphs are Chung-Lu (both endpoints drawn in proportion to Pareto weights: heavy-"
                          "tailed in- and out-degrees) at the public graphs' sizes, or molecule batches; x's width is "
                          "the model's when it fixes one");
  command->add_option("--seed", options->workload.seed, "Seed of a named workload (default 0)");
  command->add_option("--pareto-shape", options->workload.pareto_shape,
                      "Pareto shape of a named Chung-Lu workload's weights (smaller: more skewed degrees)")
      ->capture_default_str();
  command->add_option("--inputs", options->workload.input_npz,
                      "The graph as .npz files of model inputs (repeatable; --graph FILE.npz is the same)");
  command->add_option("--synthetic", options->workload.synthetic,
                      "An older synthetic graph: nodes=N,edges=E[,seed=S][,exponent=A] (power-law sources with "
                      "exponent A, default 0.7, uniform targets) or molecules=G[,seed=S]; x's width is the model's");
  command->add_option("--save-inputs", options->save_inputs_path,
                      "Write the inputs used to this .npz (stored, not compressed), so that other tools time the "
                      "same graph; with --iterations 0, write them and stop (no model needed for a named workload)");
  command->add_option("--save-outputs", options->save_outputs_path,
                      "Write the outputs of one warm call to this .npz (to check them, or fp16 against fp32)");
  command->add_flag("--fp16", options->fp16, "With --onnx: build with fp16 feature storage (fp32 accumulation)");
  command->add_flag("--bf16", options->bf16, "With --onnx: build with bf16 feature storage (fp32 accumulation)");
  command->add_option("--disable-pass", options->disabled_passes, "With --onnx: skip this optimisation pass (repeatable)");
  command->add_option("--warmup", options->warmup, "Untimed warm calls before timing")->capture_default_str();
  command->add_option("--iterations", options->iterations,
                      "Timed calls of each warm phase (at least; see --duration), and of the others unless "
                      "--cold-iterations is given")
      ->capture_default_str();
  command->add_option("--duration", options->duration_s,
                      "Seconds each warm phase runs at least (it stops once both --iterations and --duration are met)")
      ->capture_default_str();
  command->add_option("--cold-iterations", options->cold_iterations,
                      "Timed calls of the cold, copy and end-to-end phases (default: --iterations)");
  command->add_flag("--dump-profile", options->dump_profile,
                    "Print the time of every node (median of --profile-calls warm calls, sorted), and of the "
                    "structure part's nodes in a cold call, like trtexec --dumpProfile");
  command->add_option("--profile-calls", options->profile_calls, "Profiled warm calls for --dump-profile")
      ->capture_default_str();
  command->add_flag("--cuda-graph", options->cuda_graph,
                    "Also time the bound call replayed as one CUDA graph (recorded once), like trtexec "
                    "--useCudaGraph; its outputs are checked to equal the node-by-node call's");
  command->add_option("--streams", options->streams,
                      "Also time N execution contexts on this engine, each with its own CUDA stream and host thread, "
                      "calling back to back (--iterations calls each), and report their aggregate throughput beside "
                      "one stream's: GPU compute (inputs on the device, graph bound; CUDA graphs with --cuda-graph) "
                      "and end-to-end requests (host inputs in, host outputs out, graph bound)");
  command->add_option("--json", options->json_path, "Write every figure as JSON to this file (atomically)");
  command->add_flag("--allow-cast", options->allow_cast,
                    "Convert inputs of a customary other dtype (float64 x, int32 edge_index) instead of refusing them");
  command->add_flag("--verbose,-v", options->verbose, "Say what the importer, the builder and each pass do");
  command->callback([options, &exit_code] { exit_code = bench_command(*options); });
}

}  // namespace gnnrt::cli
