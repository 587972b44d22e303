#include "io/synthetic_graphs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace gnnrt::io {
namespace {

// One independent random stream per purpose, so that changing one part of a generator (say the
// feature width) leaves the others (the edges) unchanged for the same seed.
enum class Stream : uint64_t { Features = 1, Sources = 2, Targets = 3, RankShuffle = 4, GraphSizes = 5, Bonds = 6, EdgeWeights = 7 };

uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A counter-based generator: value i of a stream is a hash of (seed, stream, i), so values can be
// produced in any order, in parallel, and still be the same.
class CounterRng {
 public:
  CounterRng(uint64_t seed, Stream stream) : key_(splitmix64(seed ^ splitmix64(static_cast<uint64_t>(stream)))) {}
  uint64_t bits(uint64_t index) const { return splitmix64(key_ + index * 0xD1B54A32D192ED03ull); }
  // Uniform in [0, 1) with 53 random bits.
  double unit(uint64_t index) const { return static_cast<double>(bits(index) >> 11) * 0x1.0p-53; }
  // Uniform in [0, bound) for bound >= 1 (Lemire's multiply-shift; the bias is below 2^-64 * bound).
  int64_t below(uint64_t index, int64_t bound) const {
    return static_cast<int64_t>((static_cast<unsigned __int128>(bits(index)) * static_cast<uint64_t>(bound)) >> 64);
  }

 private:
  uint64_t key_;
};

// A zeroed host vector; bad_alloc or length_error become a user error naming the size.
std::vector<int64_t> zeroed_vector(const char* what, int64_t count) {
  try {
    return std::vector<int64_t>(static_cast<size_t>(count), 0);
  } catch (const std::exception&) {
    fail_input("synthetic graph: out of host memory for ", what, " (", count, " entries)");
  }
}

// A zeroed tensor, refusing sizes whose byte count overflows before anything is allocated.
Tensor allocate(const char* what, DType dtype, Dims shape) {
  const int64_t count = element_count(shape);  // fails on an int64 overflow of the product
  if (count > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(dtype_size(dtype)))
    fail_input("synthetic graph: ", what, " of shape ", shape_to_string(shape), " is too large to allocate");
  return Tensor(dtype, std::move(shape));
}

Tensor random_features(int64_t num_nodes, int64_t feature_width, uint64_t seed) {
  Tensor x = allocate("x", DType::Float32, {num_nodes, feature_width});
  float* values = x.data<float>();
  const CounterRng rng(seed, Stream::Features);
  const int64_t count = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) {
    // 24 random bits: exactly representable in float32, uniform in [-1, 1).
    values[i] = static_cast<float>(static_cast<double>(rng.bits(static_cast<uint64_t>(i)) >> 40) * 0x1.0p-23 - 1.0);
  }
  return x;
}

void check_size(const char* what, int64_t value) {
  if (value < 0) fail_input("synthetic graph: ", what, " must be >= 0, got ", value);
}

}  // namespace

SyntheticGraph make_power_law_graph(const PowerLawGraphSpec& spec) {
  check_size("num_nodes", spec.num_nodes);
  check_size("num_edges", spec.num_edges);
  check_size("feature_width", spec.feature_width);
  if (spec.num_edges > 0 && spec.num_nodes == 0)
    fail_input("synthetic graph: ", spec.num_edges, " edges need at least one node, got num_nodes = 0");
  if (!(spec.exponent >= 0.0 && spec.exponent <= 4.0))
    fail_input("synthetic graph: the power-law exponent must be in [0, 4], got ", spec.exponent);

  SyntheticGraph graph;
  graph.x = random_features(spec.num_nodes, spec.feature_width, spec.seed);
  graph.edge_index = allocate("edge_index", DType::Int64, {2, spec.num_edges});
  if (spec.num_edges == 0) return graph;

  // Popularity rank -> node id: a seeded Fisher-Yates shuffle scatters the hubs.
  const int64_t n = spec.num_nodes;
  std::vector<int64_t> node_of_rank = zeroed_vector("the rank shuffle", n);
  std::iota(node_of_rank.begin(), node_of_rank.end(), int64_t{0});
  const CounterRng shuffle(spec.seed, Stream::RankShuffle);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(node_of_rank[static_cast<size_t>(i)],
              node_of_rank[static_cast<size_t>(shuffle.below(static_cast<uint64_t>(i), i + 1))]);

  // Inverse CDF of the continuous density t^-s on [1, n + 1); rank = floor(t) - 1.
  const double s = spec.exponent;
  const bool logarithmic = std::abs(1.0 - s) < 1e-9;
  const double span = logarithmic ? std::log(static_cast<double>(n) + 1.0)
                                  : std::pow(static_cast<double>(n) + 1.0, 1.0 - s) - 1.0;
  const double inverse_power = logarithmic ? 0.0 : 1.0 / (1.0 - s);

  int64_t* sources = graph.edge_index.data<int64_t>();
  int64_t* targets = sources + spec.num_edges;
  const CounterRng source_rng(spec.seed, Stream::Sources), target_rng(spec.seed, Stream::Targets);
  const int64_t num_edges = spec.num_edges;
#pragma omp parallel for schedule(static)
  for (int64_t e = 0; e < num_edges; ++e) {
    const double u = source_rng.unit(static_cast<uint64_t>(e));
    const double t = logarithmic ? std::exp(u * span) : std::pow(span * u + 1.0, inverse_power);
    const int64_t rank = std::clamp(static_cast<int64_t>(std::floor(t)) - 1, int64_t{0}, n - 1);
    sources[e] = node_of_rank[static_cast<size_t>(rank)];
    targets[e] = target_rng.below(static_cast<uint64_t>(e), n);
  }
  return graph;
}

