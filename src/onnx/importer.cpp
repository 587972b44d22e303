#include "onnx/importer.h"

#include <filesystem>
#include <iostream>

#include "onnx/function_inliner.h"
#include "onnx/graph_converter.h"
#include "onnx/model_loader.h"
#include "onnx/op_table.h"
#include "onnx/opset_normalizer.h"
#include "onnx/support_check.h"
#include "onnx/topo_sort.h"
#include "onnx/unique_names.h"

namespace gnnrt::onnx_import {

namespace {

// The declared opset per domain; the default domain ("" or "ai.onnx") must be within the range
// gnnrt implements.
OpsetMap read_opsets(const ::onnx::ModelProto& model, const std::string& what) {
  OpsetMap opsets;
  for (const auto& entry : model.opset_import()) {
    const std::string domain = is_default_domain(entry.domain()) ? std::string() : entry.domain();
    auto [it, inserted] = opsets.emplace(domain, entry.version());
    if (!inserted && it->second != entry.version())
      fail_input(what, ": the model imports domain '", entry.domain(), "' twice, at opsets ", it->second, " and ",
                 entry.version());
  }
  auto it = opsets.find("");
  if (it == opsets.end())
    fail_input(what, ": the model declares no opset for the default ONNX domain (opset_import is missing or "
               "incomplete); re-export with torch.onnx.export(..., opset_version=17)");
  const int64_t opset = it->second;
  if (opset < kMinOpset)
    fail_input(what, ": the model uses ONNX opset ", opset, ", older than gnnrt supports (", kMinOpset, " to ",
               kMaxOpset, "); re-export with torch.onnx.export(..., opset_version=17)");
  if (opset > kMaxOpset)
    fail_input(what, ": the model uses ONNX opset ", opset, ", newer than gnnrt supports (", kMinOpset, " to ",
               kMaxOpset, "); re-export with torch.onnx.export(..., opset_version=17) or dynamo=True (opset 18)");
  return opsets;
}

size_t count_nodes(const ir::Graph& graph) {
  size_t count = graph.nodes.size();
  for (const ir::Node& node : graph.nodes)
    for (const auto& [key, attr] : node.attributes)
      if (attr.kind == ir::Attribute::Kind::Graph && attr.g) count += count_nodes(*attr.g);
  return count;
}

}  // namespace

ir::Model import_onnx_bytes(const std::string& bytes, const std::string& base_dir, const std::string& what,
                            const ImportOptions& options) {
  ::onnx::ModelProto proto = parse_model_bytes(bytes, what);
  const OpsetMap opsets = read_opsets(proto, what);

  UniqueNames value_names;
  value_names.reserve_values_of(proto.graph());
  const size_t inlined_calls = inline_local_functions(proto, value_names, what);

  if (!options.allow_unsupported) check_supported(proto.graph(), opsets, what);

  NodeNamer node_names(proto.graph());
  ConversionContext context{TensorContext{what, base_dir}, node_names};
  if (options.allow_unsupported) context.lenient_opsets = &opsets;
  ir::Model model;
  model.graph = convert_graph(proto.graph(), context, /*is_main_graph=*/true);
  model.opset = opsets.at("");
  model.ir_version = proto.ir_version();
  model.producer = proto.producer_version().empty() ? proto.producer_name()
                                                    : proto.producer_name() + " " + proto.producer_version();
  model.source_path = what;

  NormalizeStats stats;
  normalize_to_opset18(model.graph, value_names, what, options.allow_unsupported, stats);
  sort_and_check(model.graph, {}, what);

  if (options.verbose)
    std::cerr << "gnnrt: imported " << what << " (" << (model.producer.empty() ? "unknown producer" : model.producer)
              << ", IR " << model.ir_version << ", opset " << model.opset << "): " << count_nodes(model.graph)
              << " nodes, " << model.graph.initializers.size() << " initializers, " << model.graph.inputs.size()
              << " inputs, " << model.graph.outputs.size() << " outputs; inlined " << inlined_calls
              << " function calls, folded " << stats.constants_folded << " Constant nodes, moved "
              << stats.reduce_axes_moved << " Reduce axes attributes to inputs\n";
  return model;
}

std::vector<UnsupportedNode> find_unsupported_in_file(const std::string& path) {
  ::onnx::ModelProto proto = parse_model_bytes(read_model_file(path), path);
  const OpsetMap opsets = read_opsets(proto, path);
  UniqueNames value_names;
  value_names.reserve_values_of(proto.graph());
  inline_local_functions(proto, value_names, path);
  return find_unsupported(proto.graph(), opsets);
}

ir::Model import_onnx_file(const std::string& path, const ImportOptions& options) {
  const std::string bytes = read_model_file(path);
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  return import_onnx_bytes(bytes, folder.string(), path, options);
}

}  // namespace gnnrt::onnx_import

namespace gnnrt {

std::vector<UnsupportedNode> find_unsupported_nodes(const std::string& onnx_path) {
  return onnx_import::find_unsupported_in_file(onnx_path);
}

}  // namespace gnnrt
