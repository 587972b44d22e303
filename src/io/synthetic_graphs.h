// Seeded synthetic graphs for benchmarks and tests, at the sizes of public graphs without their
// data: a Chung-Lu graph (skewed in- and out-degrees, as citation, social and co-purchase graphs
// have), a power-law graph (skewed out-degrees only, uniform targets) and a batch of small
// molecule-like graphs (PyG's block-diagonal batch with a sorted batch vector). Named workloads
// ("arxiv-size", "molecules-64", ...) fix the sizes that benchmarks and docs/PERFORMANCE.md use.
//
// Every value is a pure function of (seed, purpose, position), computed with a counter-based
// hash (splitmix64), so a graph is the same whatever the thread count, compiler or machine, and
// python/compare_pyg.py can give the very same graph to gnnrt and to torch (through the npz that
// `gnnrt bench --save-inputs` writes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gnnrt/tensor.h"

namespace gnnrt::io {

struct SyntheticGraph {
  Tensor x;           // float32 [num_nodes, feature_width], uniform in [-1, 1)
  Tensor edge_index;  // int64 [2, num_edges]: row 0 sources, row 1 targets (PyG's flow)
  Tensor batch;       // int64 [num_nodes], sorted graph ids; undefined for a single graph
  int64_t num_graphs = 1;
};

// Sources are drawn from a Zipf-like law: the node of popularity rank r (0-based) is picked with
// probability about proportional to (r + 1)^-exponent, so out-degrees follow a power law with
// P(degree > d) ~ d^(-1/exponent). Ranks are shuffled over node ids, so hubs are scattered as in
// real graphs rather than packed at id 0. Targets are uniform. Self-loops and repeated edges occur
// as they do in real edge lists.
struct PowerLawGraphSpec {
  int64_t num_nodes = 0;
  int64_t num_edges = 0;
  int64_t feature_width = 0;
  uint64_t seed = 0;
  // 0.7 gives degree-distribution exponent 1 + 1/0.7 ~ 2.4, typical of citation graphs: at arxiv
  // size the busiest node gets ~15k edges (ogbn-arxiv's has ~13k). 0 makes sources uniform too.
  double exponent = 0.7;
};

// Fails (InvalidInput) on negative sizes, edges without nodes, an exponent outside [0, 4], or a
// tensor size that overflows int64.
SyntheticGraph make_power_law_graph(const PowerLawGraphSpec& spec);

// Chung-Lu: both endpoints of every edge are drawn, independently, with probability proportional
// to the node's weight, and the weights follow a Pareto law of shape `pareto_shape` (alpha). So
// in-degrees and out-degrees are both heavy-tailed, P(degree > d) ~ d^-alpha, and a node's in-
// and out-degree are alike (a hub is cited and cites). The weights are the Pareto quantiles
// rather than samples: the node of popularity rank r (0-based) has weight
// w_r = integral over [r + 1, r + 2) of t^(-1/alpha) dt, proportional to ((r + 1) / n)^(-1/alpha)
// up to the smoothing of that integral, so the largest degrees are the expected ones for every
// seed instead of a heavy-tailed random draw. Ranks are shuffled over node ids (hubs scattered);
// each endpoint is one inverse-CDF draw, a pure function of (seed, endpoint row, edge position).
// Self-loops and repeated edges occur (between hubs) as they do in real edge lists.
//
// Shape 2 (degree density ~ d^-3, Redner's exponent for citations): at arxiv size the busiest node
// gets ~2,300 edges each way (ogbn-arxiv: ~13k in), at reddit size ~98k (Reddit: ~22k), at products
// size ~33k (ogbn-products: ~17k). Shape 1.5 would match arxiv's 13k but give reddit size a node
// with 0.4 % of all 115 M edges; shape 2 keeps every size within a few times its real graph.
constexpr double kDefaultParetoShape = 2.0;

struct ChungLuGraphSpec {
  int64_t num_nodes = 0;
  int64_t num_edges = 0;
  int64_t feature_width = 0;
  uint64_t seed = 0;
  double pareto_shape = kDefaultParetoShape;  // in [0.5, 1000]; large values approach uniform
};

// Fails (InvalidInput) on negative sizes, edges without nodes, a shape outside [0.5, 1000], or a
// tensor size that overflows int64. Parallel (OpenMP); x and edge_index are written once, in place.
SyntheticGraph make_chung_lu_graph(const ChungLuGraphSpec& spec);

// `num_graphs` graphs of min_nodes..max_nodes nodes each (uniform), each a random tree (every
// node k > 0 bonded to a random earlier node, as molecule skeletons mostly are), with each bond
// in both directions: 2 (n - 1) edges per graph, about 2 per node. Node ids are offset per graph
// (a disjoint union) and the batch vector is sorted, as PyG's DataLoader makes it.
struct MoleculeBatchSpec {
  int64_t num_graphs = 0;
  int64_t feature_width = 0;
  uint64_t seed = 0;
  int64_t min_nodes = 10;
  int64_t max_nodes = 40;
};

// Fails (InvalidInput) on a negative graph count or width, or min_nodes < 1 or > max_nodes.
SyntheticGraph make_molecule_batch(const MoleculeBatchSpec& spec);

// Positive edge weights, uniform in (0, 1], for models that take edge_weight.
Tensor make_edge_weights(int64_t num_edges, uint64_t seed);

// How many times each node appears in one row of edge_index (row 0: out-degree, row 1: in-degree).
struct DegreeSummary {
  int64_t max = 0;
  double mean = 0.0;  // over all nodes, isolated ones included
};
// Fails (InvalidInput) when edge_index is not int64 [2, E] or holds an index outside [0, num_nodes)
// (naming the first such position). Parallel (OpenMP), the same result for any thread count.
DegreeSummary summarize_degrees(const Tensor& edge_index, int64_t num_nodes, int row);

// A workload named on the command line (`gnnrt bench --graph NAME`) and by compare_pyg.py:
//   cora-size       2,708 nodes / 10,556 edges, x width 1433  (Chung-Lu at Cora's sizes)
//   arxiv-size      169,343 / 2,315,598, width 128           (ogbn-arxiv's sizes)
//   reddit-size     232,965 / 114,615,892, width 602         (Reddit's)
//   products-size   2,449,029 / 123,718,280, width 100       (ogbn-products')
//   molecules-G     G molecule-like graphs (make_molecule_batch), width 32
//   chung-lu:nodes=N,edges=E[,width=F]   any other Chung-Lu size (width 16 unless given)
struct NamedWorkload {
  enum class Kind { ChungLu, Molecules };
  std::string name;
  Kind kind = Kind::ChungLu;
  int64_t num_nodes = 0, num_edges = 0;  // Chung-Lu
  int64_t num_graphs = 0;                // molecules
  int64_t feature_width = 0;             // x's width unless the model fixes another
};

// The workload `text` names. Fails (InvalidInput) on an unknown name or a malformed chung-lu: or
// molecules- form, listing the names it knows.
NamedWorkload parse_named_workload(const std::string& text);
// "cora-size, arxiv-size, reddit-size, products-size, molecules-G, chung-lu:nodes=N,edges=E[,width=F]"
std::string named_workload_names();

// The graph of a named workload, with x of `feature_width` columns (the model's, or the name's).
SyntheticGraph make_named_workload(const NamedWorkload& workload, int64_t feature_width, uint64_t seed,
                                   double pareto_shape = kDefaultParetoShape);

}  // namespace gnnrt::io
