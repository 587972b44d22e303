#include "builder/engine_builder.h"

#include <algorithm>

#include "backends/cpu/kernel_registry.h"
#include "builder/memory_bound.h"
#include "builder/tactic_selection.h"
#include "builder/timing_cache.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "passes/dead_code_elimination.h"
#include "passes/feature_width_padding.h"
#include "passes/int8_lowering.h"
#include "passes/pass_manager.h"
#include "passes/precision_lowering.h"
#include "runtime/backend.h"

#ifdef GNNRT_WITH_CUDA
#include "backends/cuda/cuda_kernels.h"
#endif

namespace gnnrt::builder {
namespace {

// Which backend each node is meant for: "cuda:<op>" where the CUDA backend supports the node at
// its inferred dtypes, else "cpu:<op>" (small shape arithmetic also runs on the host at run time).
void choose_kernels(const ir::Graph& graph, const std::string& device, engine::EngineContents& engine) {
  for (const ir::Node& node : graph.nodes) {
    std::string choice = "cpu:" + node.op_type;
#ifdef GNNRT_WITH_CUDA
    if (device == "cuda") {
      std::vector<DType> dtypes;
      for (const std::string& input : node.inputs) {
        auto type = input.empty() ? std::nullopt : graph.type_of(input);
        dtypes.push_back(type ? type->dtype : DType::Undefined);
      }
      if (cuda::cuda_kernel_registry().supports(node, dtypes)) choice = "cuda:" + node.op_type;
    }
#endif
    engine.kernel_choices[node.name] = choice;
  }
}

}  // namespace

engine::EngineContents build_engine(ir::Model model, const BuildOptions& options, std::ostream* log) {
  if (options.device != "cpu" && options.device != "cuda")
    fail_input("--device ", options.device, ": expected cpu or cuda");
  engine::EngineContents engine;
  engine.target.device = options.device;
  uint64_t device_memory_bytes = 0;
  if (options.device == "cuda") {
    const runtime::DeviceInfo info = runtime::cuda_device_info();
    engine.target.compute_capability = info.compute_capability;
    engine.target.device_name = info.name;
    device_memory_bytes = info.memory_bytes;
  }
  if (log) *log << "[build] verifying the graph (" << model.graph.nodes.size() << " nodes)\n";
  ir::verify_graph(model.graph);
  const ir::ShapeInferenceReport shapes = ir::infer_shapes(model.graph);
  if (log) *log << "[build] shape inference: " << shapes.inferred << " values typed, " << shapes.unknown << " unknown\n";
  passes::PassManagerOptions pass_options;
  // The target-dependent passes run after the standard pipeline (below); their names are theirs.
  const auto is_target_pass = [](const std::string& name) {
    return name == "precision_lowering" || name == "feature_width_padding" || name == "int8_lowering";
  };
  std::copy_if(options.disabled_passes.begin(), options.disabled_passes.end(),
               std::back_inserter(pass_options.disabled_passes),
               [&](const std::string& name) { return !is_target_pass(name); });
  pass_options.log = options.verbose_passes ? log : nullptr;
  const passes::PassReport pass_report = passes::optimize_graph(model.graph, pass_options);
  engine.applied_passes = pass_report.applied_passes;
  // One target pass and dead-code elimination after it, honouring --disable-pass for both.
  const auto run_target_pass = [&](std::unique_ptr<passes::Pass> pass, const std::string& what) {
    std::vector<std::unique_ptr<passes::Pass>> pipeline;
    pipeline.push_back(std::move(pass));
    pipeline.push_back(std::make_unique<passes::DeadCodeElimination>());
    passes::PassManagerOptions target_options = pass_options;
    target_options.disabled_passes.clear();
    for (const std::string& name : options.disabled_passes)
      if (name == pipeline[0]->name() || name == "dead_code_elimination") target_options.disabled_passes.push_back(name);
    const passes::PassReport report = passes::PassManager(std::move(pipeline), target_options).run(model.graph);
    for (const std::string& applied : report.applied_passes) engine.applied_passes.push_back(applied);
    if (log) *log << "[build] " << what << ": " << passes::describe_report(report) << "\n";
  };
  if (options.precision != "fp32" && options.precision != "fp16" && options.precision != "bf16" &&
      options.precision != "int8")
    fail_input("precision '", options.precision, "': expected fp32, fp16, bf16 or int8");
  if ((options.device == "cuda" || options.layout_for_cuda) && options.pad_feature_width)
    run_target_pass(std::make_unique<passes::FeatureWidthPadding>(), "feature widths for 16-byte loads");
  if (options.precision == "int8") {
    passes::Int8LoweringOptions int8;
    int8.feature_scales = options.int8_scales;
    int8.scales_source = options.int8_scales_source.empty() ? "the INT8 calibration" : options.int8_scales_source;
    int8.float_layers = options.int8_float_layers;
    int8.float_layers.insert(options.int8_fp16_layers.begin(), options.int8_fp16_layers.end());
    int8.per_row_features = options.int8_per_row;
    run_target_pass(std::make_unique<passes::Int8Lowering>(std::move(int8)), "precision int8");
    // The fp16 layers: the 16-bit lowering restricted to them, with its casts at their edges.
    if (!options.int8_fp16_layers.empty())
      run_target_pass(std::make_unique<passes::PrecisionLowering>(DType::Float16, options.int8_fp16_layers),
                      "fp16 layers");
  } else if (options.precision != "fp32")
    run_target_pass(std::make_unique<passes::PrecisionLowering>(options.precision == "fp16" ? DType::Float16
                                                                                            : DType::BFloat16),
                    "precision " + options.precision);
  // The passes re-infer after each change; once more here so the profile and kernel choices below
  // see the final graph even when every pass was disabled or changed nothing.
  ir::infer_shapes(model.graph);
  if (log) *log << "[build] passes: " << passes::describe_report(pass_report) << "\n";
  engine.profile = make_profile(model.graph, options.profile);
  if (log) *log << "[build] optimisation profile:\n" << describe_profile(engine.profile);
  choose_kernels(model.graph, options.device, engine);
  if (options.device == "cuda") {
    const DeviceMemoryFloor floor = device_memory_floor(model.graph, engine.profile, engine.kernel_choices);
    if (log)
      *log << "[build] GPU memory a call at the profile's maximum needs: at least " << (floor.total() >> 20)
           << " MiB of the card's " << (device_memory_bytes >> 20) << " MiB\n";
    check_profile_fits_device(floor, device_memory_bytes, engine.target.device_name);
  }
  if (options.device == "cuda" && options.time_tactics) {
    TimingCache cache = options.timing_cache_path.empty() ? TimingCache{} : TimingCache::load(options.timing_cache_path);
    const std::string card = cat(engine.target.device_name, " sm_", engine.target.compute_capability);
    const TacticSelectionReport tactics =
        select_spmm_tactics(model.graph, engine.profile, card, cache, engine.kernel_choices, log);
    if (log && tactics.timed + tactics.from_cache + tactics.left_to_heuristic > 0)
      *log << "[build] SpMM tactics: " << tactics.timed << " timed, " << tactics.from_cache << " from the timing cache, "
           << tactics.left_to_heuristic << " left to the run-time heuristic\n";
    if (!options.timing_cache_path.empty() && cache.changed()) cache.save(options.timing_cache_path);
  }
  engine.builder_version = GNNRT_VERSION;
  engine.model = std::move(model);
  return engine;
}

bool holds_int8(const ir::Graph& graph) {
  for (const auto& [name, tensor] : graph.initializers)
    if (tensor.dtype() == DType::Int8) return true;
  for (const ir::Node& node : graph.nodes)
    if (node.domain == ir::kGnnrtDomain && node.op_type == "QuantizeInt8") return true;
  return false;
}

void check_engine_runs_here(const engine::EngineContents& engine, const std::string& device, const std::string& what) {
  if (engine.target.device != device)
    fail_input(what, ": the engine was built for ", engine.target.device, ", not for ", device,
               "; run it with --device ", engine.target.device, " or rebuild it with gnnrt build --device ", device);
  if (device == "cuda") {
    const runtime::DeviceInfo info = runtime::cuda_device_info();
    if (info.compute_capability != engine.target.compute_capability)
      fail_input(what, ": the engine was built for compute capability ", engine.target.compute_capability / 10, ".",
                 engine.target.compute_capability % 10, " (", engine.target.device_name, "), this GPU (", info.name,
                 ") is ", info.compute_capability / 10, ".", info.compute_capability % 10,
                 "; rebuild the engine on this GPU with gnnrt build");
  }
}

}  // namespace gnnrt::builder
