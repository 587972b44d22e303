#include "builder/tactic_selection.h"

#include <algorithm>
#include <optional>
#include <sstream>

#include "backends/op_shapes/sparse.h"
#include "builder/synthetic_structure.h"
#include "runtime/graph_input_checks.h"

#ifdef GNNRT_WITH_CUDA
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/device_memory.h"
#include "backends/cuda/spmm_tactics.h"
#endif

namespace gnnrt::builder {
namespace {

#ifdef GNNRT_WITH_CUDA  // everything in this namespace serves the timing, which needs a device

// The opt value of each symbolic dim the graph inputs declare (num_nodes, num_edges).
std::map<std::string, int64_t> opt_symbols(const ir::Graph& graph, const engine::OptimizationProfile& profile) {
  std::map<std::string, int64_t> values;
  for (const engine::InputRange& range : profile.inputs) {
    const ir::ValueInfo* input = graph.find_input(range.name);
    if (!input || !input->type.shape || input->type.shape->size() != range.opt.size()) continue;
    for (size_t d = 0; d < range.opt.size(); ++d)
      if ((*input->type.shape)[d].is_symbolic()) values[(*input->type.shape)[d].symbol] = range.opt[d];
  }
  return values;
}

// A dim's size at the opt shape: known sizes as they are; symbols and sums of them from the inputs'
// opt values, where a data-dependent count (nonzero_*, the edges left after self-loop removal) is
// taken at its bound, the edge count. nullopt when a term is anything else.
std::optional<int64_t> opt_size(const ir::Dim& dim, const std::map<std::string, int64_t>& symbols) {
  if (dim.is_known()) return dim.size;
  if (!dim.is_symbolic()) return std::nullopt;
  int64_t total = 0;
  std::stringstream terms(dim.symbol);
  for (std::string term; std::getline(terms, term, '+');) {
    term.erase(0, term.find_first_not_of(' '));
    term.erase(term.find_last_not_of(' ') + 1);
    if (auto it = symbols.find(term); it != symbols.end()) {
      total += it->second;
    } else if (term.rfind("nonzero_", 0) == 0 && symbols.count("num_edges")) {
      total += symbols.at("num_edges");
    } else if (!term.empty() && std::all_of(term.begin(), term.end(), ::isdigit)) {
      total += std::stoll(term);
    } else {
      return std::nullopt;
    }
  }
  return total;
}

struct SpmmShape {
  int64_t rows = 0, cols = 0, width = 0, edges = 0;
  DType dtype = DType::Float32;
  bool values = false, row_scale = false, col_scale = false, bias = false, relu = false;
  bool x_row_scale = false;  // an int8 X with per-row scales
  int64_t graphs = 0;        // timed on a union of this many small graphs; 0: one power-law graph

