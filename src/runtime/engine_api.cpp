// The public Engine / ExecutionContext API over the builder, the engine file and the executor.
#include <optional>
#include <utility>

#include "builder/engine_builder.h"
#include "builder/int8_builder.h"
#include "engine/engine_reader.h"
#include "engine/engine_writer.h"
#include "gnnrt/runtime.h"
#include "onnx/importer.h"
#include "runtime/backend.h"
#include "runtime/graph_batching.h"
#include "runtime/inference.h"
#include "runtime/profile_check.h"
#include "runtime/structure_cache.h"

namespace gnnrt {

Engine::Engine(std::unique_ptr<engine::EngineContents> contents) : contents_(std::move(contents)) {}
Engine::~Engine() = default;

std::shared_ptr<Engine> Engine::build_from_onnx(const std::string& onnx_path, const BuildConfig& config) {
  builder::BuildOptions options;
  options.device = config.device;
  options.profile.min_shapes = config.min_shapes;
  options.profile.opt_shapes = config.opt_shapes;
  options.profile.max_shapes = config.max_shapes;
  options.profile.max_nodes = config.max_nodes;
  options.profile.max_edges = config.max_edges;
  options.profile.max_graphs = config.max_graphs;
  options.profile.opt_nodes = config.opt_nodes;
  options.profile.opt_edges = config.opt_edges;
  options.profile.opt_graphs = config.opt_graphs;
  const auto import = [&] { return onnx_import::import_onnx_file(onnx_path); };
  if (config.precision == "int8") {
    if (config.calibration_graphs.empty() && config.calibration_cache.empty())
      fail_input("precision int8 needs calibration: set BuildConfig::calibration_graphs (graphs to calibrate on) "
                 "or calibration_cache (the cache of an earlier calibration)");
    builder::Int8Calibration calibration;
    calibration.graphs = config.calibration_graphs;
    calibration.graphs_source = cat("BuildConfig::calibration_graphs (", config.calibration_graphs.size(), ")");
    calibration.cache_path = config.calibration_cache;
    builder::apply_int8_choices({config.calibrator, "BuildConfig::calibrator", config.percentile,
                                 config.int8_layer_tolerance, config.int8_layer_max_flips, config.layer_precisions,
                                 config.int8_per_row},
                                options, calibration);
    auto contents = std::make_unique<engine::EngineContents>(
        builder::build_int8_engine(import, options, calibration).engine);
    return std::shared_ptr<Engine>(new Engine(std::move(contents)));
  }
  if (!config.calibration_graphs.empty() || !config.calibration_cache.empty() || !config.layer_precisions.empty())
    fail_input("BuildConfig: calibration_graphs, calibration_cache and layer_precisions apply to precision int8, "
               "not ", config.precision);
  if (config.precision != "fp32" && config.precision != "fp16" && config.precision != "bf16")
    fail_input("unknown precision '", config.precision, "': expected fp32, fp16, bf16 or int8");
  options.precision = config.precision;
  auto contents = std::make_unique<engine::EngineContents>(builder::build_engine(import(), options));
  return std::shared_ptr<Engine>(new Engine(std::move(contents)));
}

std::shared_ptr<Engine> Engine::load(const std::string& engine_path) {
  auto contents = std::make_unique<engine::EngineContents>(engine::read_engine_file(engine_path));
  builder::check_engine_runs_here(*contents, contents->target.device, engine_path);
  return std::shared_ptr<Engine>(new Engine(std::move(contents)));
}

void Engine::save(const std::string& engine_path) const { engine::write_engine_file(engine_path, *contents_); }

std::string Engine::device() const { return contents_->target.device; }

std::vector<std::string> Engine::input_names() const {
  std::vector<std::string> names;
  for (const ir::ValueInfo& input : contents_->model.graph.inputs) names.push_back(input.name);
  return names;
}

std::vector<std::string> Engine::output_names() const {
  std::vector<std::string> names;
  for (const ir::ValueInfo& output : contents_->model.graph.outputs) names.push_back(output.name);
  return names;
}

std::unique_ptr<ExecutionContext> Engine::create_context() const {
  return std::unique_ptr<ExecutionContext>(new ExecutionContext(shared_from_this()));
}

struct ExecutionContext::State {
  std::shared_ptr<const Engine> engine;
  std::unique_ptr<runtime::DeviceBackend> backend;  // nullptr on the CPU
  // Made once per context: its structure split, liveness and weight uploads are not redone per call.
  std::unique_ptr<runtime::Executor> executor;
  runtime::StructureCache structure_cache;
  bool cuda_graphs = false;
  bool outputs_on_device = false;
  std::optional<void*> stream;  // the caller's CUDA stream that calls wait for (set_stream)

