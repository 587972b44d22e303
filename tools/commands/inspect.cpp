// gnnrt inspect: what a model takes and gives, what it is made of, and what gnnrt cannot run.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include "commands/commands.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "onnx/importer.h"
#include "onnx/op_table.h"

namespace gnnrt::cli {
namespace {

struct InspectOptions {
  std::string onnx_path;
  bool dump_ir = false;
};

void count_ops(const ir::Graph& graph, std::map<std::string, int>& histogram, size_t& nodes) {
  for (const ir::Node& node : graph.nodes) {
    ++histogram[node.op_type];
    ++nodes;
    for (const auto& [key, attribute] : node.attributes)
      if (attribute.kind == ir::Attribute::Kind::Graph && attribute.g) count_ops(*attribute.g, histogram, nodes);
  }
}

int inspect_command(const InspectOptions& options) {
  onnx_import::ImportOptions import_options;
  import_options.allow_unsupported = true;  // list them instead of stopping at them
  ir::Model model = onnx_import::import_onnx_file(options.onnx_path, import_options);
  ir::infer_shapes(model.graph);

  std::cout << "model: " << options.onnx_path << "\n"
            << "producer: " << (model.producer.empty() ? "(unknown)" : model.producer) << ", IR version "
            << model.ir_version << ", opset " << model.opset << "\n";
  std::cout << "inputs:\n";
  for (const ir::ValueInfo& input : model.graph.inputs)
    std::cout << "  " << input.name << ": " << input.type.to_string() << "\n";
  std::cout << "outputs:\n";
  for (const ir::ValueInfo& output : model.graph.outputs) {
    auto type = model.graph.type_of(output.name);
    std::cout << "  " << output.name << ": " << (type ? type->to_string() : output.type.to_string()) << "\n";
  }
  size_t weight_bytes = 0;
  for (const auto& [name, tensor] : model.graph.initializers) weight_bytes += tensor.nbytes();
  std::map<std::string, int> histogram;
  size_t node_count = 0;
  count_ops(model.graph, histogram, node_count);
  std::cout << "initializers: " << model.graph.initializers.size() << " (" << weight_bytes << " bytes)\n";
  std::cout << "nodes: " << node_count << "\nop histogram:\n";
  std::vector<std::pair<std::string, int>> sorted(histogram.begin(), histogram.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::vector<std::string> unsupported;
  for (const auto& [op, count] : sorted) {
    const bool supported = onnx_import::is_supported("", op, model.opset);
    std::cout << "  " << op << ": " << count << (supported ? "" : "   <- unsupported") << "\n";
    if (!supported) unsupported.push_back(op);
  }
  std::cout << "unsupported nodes: " << (unsupported.empty() ? "none" : "") << "\n";
  for (const std::string& op : unsupported) std::cout << "  " << op << "\n";
  if (options.dump_ir) std::cout << "\n" << ir::print_graph(model.graph);
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* command = app.add_subcommand("inspect", "Show a model's inputs, outputs, opset, ops and unsupported nodes");
  command->add_option("--onnx", options->onnx_path, "ONNX model")->required()->check(CLI::ExistingFile);
  command->add_flag("--dump-ir", options->dump_ir, "Also print the imported IR, with inferred shapes");
  command->callback([options, &exit_code] { exit_code = inspect_command(*options); });
}

}  // namespace gnnrt::cli
