// Seeded synthetic graphs for benchmarks and tests, at the sizes of public graphs without their
// data: a power-law graph (skewed out-degrees, as citation and social graphs have) and a batch of
// small molecule-like graphs (PyG's block-diagonal batch with a sorted batch vector).
//
// Every value is a pure function of (seed, purpose, position), computed with a counter-based
// hash (splitmix64), so a graph is the same whatever the thread count, compiler or machine, and
// python/compare_pyg.py can give the very same graph to gnnrt and to torch (through the npz that
// `gnnrt bench --save-inputs` writes).
#pragma once

#include <cstdint>

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
// Fails (InvalidInput) when edge_index is not int64 [2, E] or holds an index outside [0, num_nodes).
DegreeSummary summarize_degrees(const Tensor& edge_index, int64_t num_nodes, int row);

}  // namespace gnnrt::io
