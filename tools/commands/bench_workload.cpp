#include "commands/bench_workload.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <sstream>

#include "commands/input_files.h"
#include "runtime/graph_input_checks.h"

namespace gnnrt::cli {
namespace {

// --synthetic nodes=N,edges=E[,seed=S][,exponent=A] or molecules=G[,seed=S]: the older spelling,
// kept as it was (power-law sources, uniform targets).
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

bool names_npz_file(const std::string& graph) {
  return graph.size() >= 4 && graph.compare(graph.size() - 4, 4, ".npz") == 0;
}

// The declared feature width of the model's node-feature input, if it is fixed.
std::optional<int64_t> declared_feature_width(const ir::Graph& graph, const std::string& x_name) {
  const ir::ValueInfo* x = graph.find_input(x_name);
  if (!x || !x->type.shape || x->type.shape->size() != 2 || !(*x->type.shape)[1].is_known()) return std::nullopt;
  return (*x->type.shape)[1].size;
}

// A generated tensor in the dtype the model declares (int32 edge_index, float16 x, ...).
Tensor as_declared(const ir::Graph& graph, const std::string& name, const Tensor& tensor) {
  const ir::ValueInfo* input = graph.find_input(name);
  if (!input || input->type.dtype == DType::Undefined || input->type.dtype == tensor.dtype()) return tensor;
  return cast_tensor(tensor, input->type.dtype);
}

// The model's inputs from a generated graph: x, edge_index, edge_weight (made) and batch.
void assign_model_inputs(const ir::Graph& model, const runtime::GraphInputRoles& roles,
                         const io::SyntheticGraph& generated, uint64_t seed, const std::string& option,
                         BenchWorkload& workload) {
  for (const ir::ValueInfo& input : model.inputs) {
    Tensor value;
    if (input.name == roles.node_features) {
      value = generated.x;
    } else if (input.name == roles.edge_index) {
      value = generated.edge_index;
    } else if (input.name == roles.edge_weight) {
      value = io::make_edge_weights(workload.num_edges, seed);
    } else if (input.name == roles.batch) {
      // A single graph is graph 0 throughout.
      value = generated.batch.defined() ? generated.batch : Tensor(DType::Int64, {workload.num_nodes});
    } else {
      fail_input(option, " cannot make the model's input '", input.name, "' (", input.type.to_string(),
                 "): it makes x, edge_index, edge_weight and batch; pass the inputs as an .npz instead");
    }
    workload.inputs[input.name] = as_declared(model, input.name, value);
    workload.input_order.push_back(input.name);
  }
}

runtime::GraphInputRoles checked_roles(const ir::Graph& model, const std::string& option) {
  const runtime::GraphInputRoles roles = runtime::find_graph_input_roles(model);
  if (roles.node_features.empty() || roles.edge_index.empty())
    fail_input(option, ": the model has no recognisable node-feature and edge_index inputs (PyG's x and "
               "edge_index, or a float [N, F] and an integer [2, E] input); pass the graph as an .npz instead");
  return roles;
}

void record_sizes(BenchWorkload& workload, const io::SyntheticGraph& generated) {
  workload.num_nodes = generated.x.dim(0);
  workload.feature_width = generated.x.dim(1);
  workload.num_edges = generated.edge_index.dim(1);
  workload.num_graphs = generated.num_graphs;
}

BenchWorkload make_named(const ir::Graph* model, const WorkloadRequest& request) {
  const io::NamedWorkload named = io::parse_named_workload(request.graph);
  const uint64_t seed = request.seed.value_or(0);
  BenchWorkload workload;
  workload.name = named.name;
  workload.seed = seed;
  int64_t width = named.feature_width;
  runtime::GraphInputRoles roles;
  if (model) {
    roles = checked_roles(*model, "--graph " + request.graph);
    if (const std::optional<int64_t> declared = declared_feature_width(*model, roles.node_features)) {
      if (*declared != width && named.kind == io::NamedWorkload::Kind::ChungLu)
        workload.notes.push_back(cat("--graph ", named.name, ": x has the model's width ", *declared, " instead of ",
                                     width));
      width = *declared;
    }
  }
  const io::SyntheticGraph generated = io::make_named_workload(named, width, seed, request.pareto_shape);
  record_sizes(workload, generated);
  if (named.kind == io::NamedWorkload::Kind::Molecules) {
    workload.source = "synthetic-molecules";
    workload.description = cat(named.name, ": synthetic molecule batch (seed ", seed, "): ", named.num_graphs,
                               " graphs of ", io::MoleculeBatchSpec{}.min_nodes, "..",
                               io::MoleculeBatchSpec{}.max_nodes, " nodes, each a tree with bonds both ways");
  } else {
    workload.source = "synthetic-chung-lu";
    workload.pareto_shape = request.pareto_shape;
    workload.description = cat(named.name, ": Chung-Lu graph (Pareto shape ", request.pareto_shape, ", seed ", seed,
                               "): both endpoints drawn in proportion to Pareto weights");
  }
  if (model) {
    assign_model_inputs(*model, roles, generated, seed, "--graph " + request.graph, workload);
  } else {
    workload.inputs = {{"x", generated.x}, {"edge_index", generated.edge_index}};
    workload.input_order = {"x", "edge_index"};
    if (generated.batch.defined()) {
      workload.inputs["batch"] = generated.batch;
      workload.input_order.push_back("batch");
    }
  }
  return workload;
}

BenchWorkload make_from_synthetic_spec(const ir::Graph& model, const WorkloadRequest& request) {
  const SyntheticRequest spec_request = parse_synthetic(request.synthetic);
  const runtime::GraphInputRoles roles = checked_roles(model, "--synthetic");
  const std::optional<int64_t> width = declared_feature_width(model, roles.node_features);
  if (!width)
    fail_input("--synthetic: the model's node-feature input '", roles.node_features,
               "' has no fixed feature width to size x by; use --graph NAME or pass the graph as an .npz");
  BenchWorkload workload;
  workload.name = request.synthetic;
  workload.seed = spec_request.seed;
  io::SyntheticGraph generated;
  if (spec_request.molecules) {
    io::MoleculeBatchSpec spec;
    spec.num_graphs = *spec_request.molecules;
    spec.feature_width = *width;
    spec.seed = spec_request.seed;
    generated = io::make_molecule_batch(spec);
    workload.source = "synthetic-molecules";
    workload.description = cat("synthetic molecule batch (seed ", spec_request.seed, "): ", spec.num_graphs,
                               " graphs of ", spec.min_nodes, "..", spec.max_nodes,
                               " nodes, each a tree with bonds both ways");
  } else {
    io::PowerLawGraphSpec spec;
    spec.num_nodes = *spec_request.nodes;
    spec.num_edges = *spec_request.edges;
    spec.feature_width = *width;
    spec.seed = spec_request.seed;
    spec.exponent = spec_request.exponent;
    generated = io::make_power_law_graph(spec);
    workload.source = "synthetic-power-law";
    workload.description = cat("synthetic power-law graph (seed ", spec_request.seed, ", source exponent ",
                               spec.exponent, ", uniform targets)");
  }
  record_sizes(workload, generated);
  assign_model_inputs(model, roles, generated, spec_request.seed, "--synthetic", workload);
  return workload;
}

BenchWorkload make_from_files(const ir::Graph& model, const std::vector<std::string>& paths) {
  const runtime::GraphInputRoles roles = runtime::find_graph_input_roles(model);
  BenchWorkload workload;
  workload.source = "inputs";
  std::string files;
  for (const std::string& path : paths) files += (files.empty() ? "" : ", ") + path;
  workload.name = files;
  workload.description = "graph from " + files;
  runtime::TensorMap inputs = load_input_files(paths, {});
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
  for (const ir::ValueInfo& input : model.inputs) workload.input_order.push_back(input.name);
  workload.inputs = std::move(inputs);
  return workload;
}

}  // namespace

void check_workload_request(const WorkloadRequest& request) {
  const int sources = !request.graph.empty() + !request.synthetic.empty() + !request.input_npz.empty();
  if (sources != 1)
    fail_input("give the workload as exactly one of --graph NAME|FILE.npz, --inputs in.npz or --synthetic "
               "nodes=N,edges=E[,seed=S]");
  if (!request.synthetic.empty()) parse_synthetic(request.synthetic);
  const bool named = !request.graph.empty() && !names_npz_file(request.graph);
  if (named) io::parse_named_workload(request.graph);
  if (request.seed && !named)
    fail_input("--seed applies to a named workload (--graph NAME); --synthetic takes seed=S inside its spec, and "
               "a graph from a file has no seed");
  if (!(request.pareto_shape >= 0.5 && request.pareto_shape <= 1000.0))
    fail_input("--pareto-shape must be in [0.5, 1000], got ", request.pareto_shape);
}

BenchWorkload make_workload(const ir::Graph* model, const WorkloadRequest& request) {
  check_workload_request(request);
  const bool named = !request.graph.empty() && !names_npz_file(request.graph);
  if (named) return make_named(model, request);
  if (!model)
    fail_input("without a model (--onnx or --engine), gnnrt bench only generates a named workload: --graph NAME "
               "--save-inputs FILE.npz --iterations 0");
  if (!request.synthetic.empty()) return make_from_synthetic_spec(*model, request);
  return make_from_files(*model, request.graph.empty() ? request.input_npz : std::vector<std::string>{request.graph});
}

}  // namespace gnnrt::cli