SyntheticGraph make_molecule_batch(const MoleculeBatchSpec& spec) {
  check_size("num_graphs", spec.num_graphs);
  check_size("feature_width", spec.feature_width);
  if (spec.min_nodes < 1 || spec.min_nodes > spec.max_nodes)
    fail_input("synthetic molecules: need 1 <= min_nodes <= max_nodes, got min_nodes = ", spec.min_nodes,
               ", max_nodes = ", spec.max_nodes);
  if (spec.num_graphs > std::numeric_limits<int64_t>::max() / 2 / spec.max_nodes)
    fail_input("synthetic molecules: ", spec.num_graphs, " graphs of up to ", spec.max_nodes,
               " nodes overflow the int64 node count");

  const int64_t num_graphs = spec.num_graphs;
  const CounterRng size_rng(spec.seed, Stream::GraphSizes);
  std::vector<int64_t> first_node = zeroed_vector("the graph offsets", num_graphs + 1);
  for (int64_t g = 0; g < num_graphs; ++g)
    first_node[static_cast<size_t>(g) + 1] =
        first_node[static_cast<size_t>(g)] + spec.min_nodes +
        size_rng.below(static_cast<uint64_t>(g), spec.max_nodes - spec.min_nodes + 1);
  const int64_t num_nodes = first_node.back();
  // A tree of n nodes has n - 1 bonds, each stored in both directions.
  const int64_t num_edges = 2 * (num_nodes - num_graphs);

  SyntheticGraph graph;
  graph.num_graphs = num_graphs;
  graph.x = random_features(num_nodes, spec.feature_width, spec.seed);
  graph.edge_index = allocate("edge_index", DType::Int64, {2, num_edges});
  graph.batch = allocate("batch", DType::Int64, {num_nodes});
  int64_t* sources = graph.edge_index.data<int64_t>();
  int64_t* targets = sources + num_edges;
  int64_t* batch = graph.batch.data<int64_t>();
  const CounterRng bond_rng(spec.seed, Stream::Bonds);
#pragma omp parallel for schedule(static)
  for (int64_t g = 0; g < num_graphs; ++g) {
    const int64_t first = first_node[static_cast<size_t>(g)], end = first_node[static_cast<size_t>(g) + 1];
    int64_t edge = 2 * (first - g);  // edges of the graphs before this one
    for (int64_t node = first; node < end; ++node) {
      batch[node] = g;
      if (node == first) continue;
      const int64_t parent = first + bond_rng.below(static_cast<uint64_t>(node), node - first);
      sources[edge] = node, targets[edge] = parent, ++edge;
      sources[edge] = parent, targets[edge] = node, ++edge;
    }
  }
  return graph;
}

Tensor make_edge_weights(int64_t num_edges, uint64_t seed) {
  check_size("num_edges", num_edges);
  Tensor weights = allocate("edge_weight", DType::Float32, {num_edges});
  float* values = weights.data<float>();
  const CounterRng rng(seed, Stream::EdgeWeights);
#pragma omp parallel for schedule(static)
  for (int64_t e = 0; e < num_edges; ++e)
    values[e] = static_cast<float>(static_cast<double>((rng.bits(static_cast<uint64_t>(e)) >> 40) + 1) * 0x1.0p-24);
  return weights;
}

DegreeSummary summarize_degrees(const Tensor& edge_index, int64_t num_nodes, int row) {
  if (edge_index.dtype() != DType::Int64 || edge_index.rank() != 2 || edge_index.dim(0) != 2 || !edge_index.on_host())
    fail_input("degree summary: expected a host int64 edge_index of shape [2, num_edges], got ", edge_index.describe());
  if (row != 0 && row != 1) fail_internal("degree summary: row must be 0 or 1, got ", row);
  check_size("num_nodes", num_nodes);
  const int64_t num_edges = edge_index.dim(1);
  const int64_t* indices = edge_index.data<int64_t>() + row * num_edges;
  std::vector<int64_t> degree = zeroed_vector("the degree counts", num_nodes);
  for (int64_t e = 0; e < num_edges; ++e) {
    const int64_t node = indices[e];
    if (node < 0 || node >= num_nodes)
      fail_input("degree summary: edge_index[", row, ", ", e, "] = ", node, " is outside [0, ", num_nodes, ")");
    ++degree[static_cast<size_t>(node)];
  }
  DegreeSummary summary;
  summary.max = degree.empty() ? 0 : *std::max_element(degree.begin(), degree.end());
  summary.mean = num_nodes == 0 ? 0.0 : static_cast<double>(num_edges) / static_cast<double>(num_nodes);
  return summary;
}

}  // namespace gnnrt::io
