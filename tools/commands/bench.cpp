// gnnrt bench: trtexec-style performance summary of one model on one workload (a graph from an
// npz, or a seeded synthetic graph sized to the model), with the numbers also written as JSON.
#include <omp.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>

#include "builder/engine_builder.h"
#include "commands/commands.h"
#include "commands/input_files.h"
#include "engine/engine_reader.h"
#include "io/atomic_file.h"
#include "io/npz.h"
#include "io/synthetic_graphs.h"
#include "onnx/importer.h"
#include "runtime/profile_check.h"
#include "runtime/graph_input_checks.h"
#include "runtime/inference.h"

namespace gnnrt::cli {
namespace {

// What each timed call covers; printed, written to the JSON, and promised in --help.
constexpr const char* kTimedScope =
    "one full inference call as `gnnrt run` makes it: checking the inputs on the host (names, shapes, "
    "edge indices in range, the profile), every kernel, and with --device cuda also copying the host "
    "inputs to the device, copying the outputs back to the host, and the device error check. Not timed: "
    "reading or generating the inputs, building or loading the engine, creating the device context";

struct BenchOptions {
  std::string onnx_path, engine_path;
  std::string device = "auto";
  std::vector<std::string> input_npz;
  std::string synthetic;
  std::string save_inputs_path;
  std::string json_path;
  int64_t warmup = 10;
  int64_t iterations = 50;
  bool allow_cast = false;
  bool verbose = false;
};

// --synthetic nodes=N,edges=E[,seed=S][,exponent=A] or molecules=G[,seed=S].
struct SyntheticRequest {
  std::optional<int64_t> nodes, edges, molecules;
  uint64_t seed = 0;
  double exponent = io::PowerLawGraphSpec{}.exponent;
};

SyntheticRequest parse_synthetic(const std::string& text) {
  const std::string usage = "expected --synthetic nodes=N,edges=E[,seed=S][,exponent=A] or molecules=G[,seed=S]";
  SyntheticRequest request;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    const size_t equals = item.find('=');
    if (equals == std::string::npos) fail_input("--synthetic: '", item, "' is not key=value; ", usage);
    const std::string key = item.substr(0, equals), value = item.substr(equals + 1);
    const char* first = value.data();
    const char* last = value.data() + value.size();
    if (key == "exponent") {
      // from_chars for double is in g++ 12's libstdc++; strtod would accept locale forms and "inf".
      double number = 0;
      const auto [end, error] = std::from_chars(first, last, number);
      if (error != std::errc() || end != last || value.empty())
        fail_input("--synthetic: exponent must be a number, got '", value, "'");
      request.exponent = number;
      continue;
    }
    uint64_t number = 0;
    const auto [end, error] = std::from_chars(first, last, number);
    if (error != std::errc() || end != last || value.empty())
      fail_input("--synthetic: ", key, " must be a non-negative integer, got '", value, "'");
    if (key == "seed") {
      request.seed = number;
      continue;
    }
    if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail_input("--synthetic: ", key, " = ", value, " is too large");
    const auto count = static_cast<int64_t>(number);
    if (key == "nodes") request.nodes = count;
    else if (key == "edges") request.edges = count;
    else if (key == "molecules") request.molecules = count;
    else fail_input("--synthetic: unknown key '", key, "'; ", usage);
  }
  if (request.molecules && (request.nodes || request.edges))
    fail_input("--synthetic: molecules=G makes its own nodes and edges; do not combine it with nodes= or edges=");
  if (!request.molecules && !(request.nodes && request.edges))
    fail_input("--synthetic: give both nodes= and edges=, or molecules=; ", usage);
  return request;
}

struct Workload {
  runtime::TensorMap inputs;
  std::string description;  // for the report
  std::string source;       // "synthetic-power-law", "synthetic-molecules", "inputs"
  std::optional<uint64_t> seed;
  int64_t num_nodes = 0, num_edges = 0, num_graphs = 1, feature_width = 0;
};

// The declared feature width of the model's node-feature input, needed to size synthetic x.
int64_t declared_feature_width(const ir::Graph& graph, const std::string& x_name) {
  const ir::ValueInfo* x = graph.find_input(x_name);
  if (!x || !x->type.shape || x->type.shape->size() != 2 || !(*x->type.shape)[1].is_known())
    fail_input("--synthetic: the model's node-feature input '", x_name, "' is ",
               x ? x->type.to_string() : std::string("missing"),
               ", without a fixed feature width to size x by; pass the graph with --inputs instead");
  return (*x->type.shape)[1].size;
}

// A generated tensor in the dtype the model declares (int32 edge_index, float16 x, ...).
Tensor as_declared(const ir::Graph& graph, const std::string& name, const Tensor& tensor) {
  const ir::ValueInfo* input = graph.find_input(name);
  if (!input || input->type.dtype == DType::Undefined || input->type.dtype == tensor.dtype()) return tensor;
  return cast_tensor(tensor, input->type.dtype);
}

Workload make_synthetic_workload(const ir::Graph& graph, const SyntheticRequest& request) {
  const runtime::GraphInputRoles roles = runtime::find_graph_input_roles(graph);
  if (roles.node_features.empty() || roles.edge_index.empty())
    fail_input("--synthetic: the model has no recognisable node-feature and edge_index inputs (PyG's x and "
               "edge_index, or a float [N, F] and an integer [2, E] input); pass the graph with --inputs");
  Workload workload;
  workload.seed = request.seed;
  workload.feature_width = declared_feature_width(graph, roles.node_features);
  io::SyntheticGraph generated;
  if (request.molecules) {
    io::MoleculeBatchSpec spec;
    spec.num_graphs = *request.molecules;
    spec.feature_width = workload.feature_width;
    spec.seed = request.seed;
    generated = io::make_molecule_batch(spec);
    workload.source = "synthetic-molecules";
    workload.description = cat("synthetic molecule batch (seed ", request.seed, "): ", spec.num_graphs, " graphs of ",
                               spec.min_nodes, "..", spec.max_nodes, " nodes, each a tree with bonds both ways");
  } else {
    io::PowerLawGraphSpec spec;
    spec.num_nodes = *request.nodes;
    spec.num_edges = *request.edges;
    spec.feature_width = workload.feature_width;
    spec.seed = request.seed;
    spec.exponent = request.exponent;
    generated = io::make_power_law_graph(spec);
    workload.source = "synthetic-power-law";
    workload.description = cat("synthetic power-law graph (seed ", request.seed, ", source exponent ", spec.exponent,
                               ", uniform targets)");
  }
  workload.num_nodes = generated.x.dim(0);
  workload.num_edges = generated.edge_index.dim(1);
  workload.num_graphs = generated.num_graphs;

  for (const ir::ValueInfo& input : graph.inputs) {
    Tensor value;
    if (input.name == roles.node_features) {
      value = generated.x;
    } else if (input.name == roles.edge_index) {
      value = generated.edge_index;
    } else if (input.name == roles.edge_weight) {
      value = io::make_edge_weights(workload.num_edges, request.seed);
    } else if (input.name == roles.batch) {
      // A single graph is graph 0 throughout.
      value = generated.batch.defined() ? generated.batch : Tensor(DType::Int64, {workload.num_nodes});
    } else {
      fail_input("--synthetic cannot make the model's input '", input.name, "' (", input.type.to_string(),
                 "): it makes x, edge_index, edge_weight and batch; pass the inputs with --inputs instead");
    }
    workload.inputs[input.name] = as_declared(graph, input.name, value);
  }
  return workload;
}

Workload describe_input_files(const ir::Graph& graph, const BenchOptions& options, runtime::TensorMap inputs) {
  const runtime::GraphInputRoles roles = runtime::find_graph_input_roles(graph);
  Workload workload;
  workload.source = "inputs";
  std::string files;
  for (const std::string& path : options.input_npz) files += (files.empty() ? "" : ", ") + path;
  workload.description = "graph from " + files;
  auto find = [&](const std::string& name) -> const Tensor* {
    auto it = inputs.find(name);
    return name.empty() || it == inputs.end() ? nullptr : &it->second;
  };
  if (const Tensor* x = find(roles.node_features); x && x->rank() == 2) {
    workload.num_nodes = x->dim(0);
    workload.feature_width = x->dim(1);
  }
  if (const Tensor* edge_index = find(roles.edge_index); edge_index && edge_index->rank() == 2)
    workload.num_edges = edge_index->dim(1);
  if (const Tensor* batch = find(roles.batch); batch && batch->numel() > 0 && is_integer(batch->dtype())) {
    int64_t max_graph = 0;
    for (int64_t i = 0; i < batch->numel(); ++i) max_graph = std::max(max_graph, batch->scalar_as_int(i));
    workload.num_graphs = max_graph + 1;
  }
  workload.inputs = std::move(inputs);
  return workload;
}

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

struct LatencySummary {
  double min = 0, median = 0, p90 = 0, max = 0, mean = 0;
};

// Nearest-rank percentiles over the samples (the median averages the middle two of an even count).
LatencySummary summarize(std::vector<double> samples) {
  LatencySummary summary;
  if (samples.empty()) return summary;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  summary.min = samples.front();
  summary.max = samples.back();
  summary.median = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  const auto p90_rank = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n)));
  summary.p90 = samples[std::clamp<size_t>(p90_rank, 1, n) - 1];
  double total = 0;
  for (double s : samples) total += s;
  summary.mean = total / static_cast<double>(n);
  return summary;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  std::ostringstream out;
  out << std::setprecision(9) << value;
  return out.str();
}

