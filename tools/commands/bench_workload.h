// The graph gnnrt bench times: a named synthetic workload (--graph arxiv-size), an .npz of inputs
// (--graph FILE.npz or --inputs), or the older --synthetic spec, turned into one host tensor per
// model input, in the dtypes the model declares.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/synthetic_graphs.h"
#include "ir/graph.h"
#include "runtime/executor.h"

namespace gnnrt::cli {

struct WorkloadRequest {
  std::string graph;                   // --graph: a workload name or an .npz path
  std::string synthetic;               // --synthetic nodes=N,edges=E[,...] or molecules=G[,seed=S]
  std::vector<std::string> input_npz;  // --inputs
  std::optional<uint64_t> seed;        // --seed (named workloads)
  double pareto_shape = io::kDefaultParetoShape;
};

struct BenchWorkload {
  runtime::TensorMap inputs;  // by model input name (x, edge_index, batch without a model)
  std::vector<std::string> input_order;  // the model's input order, for saving
  std::string name;         // "arxiv-size", "molecules-64", the npz path, or the --synthetic text
  std::string source;       // "synthetic-chung-lu", "synthetic-power-law", "synthetic-molecules", "inputs"
  std::string description;  // for the report
  std::optional<uint64_t> seed;
  std::optional<double> pareto_shape;
  int64_t num_nodes = 0, num_edges = 0, num_graphs = 1, feature_width = 0;
  std::vector<std::string> notes;  // for stderr: choices the user may not expect
};

// Checks the request's form (exactly one source, a known name, a well-formed --synthetic) without
// generating or reading anything, so that a typo fails before a slow build.
void check_workload_request(const WorkloadRequest& request);

// `model`: the model's graph, or nullptr to generate x, edge_index (and batch) on their own
// (--save-inputs without a model; named workloads only).
BenchWorkload make_workload(const ir::Graph* model, const WorkloadRequest& request);

}  // namespace gnnrt::cli