  runtime::RunOptions run_options() {
    runtime::RunOptions options;
    options.cuda_graph = cuda_graphs && backend;
    options.outputs_on_device = outputs_on_device && backend;
    if (backend && stream) backend->wait_for_stream(*stream);  // once per run, before any device work
    return options;
  }
};

ExecutionContext::ExecutionContext(std::shared_ptr<const Engine> engine) : state_(std::make_unique<State>()) {
  state_->backend = runtime::create_device_backend(engine->device());
  state_->executor = std::make_unique<runtime::Executor>(engine->contents().model.graph, state_->backend.get());
  state_->engine = std::move(engine);
}

ExecutionContext::~ExecutionContext() = default;

std::map<std::string, Tensor> ExecutionContext::run(const std::map<std::string, Tensor>& inputs) {
  runtime::RunOptions options = state_->run_options();
  options.cache = &state_->structure_cache;
  return runtime::run_engine(state_->engine->contents(), *state_->executor, inputs, {}, options).outputs;
}

GraphBinding ExecutionContext::bind_graph(const std::map<std::string, Tensor>& inputs) {
  const engine::EngineContents& engine = state_->engine->contents();
  runtime::BoundInputs bound = runtime::bind_inputs(engine.model.graph, inputs, {});
  runtime::check_inputs_in_profile(engine.profile, engine.model.graph, bound.tensors);
  if (state_->backend && state_->stream) state_->backend->wait_for_stream(*state_->stream);
  GraphBinding binding;
  binding.entry_ = state_->executor->run_structure(bound.tensors);
  return binding;
}

std::map<std::string, Tensor> ExecutionContext::run(const std::map<std::string, Tensor>& inputs,
                                                    const GraphBinding& graph) {
  if (!graph.valid()) fail_input("run: the graph binding is empty; make one with bind_graph");
  std::map<std::string, Tensor> all = inputs;
  for (const auto& [name, tensor] : graph.entry_->structure_inputs) all.emplace(name, tensor);
  runtime::RunOptions options = state_->run_options();
  options.binding = graph.entry_;
  return runtime::run_engine(state_->engine->contents(), *state_->executor, all, {}, options).outputs;
}

std::vector<std::map<std::string, Tensor>> ExecutionContext::run_batch(
    const std::vector<std::map<std::string, Tensor>>& graphs) {
  for (size_t g = 0; g < graphs.size(); ++g)
    for (const auto& [name, tensor] : graphs[g])
      if (!tensor.on_host()) fail_input("run_batch: graph ", g, "'s '", name, "' is on the device; give host tensors");
  const ir::Graph& model = state_->engine->contents().model.graph;
  const runtime::MergedBatch merged = runtime::merge_graphs(model, graphs);
  // The split reads the merged outputs on the host, whatever set_outputs_on_device says.
  const bool on_device = std::exchange(state_->outputs_on_device, false);
  try {
    auto outputs = run(merged.inputs);
    state_->outputs_on_device = on_device;
    return runtime::split_outputs(model, merged, outputs);
  } catch (...) {
    state_->outputs_on_device = on_device;
    throw;
  }
}

void ExecutionContext::set_cuda_graphs(bool enabled) { state_->cuda_graphs = enabled; }

void ExecutionContext::set_outputs_on_device(bool enabled) { state_->outputs_on_device = enabled; }

void ExecutionContext::set_stream(void* cuda_stream) { state_->stream = cuda_stream; }

}  // namespace gnnrt
