// Optimisation profiles, as trtexec spells them: --min-shapes/--opt-shapes/--max-shapes
// "x:1x1433,edge_index:2x0", plus the graph shortcuts --{min,opt,max}-nodes and -edges that apply
// to every dimension sharing x's num_nodes or edge_index's num_edges, --opt-graphs and --max-graphs, the graphs a batch holds
// (not a dimension): the count tactics are timed at, and a bound on the values of batch. The engine records the profile; an input outside it
// is refused with a message that says which bound to raise.
#pragma once

#include <string>

#include "engine/engine_contents.h"
#include "ir/graph.h"

namespace gnnrt::builder {

struct ProfileRequest {
  std::string min_shapes, opt_shapes, max_shapes;  // "name:AxB,name:C"
  int64_t min_nodes = -1, opt_nodes = -1, max_nodes = -1;
  int64_t min_edges = -1, opt_edges = -1, max_edges = -1;
  int64_t opt_graphs = -1, max_graphs = -1;
};

// Dimensions with no bound given get [0, kUnboundedDim] (see engine_contents.h).
using engine::kUnboundedDim;

// One range per model input that has a dimension that is not fixed. Fails (InvalidInput) on an
// unknown input name, a wrong rank, a fixed dimension given another value, or min > opt > max.
engine::OptimizationProfile make_profile(const ir::Graph& graph, const ProfileRequest& request);

std::string describe_profile(const engine::OptimizationProfile& profile);

}  // namespace gnnrt::builder