  std::string key() const {
    return cat("SpMM ", dtype_name(dtype), " N=", rows, " M=", cols, " E=", edges, " F=", width, values ? " values" : "",
               row_scale ? " row_scale" : "", col_scale ? " col_scale" : "", bias ? " bias" : "", relu ? " relu" : "",
               x_row_scale ? " x_row_scale" : "", graphs > 0 ? cat(" graphs=", graphs) : std::string());
  }
};

// `graphs` > 0: a graph-level model's batch at the opt shape. An SpMM whose row count is not an
// input's size there is its pooling, with a row per graph.
std::optional<SpmmShape> spmm_shape(const ir::Graph& graph, const ir::Node& node,
                                    const std::map<std::string, int64_t>& symbols, int64_t graphs) {
  using namespace op_shapes::spmm;
  const auto x = graph.type_of(node.inputs[kX]);
  const auto col = graph.type_of(node.inputs[kCol]);
  const auto y = graph.type_of(node.outputs[0]);
  if (!x || !x->shape || x->shape->size() != 2 || !col || !col->shape || col->shape->size() != 1 || !y || !y->shape ||
      y->shape->size() != 2)
    return std::nullopt;
  SpmmShape shape;
  auto rows = opt_size((*y->shape)[0], symbols);
  const auto cols = opt_size((*x->shape)[0], symbols), width = opt_size((*x->shape)[1], symbols),
             edges = opt_size((*col->shape)[0], symbols);
  if (!rows && graphs > 0) rows = graphs;
  if (!rows || !cols || !width || !edges || *rows <= 0 || *cols <= 0 || *width <= 0 || *edges <= 0) return std::nullopt;
  shape.rows = *rows;
  shape.cols = *cols;
  shape.width = *width;
  shape.edges = *edges;
  shape.dtype = x->dtype;
  shape.values = node.has_input(kValues);
  shape.row_scale = node.has_input(kRowScale);
  shape.col_scale = node.has_input(kColScale);
  shape.bias = node.has_input(kBias);
  shape.x_row_scale = node.has_input(kXRowScale);
  if (graphs > 0) shape.graphs = std::min({graphs, shape.rows, shape.cols});
  shape.relu = node.attr_string("activation", "none") == "relu";
  return shape;
}

Tensor device_filled(DType dtype, Dims shape) {
  Tensor tensor = cuda::allocate_device_tensor(dtype, std::move(shape));
  // 0x3C bytes: small positive normal numbers in every float format (no NaN, no denormals).
  if (tensor.nbytes()) GNNRT_CUDA_CHECK(cudaMemset(tensor.raw(), 0x3C, tensor.nbytes()));
  return tensor;
}

TimingEntry time_on_device(const SpmmShape& shape) {
  const SyntheticCsr csr = shape.graphs > 0 ? small_graphs_csr(shape.rows, shape.cols, shape.edges, shape.graphs)
                                            : power_law_csr(shape.rows, shape.cols, shape.edges);
  const std::vector<int32_t>& row_ptr = csr.row_ptr;
  const std::vector<int32_t>& col = csr.col;
  Tensor row_ptr_device = cuda::allocate_device_tensor(DType::Int32, {shape.rows + 1});
  Tensor col_device = cuda::allocate_device_tensor(DType::Int32, {shape.edges});
  GNNRT_CUDA_CHECK(cudaMemcpy(row_ptr_device.raw(), row_ptr.data(), row_ptr_device.nbytes(), cudaMemcpyHostToDevice));
  GNNRT_CUDA_CHECK(cudaMemcpy(col_device.raw(), col.data(), col_device.nbytes(), cudaMemcpyHostToDevice));
  const Tensor x = device_filled(shape.dtype, {shape.cols, shape.width});
  const DType y_dtype = shape.dtype == DType::Int8 ? DType::Float32 : shape.dtype;  // int8 X: float32 Y
  const Tensor y = cuda::allocate_device_tensor(y_dtype, {shape.rows, shape.width});
  const Tensor values = device_filled(DType::Float32, {shape.values ? shape.edges : 0});
  const Tensor row_scale = device_filled(DType::Float32, {shape.row_scale ? shape.rows : 0});
  const Tensor col_scale = device_filled(DType::Float32, {shape.col_scale ? shape.cols : 0});
  const Tensor bias = device_filled(DType::Float32, {shape.bias ? shape.width : 0});
  const Tensor x_row_scale = device_filled(DType::Float32, {shape.x_row_scale ? shape.cols : 0});
  Tensor errors = cuda::allocate_device_tensor(DType::UInt8, {static_cast<int64_t>(sizeof(cuda::DeviceErrorRecord))});
  GNNRT_CUDA_CHECK(cudaMemset(errors.raw(), 0, errors.nbytes()));

  cuda::SpmmProblem problem;
  problem.dtype = shape.dtype;
  problem.x = x.raw();
  problem.row_ptr = static_cast<const int32_t*>(row_ptr_device.raw());
  problem.col = static_cast<const int32_t*>(col_device.raw());
  problem.values = shape.values ? static_cast<const float*>(values.raw()) : nullptr;
  problem.row_scale = shape.row_scale ? static_cast<const float*>(row_scale.raw()) : nullptr;
  problem.col_scale = shape.col_scale ? static_cast<const float*>(col_scale.raw()) : nullptr;
  problem.bias = shape.bias ? static_cast<const float*>(bias.raw()) : nullptr;
  problem.x_row_scale = shape.x_row_scale ? static_cast<const float*>(x_row_scale.raw()) : nullptr;
  problem.y = const_cast<void*>(y.raw());
  problem.num_rows = shape.rows;
  problem.num_cols = shape.cols;
  problem.width = shape.width;
  problem.num_edges = shape.edges;
  problem.relu = shape.relu;
  cudaStream_t stream = nullptr;
  GNNRT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  cuda::SpmmTacticChoice choice;
  try {
    choice = cuda::time_spmm_tactics(problem, stream,
                                     cuda::DeviceErrorSink{static_cast<cuda::DeviceErrorRecord*>(errors.raw()), 0});
  } catch (...) {
    cudaStreamDestroy(stream);
    throw;
  }
  GNNRT_CUDA_CHECK(cudaStreamDestroy(stream));
  TimingEntry entry;
  entry.tactic = cuda::spmm_config_name(choice.best);
  for (const cuda::SpmmTacticTime& time : choice.times)
    entry.times += cat(entry.times.empty() ? "" : " ", cuda::spmm_config_name(time.config), "=", time.median_ms);
  return entry;
}
#endif

}  // namespace

int64_t timed_graph_count(const ir::Graph& graph, const engine::OptimizationProfile& profile) {
  const runtime::GraphInputRoles roles = runtime::find_graph_input_roles(graph);
  if (roles.batch.empty()) return 0;
  if (profile.opt_graphs > 0) return profile.opt_graphs;
  for (const engine::InputRange& range : profile.inputs)
    if (range.name == roles.batch && range.opt.size() == 1 && range.opt[0] > 0)
      return std::max<int64_t>(1, (range.opt[0] + kDefaultNodesPerGraph - 1) / kDefaultNodesPerGraph);
  return 0;
}

TacticSelectionReport select_spmm_tactics(ir::Graph& graph, const engine::OptimizationProfile& profile,
                                          const std::string& card, TimingCache& cache,
                                          std::map<std::string, std::string>& kernel_choices, std::ostream* log) {
  TacticSelectionReport report;
#ifdef GNNRT_WITH_CUDA
  const std::map<std::string, int64_t> symbols = opt_symbols(graph, profile);
  const int64_t graphs = timed_graph_count(graph, profile);
  const bool has_spmm = std::any_of(graph.nodes.begin(), graph.nodes.end(), [](const ir::Node& node) {
    return node.domain == ir::kGnnrtDomain && node.op_type == "SpMM";
  });
  if (log && graphs > 0 && has_spmm)
    *log << "[build] SpMM tactics are timed on " << graphs << " small graphs side by side (a graph-level model; "
         << (profile.opt_graphs > 0 ? "--opt-graphs" : "pass --opt-graphs for the batches it serves") << ")\n";
  for (ir::Node& node : graph.nodes) {
    if (node.domain != ir::kGnnrtDomain || node.op_type != "SpMM") continue;
    const std::optional<SpmmShape> shape = spmm_shape(graph, node, symbols, graphs);
    if (!shape) {
      ++report.left_to_heuristic;
      if (log)
        *log << "[build] tactic of '" << node.name
             << "': left to the run-time heuristic (the opt shape gives no size; pass --opt-nodes and --opt-edges)\n";
      continue;
    }
    const std::string key = shape->key();
    std::optional<TimingEntry> entry = cache.find(card, key);
    const bool cached = entry.has_value();
    if (!cached) {
      entry = time_on_device(*shape);
      cache.put(card, key, *entry);
      ++report.timed;
    } else {
      ++report.from_cache;
    }
    ir::Attribute tactic;
    tactic.kind = ir::Attribute::Kind::String;
    tactic.s = entry->tactic;
    node.attributes["tactic"] = tactic;
    kernel_choices[node.name] = "cuda:SpMM:" + entry->tactic;
    if (log)
      *log << "[build] tactic of '" << node.name << "' (" << key << "): " << entry->tactic << " ("
           << (cached ? "timing cache; " : "") << entry->times << " ms)\n";
  }
#else
  (void)graph;
  (void)profile;
  (void)card;
  (void)cache;
  (void)kernel_choices;
  (void)log;
#endif
  return report;
}

}  // namespace gnnrt::builder
