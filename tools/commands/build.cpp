// gnnrt build: ONNX model -> engine file, for a device and an optimisation profile (as trtexec
// --onnx=M.onnx --saveEngine=M.engine --minShapes/--optShapes/--maxShapes).
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "builder/engine_builder.h"
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
};

int build_command(const BuildCommandOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const std::string device =
      options.device == "auto" ? (runtime::cuda_usable() ? "cuda" : "cpu") : options.device;
  std::cout << "[build] importing " << options.onnx_path << "\n";
  onnx_import::ImportOptions import_options;
  import_options.verbose = options.verbose;
  ir::Model model = onnx_import::import_onnx_file(options.onnx_path, import_options);
  builder::BuildOptions build_options;
  build_options.device = device;
  build_options.profile = options.profile;
  build_options.disabled_passes = options.disabled_passes;
  build_options.verbose_passes = options.verbose;
  build_options.precision = options.precision;
  build_options.timing_cache_path = options.timing_cache;
  const engine::EngineContents engine = builder::build_engine(std::move(model), build_options, &std::cout);
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
  command->add_option("--device", options->device, "cuda, cpu, or auto (cuda when a usable GPU is present)")
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
  command->add_option("--max-graphs", p.max_graphs, "Most graphs in one batch (bound on the values of batch + 1)");
  command->add_option("--disable-pass", options->disabled_passes,
                      "Skip this optimisation pass (repeatable): constant_folding, shape_simplification, "
                      "dead_code_elimination, ...");
  add_precision_flags(command, options->precision);
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