struct BenchResult {
  std::string model_path, model_kind, device, device_name, timer;
  io::DegreeSummary out_degrees, in_degrees;
  bool has_degrees = false;
  std::vector<double> samples_ms;
  LatencySummary latency;
  double graphs_per_second = 0, nodes_per_second = 0;
};

void write_json(const std::string& path, const BenchResult& result, const Workload& workload,
                const BenchOptions& options) {
  std::ostringstream json;
  json << "{\n";
  json << "  \"model\": " << json_string(result.model_path) << ",\n";
  json << "  \"model_kind\": " << json_string(result.model_kind) << ",\n";
  json << "  \"device\": " << json_string(result.device) << ",\n";
  json << "  \"device_name\": " << json_string(result.device_name) << ",\n";
  json << "  \"workload\": {\n";
  json << "    \"source\": " << json_string(workload.source) << ",\n";
  json << "    \"description\": " << json_string(workload.description) << ",\n";
  json << "    \"seed\": " << (workload.seed ? std::to_string(*workload.seed) : "null") << ",\n";
  json << "    \"num_nodes\": " << workload.num_nodes << ",\n";
  json << "    \"num_edges\": " << workload.num_edges << ",\n";
  json << "    \"num_graphs\": " << workload.num_graphs << ",\n";
  json << "    \"feature_width\": " << workload.feature_width << ",\n";
  if (result.has_degrees) {
    json << "    \"max_out_degree\": " << result.out_degrees.max << ",\n";
    json << "    \"max_in_degree\": " << result.in_degrees.max << ",\n";
    json << "    \"mean_degree\": " << json_number(result.out_degrees.mean) << ",\n";
  }
  json << "    \"inputs\": {";
  bool first = true;
  for (const auto& [name, tensor] : workload.inputs) {
    json << (first ? "" : ", ") << json_string(name) << ": " << json_string(tensor.describe());
    first = false;
  }
  json << "}\n  },\n";
  json << "  \"warmup\": " << options.warmup << ",\n";
  json << "  \"iterations\": " << options.iterations << ",\n";
  json << "  \"timer\": " << json_string(result.timer) << ",\n";
  json << "  \"timed\": " << json_string(kTimedScope) << ",\n";
  json << "  \"latency_ms\": {\"min\": " << json_number(result.latency.min)
       << ", \"median\": " << json_number(result.latency.median) << ", \"p90\": " << json_number(result.latency.p90)
       << ", \"max\": " << json_number(result.latency.max) << ", \"mean\": " << json_number(result.latency.mean)
       << "},\n";
  json << "  \"throughput\": {\"graphs_per_s\": " << json_number(result.graphs_per_second)
       << ", \"nodes_per_s\": " << json_number(result.nodes_per_second) << "},\n";
  json << "  \"samples_ms\": [";
  for (size_t i = 0; i < result.samples_ms.size(); ++i) json << (i ? ", " : "") << json_number(result.samples_ms[i]);
  json << "]\n}\n";
  const std::string text = json.str();
  io::write_file_atomically(path, text.data(), text.size());
}

int bench_command(const BenchOptions& options) {
  if (options.onnx_path.empty() == options.engine_path.empty())
    fail_input("give the model as exactly one of --onnx M.onnx or --engine M.engine");
  if (options.input_npz.empty() == options.synthetic.empty())
    fail_input("give the workload as exactly one of --inputs in.npz or --synthetic nodes=N,edges=E[,seed=S]");
  if (options.warmup < 0) fail_input("--warmup must be >= 0, got ", options.warmup);
  if (options.iterations < 0 || (options.iterations == 0 && options.save_inputs_path.empty()))
    fail_input("--iterations must be >= 1 (0 only with --save-inputs, to write the inputs and stop), got ",
               options.iterations);
  // Parse the workload before the (possibly slow) build, so a typo fails at once.
  const std::optional<SyntheticRequest> synthetic =
      options.synthetic.empty() ? std::nullopt : std::optional(parse_synthetic(options.synthetic));

  BenchResult result;
  engine::EngineContents engine;
  if (!options.engine_path.empty()) {
    engine = engine::read_engine_file(options.engine_path);
    result.device = options.device == "auto" ? engine.target.device : options.device;
    builder::check_engine_runs_here(engine, result.device, options.engine_path);
    result.model_path = options.engine_path;
    result.model_kind = "engine";
  } else {
    result.device = options.device == "auto" ? (runtime::cuda_usable() ? "cuda" : "cpu") : options.device;
    runtime::create_device_backend(result.device);  // a missing GPU is reported before the model is read
    onnx_import::ImportOptions import_options;
    import_options.verbose = options.verbose;
    builder::BuildOptions build_options;
    build_options.device = result.device;
    engine = builder::build_engine(onnx_import::import_onnx_file(options.onnx_path, import_options), build_options,
                                   options.verbose ? &std::cerr : nullptr);
    result.model_path = options.onnx_path;
    result.model_kind = "onnx";
  }
  const ir::Graph& graph = engine.model.graph;
  std::cout << "model: " << result.model_path << " (" << result.model_kind << ", " << graph.nodes.size()
            << " nodes in the engine's graph)\n";

  Workload workload = synthetic ? make_synthetic_workload(graph, *synthetic)
                                : describe_input_files(graph, options, load_input_files(options.input_npz, {}));

  // Bad inputs are refused here with the runtime's own messages, before any timing.
  runtime::BindOptions bind_options;
  bind_options.allow_cast = options.allow_cast;
  const runtime::BoundInputs bound = runtime::bind_inputs(graph, workload.inputs, bind_options);
  runtime::check_inputs_in_profile(engine.profile, graph, bound.tensors);
  for (const std::string& note : bound.notes) std::cerr << "gnnrt: note: " << note << "\n";
  // Saved only once they passed the checks, so the file is always a graph this model accepts.
  if (!options.save_inputs_path.empty()) {
    io::NamedTensors named;
    for (const ir::ValueInfo& input : graph.inputs) {
      auto it = workload.inputs.find(input.name);
      if (it != workload.inputs.end()) named.emplace_back(input.name, it->second);
    }
    io::write_npz(options.save_inputs_path, named, /*compress=*/false);  // stored: fast for GB-sized graphs
    std::cout << "wrote inputs to " << options.save_inputs_path << "\n";
  }
  if (options.iterations == 0) return 0;

  const runtime::GraphInputRoles roles = runtime::find_graph_input_roles(graph);
  if (auto edge_index = bound.tensors.find(roles.edge_index);
      edge_index != bound.tensors.end() && edge_index->second.dtype() == DType::Int64 && workload.num_nodes > 0) {
    result.out_degrees = io::summarize_degrees(edge_index->second, workload.num_nodes, 0);
    result.in_degrees = io::summarize_degrees(edge_index->second, workload.num_nodes, 1);
    result.has_degrees = true;
  }

  std::unique_ptr<runtime::DeviceBackend> backend = runtime::create_device_backend(result.device);
  if (backend) {
    const runtime::DeviceInfo info = runtime::cuda_device_info();
    result.device_name = cat(info.name, " (sm_", info.compute_capability, ")");
    result.timer = "cuda_events";
  } else {
    result.device_name = cat(cpu_model_name(), " (", omp_get_max_threads(), " OpenMP threads)");
    result.timer = "steady_clock";
  }
  std::cout << "device: " << result.device << ": " << result.device_name << "\n";
  std::cout << "workload: " << workload.description << ": " << workload.num_nodes << " nodes, " << workload.num_edges
            << " edges, " << workload.num_graphs << " graph(s)";
  for (const auto& [name, tensor] : workload.inputs) std::cout << "; " << name << " " << tensor.describe();
  std::cout << "\n";
  if (result.has_degrees)
    std::cout << "degrees: max out-degree " << result.out_degrees.max << ", max in-degree " << result.in_degrees.max
              << ", mean " << std::setprecision(4) << result.out_degrees.mean << "\n";

  const auto call = [&] { runtime::run_engine(engine, bound.tensors, {}, backend.get()); };
  const auto time_call = [&]() -> double {
    if (backend) return backend->time_call_ms(call);
    const auto start = std::chrono::steady_clock::now();
    call();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  for (int64_t i = 0; i < options.warmup; ++i) call();
  result.samples_ms.reserve(static_cast<size_t>(options.iterations));
  for (int64_t i = 0; i < options.iterations; ++i) result.samples_ms.push_back(time_call());
  result.latency = summarize(result.samples_ms);
  if (result.latency.median > 0) {
    result.graphs_per_second = static_cast<double>(workload.num_graphs) * 1000.0 / result.latency.median;
    result.nodes_per_second = static_cast<double>(workload.num_nodes) * 1000.0 / result.latency.median;
  }

  std::cout << "timed: " << options.iterations << " call(s) after " << options.warmup << " warm-up call(s), with "
            << (backend ? "CUDA events on the context's stream" : "the host's steady clock") << "\n";
  std::cout << std::setprecision(6);
  std::cout << "latency (ms): min " << result.latency.min << ", median " << result.latency.median << ", p90 "
            << result.latency.p90 << ", max " << result.latency.max << ", mean " << result.latency.mean << "\n";
  std::cout << "throughput: " << result.graphs_per_second << " graphs/s, " << result.nodes_per_second
            << " nodes/s (at the median latency)\n";
  if (!options.json_path.empty()) {
    write_json(options.json_path, result, workload, options);
    std::cout << "wrote " << options.json_path << "\n";
  }
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* command = app.add_subcommand(
      "bench", std::string("Time a model on a graph: latency min/median/p90/max and throughput, like trtexec.\n"
                           "Each timed call is ") +
                   kTimedScope + ".");
  command->add_option("--onnx", options->onnx_path, "ONNX model exported from PyG; built in memory, as gnnrt build would");
  command->add_option("--engine", options->engine_path, "Engine file written by gnnrt build");
  command->add_option("--device", options->device,
                      "cpu, cuda, or auto (with --onnx: cuda when a usable GPU is present; with --engine: the "
                      "engine's device)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  command->add_option("--inputs", options->input_npz,
                      "The graph: an .npz holding one array per model input (repeatable)");
  command->add_option("--synthetic", options->synthetic,
                      "A seeded synthetic graph instead of --inputs: nodes=N,edges=E[,seed=S][,exponent=A] "
                      "(power-law sources with exponent A, default 0.7, uniform targets) or molecules=G[,seed=S] "
                      "(G graphs of 10..40 nodes, ~2 edges per node, sorted batch). x's feature width is the "
                      "model's declared one; edge_weight and batch are made when the model takes them");
  command->add_option("--save-inputs", options->save_inputs_path,
                      "Write the inputs used to this .npz (stored, not compressed), so that other tools time the "
                      "same graph; with --iterations 0, write them and stop");
  command->add_option("--warmup", options->warmup, "Untimed calls before timing")->capture_default_str();
  command->add_option("--iterations", options->iterations, "Timed calls")->capture_default_str();
  command->add_option("--json", options->json_path, "Write the results as JSON to this file (atomically)");
  command->add_flag("--allow-cast", options->allow_cast,
                    "Convert inputs of a customary other dtype (float64 x, int32 edge_index) instead of refusing them");
  command->add_flag("--verbose,-v", options->verbose, "Say what the importer and builder do");
  command->callback([options, &exit_code] { exit_code = bench_command(*options); });
}

}  // namespace gnnrt::cli
