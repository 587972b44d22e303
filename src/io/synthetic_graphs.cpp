#include "io/synthetic_graphs.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace gnnrt::io {
namespace {

// One independent random stream per purpose, so that changing one part of a generator (say the
// feature width) leaves the others (the edges) unchanged for the same seed.
enum class Stream : uint64_t {
  Features = 1,
  Sources = 2,
  Targets = 3,
  RankShuffle = 4,
  GraphSizes = 5,
  Bonds = 6,
  EdgeWeights = 7,
  ChungLuSources = 8,
  ChungLuTargets = 9,
};

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

// Like allocate, without zeroing: for arrays the generator writes in full (in parallel, so the
// pages are first touched by the threads that fill them). Saves a pass over gigabytes.
Tensor allocate_unfilled(const char* what, DType dtype, Dims shape) {
  const int64_t count = element_count(shape);
  if (count > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(dtype_size(dtype)) - 64)
    fail_input("synthetic graph: ", what, " of shape ", shape_to_string(shape), " is too large to allocate");
  if (count == 0) return Tensor(dtype, std::move(shape));
  const size_t bytes = (static_cast<size_t>(count) * dtype_size(dtype) + 63) / 64 * 64;
  void* data = std::aligned_alloc(64, bytes);
  if (!data)
    fail_input("synthetic graph: out of host memory for ", what, " of shape ", shape_to_string(shape), " (",
               bytes, " bytes)");
  std::shared_ptr<void> owner(data, [](void* p) { std::free(p); });
  return Tensor::view(dtype, std::move(shape), std::move(owner), data);
}

// Popularity rank -> node id: a seeded Fisher-Yates shuffle scatters the hubs over the ids.
std::vector<int64_t> shuffled_ranks(int64_t num_nodes, uint64_t seed) {
  std::vector<int64_t> node_of_rank = zeroed_vector("the rank shuffle", num_nodes);
  std::iota(node_of_rank.begin(), node_of_rank.end(), int64_t{0});
  const CounterRng shuffle(seed, Stream::RankShuffle);
  for (int64_t i = num_nodes - 1; i > 0; --i)
    std::swap(node_of_rank[static_cast<size_t>(i)],
              node_of_rank[static_cast<size_t>(shuffle.below(static_cast<uint64_t>(i), i + 1))]);
  return node_of_rank;
}

// Draws a popularity rank in [0, n) with probability proportional to the integral of t^-s over
// [rank + 1, rank + 2): the inverse CDF of the continuous density t^-s on [1, n + 1), floored.
class RankSampler {
 public:
  RankSampler(int64_t num_nodes, double s)
      : n_(num_nodes), logarithmic_(std::abs(1.0 - s) < 1e-9) {
    const double top = static_cast<double>(num_nodes) + 1.0;
    span_ = logarithmic_ ? std::log(top) : std::pow(top, 1.0 - s) - 1.0;
    inverse_power_ = logarithmic_ ? 0.0 : 1.0 / (1.0 - s);
  }
  int64_t rank(double u) const {
    double t;
    if (logarithmic_) t = std::exp(u * span_);
    else if (inverse_power_ == 2.0) t = (span_ * u + 1.0) * (span_ * u + 1.0);  // s = 1/2: Pareto shape 2, no pow
    else t = std::pow(span_ * u + 1.0, inverse_power_);
    return std::clamp(static_cast<int64_t>(std::floor(t)) - 1, int64_t{0}, n_ - 1);
  }

 private:
  int64_t n_;
  bool logarithmic_;
  double span_ = 0, inverse_power_ = 0;
};

Tensor random_features(int64_t num_nodes, int64_t feature_width, uint64_t seed) {
  Tensor x = allocate_unfilled("x", DType::Float32, {num_nodes, feature_width});
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

// Checks the sizes and makes x and an unfilled edge_index: what every single-graph generator starts with.
SyntheticGraph start_single_graph(int64_t num_nodes, int64_t num_edges, int64_t feature_width, uint64_t seed) {
  check_size("num_nodes", num_nodes);
  check_size("num_edges", num_edges);
  check_size("feature_width", feature_width);
  if (num_edges > 0 && num_nodes == 0)
    fail_input("synthetic graph: ", num_edges, " edges need at least one node, got num_nodes = 0");
  SyntheticGraph graph;
  graph.x = random_features(num_nodes, feature_width, seed);
  graph.edge_index = allocate_unfilled("edge_index", DType::Int64, {2, num_edges});
  return graph;
}

}  // namespace

SyntheticGraph make_power_law_graph(const PowerLawGraphSpec& spec) {
  if (!(spec.exponent >= 0.0 && spec.exponent <= 4.0))
    fail_input("synthetic graph: the power-law exponent must be in [0, 4], got ", spec.exponent);
  SyntheticGraph graph = start_single_graph(spec.num_nodes, spec.num_edges, spec.feature_width, spec.seed);
  if (spec.num_edges == 0) return graph;

  const int64_t n = spec.num_nodes;
  const std::vector<int64_t> node_of_rank = shuffled_ranks(n, spec.seed);
  const RankSampler sampler(n, spec.exponent);
  int64_t* sources = graph.edge_index.data<int64_t>();
  int64_t* targets = sources + spec.num_edges;
  const CounterRng source_rng(spec.seed, Stream::Sources), target_rng(spec.seed, Stream::Targets);
  const int64_t num_edges = spec.num_edges;
#pragma omp parallel for schedule(static)
  for (int64_t e = 0; e < num_edges; ++e) {
    sources[e] = node_of_rank[static_cast<size_t>(sampler.rank(source_rng.unit(static_cast<uint64_t>(e))))];
    targets[e] = target_rng.below(static_cast<uint64_t>(e), n);
  }
  return graph;
}

SyntheticGraph make_chung_lu_graph(const ChungLuGraphSpec& spec) {
  if (!(spec.pareto_shape >= 0.5 && spec.pareto_shape <= 1000.0))
    fail_input("synthetic graph: the Pareto shape must be in [0.5, 1000], got ", spec.pareto_shape);
  SyntheticGraph graph = start_single_graph(spec.num_nodes, spec.num_edges, spec.feature_width, spec.seed);
  if (spec.num_edges == 0) return graph;

  // Weight of rank r ~ (r + 1)^(-1/alpha): the Pareto(alpha) quantile at tail probability (r + 1) / n.
  const std::vector<int64_t> node_of_rank = shuffled_ranks(spec.num_nodes, spec.seed);
  const RankSampler sampler(spec.num_nodes, 1.0 / spec.pareto_shape);
  int64_t* sources = graph.edge_index.data<int64_t>();
  int64_t* targets = sources + spec.num_edges;
  const CounterRng source_rng(spec.seed, Stream::ChungLuSources), target_rng(spec.seed, Stream::ChungLuTargets);
  const int64_t num_edges = spec.num_edges;
#pragma omp parallel for schedule(static)
  for (int64_t e = 0; e < num_edges; ++e) {
    const auto position = static_cast<uint64_t>(e);
    sources[e] = node_of_rank[static_cast<size_t>(sampler.rank(source_rng.unit(position)))];
    targets[e] = node_of_rank[static_cast<size_t>(sampler.rank(target_rng.unit(position)))];
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
  graph.edge_index = allocate_unfilled("edge_index", DType::Int64, {2, num_edges});
  graph.batch = allocate_unfilled("batch", DType::Int64, {num_nodes});
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
  int64_t* counts = degree.data();
  // Integer counts: atomic increments give the same totals in any order. The first bad position
  // is the smallest one, whatever thread saw it.
  int64_t first_bad = num_edges;
#pragma omp parallel for schedule(static) reduction(min : first_bad)
  for (int64_t e = 0; e < num_edges; ++e) {
    const int64_t node = indices[e];
    if (node < 0 || node >= num_nodes) {
      first_bad = std::min(first_bad, e);
      continue;
    }
#pragma omp atomic
    ++counts[node];
  }
  if (first_bad < num_edges)
    fail_input("degree summary: edge_index[", row, ", ", first_bad, "] = ", indices[first_bad], " is outside [0, ",
               num_nodes, ")");
  DegreeSummary summary;
  summary.max = degree.empty() ? 0 : *std::max_element(degree.begin(), degree.end());
  summary.mean = num_nodes == 0 ? 0.0 : static_cast<double>(num_edges) / static_cast<double>(num_nodes);
  return summary;
}

namespace {

struct PublicGraphSize {
  const char* name;
  int64_t num_nodes, num_edges, feature_width;
};
// The sizes of the public graphs in issue 4's table (edges as PyG stores them: both directions).
constexpr PublicGraphSize kPublicGraphSizes[] = {
    {"cora-size", 2'708, 10'556, 1433},
    {"arxiv-size", 169'343, 2'315'598, 128},
    {"reddit-size", 232'965, 114'615'892, 602},
    {"products-size", 2'449'029, 123'718'280, 100},
};
constexpr int64_t kMoleculeFeatureWidth = 32;
constexpr int64_t kCustomChungLuFeatureWidth = 16;

// A non-negative decimal integer, all of `text`.
std::optional<int64_t> parse_count(const std::string& text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || value < 0) return std::nullopt;
  return value;
}

NamedWorkload parse_custom_chung_lu(const std::string& text, const std::string& settings) {
  const std::string usage = "expected chung-lu:nodes=N,edges=E[,width=F]";
  NamedWorkload workload;
  workload.name = text;
  workload.feature_width = kCustomChungLuFeatureWidth;
  bool has_nodes = false, has_edges = false;
  size_t start = 0;
  while (start <= settings.size()) {
    const size_t comma = std::min(settings.find(',', start), settings.size());
    const std::string item = settings.substr(start, comma - start);
    start = comma + 1;
    const size_t equals = item.find('=');
    if (equals == std::string::npos) fail_input("--graph ", text, ": '", item, "' is not key=value; ", usage);
    const std::string key = item.substr(0, equals);
    const std::optional<int64_t> value = parse_count(item.substr(equals + 1));
    if (!value)
      fail_input("--graph ", text, ": ", key, " must be a non-negative integer, got '", item.substr(equals + 1), "'");
    if (key == "nodes") workload.num_nodes = *value, has_nodes = true;
    else if (key == "edges") workload.num_edges = *value, has_edges = true;
    else if (key == "width") workload.feature_width = *value;
    else fail_input("--graph ", text, ": unknown key '", key, "'; ", usage);
  }
  if (!has_nodes || !has_edges) fail_input("--graph ", text, ": give both nodes= and edges=; ", usage);
  if (workload.num_edges > 0 && workload.num_nodes == 0)
    fail_input("--graph ", text, ": ", workload.num_edges, " edges need at least one node");
  return workload;
}

}  // namespace

std::string named_workload_names() {
  std::string names;
  for (const PublicGraphSize& size : kPublicGraphSizes) names += std::string(size.name) + ", ";
  return names + "molecules-G (G graphs), chung-lu:nodes=N,edges=E[,width=F]";
}

NamedWorkload parse_named_workload(const std::string& text) {
  for (const PublicGraphSize& size : kPublicGraphSizes) {
    if (text != size.name) continue;
    NamedWorkload workload;
    workload.name = text;
    workload.num_nodes = size.num_nodes;
    workload.num_edges = size.num_edges;
    workload.feature_width = size.feature_width;
    return workload;
  }
  const std::string molecules = "molecules-";
  if (text.rfind(molecules, 0) == 0) {
    const std::optional<int64_t> graphs = parse_count(text.substr(molecules.size()));
    if (!graphs || *graphs < 1)
      fail_input("--graph ", text, ": expected molecules-G with a graph count G >= 1");
    NamedWorkload workload;
    workload.name = text;
    workload.kind = NamedWorkload::Kind::Molecules;
    workload.num_graphs = *graphs;
    workload.feature_width = kMoleculeFeatureWidth;
    return workload;
  }
  const std::string custom = "chung-lu:";
  if (text.rfind(custom, 0) == 0) return parse_custom_chung_lu(text, text.substr(custom.size()));
  fail_input("--graph ", text, ": not a named workload nor an .npz file; the named workloads are ",
             named_workload_names());
}

SyntheticGraph make_named_workload(const NamedWorkload& workload, int64_t feature_width, uint64_t seed,
                                   double pareto_shape) {
  if (workload.kind == NamedWorkload::Kind::Molecules) {
    MoleculeBatchSpec spec;
    spec.num_graphs = workload.num_graphs;
    spec.feature_width = feature_width;
    spec.seed = seed;
    return make_molecule_batch(spec);
  }
  ChungLuGraphSpec spec;
  spec.num_nodes = workload.num_nodes;
  spec.num_edges = workload.num_edges;
  spec.feature_width = feature_width;
  spec.seed = seed;
  spec.pareto_shape = pareto_shape;
  return make_chung_lu_graph(spec);
}

}  // namespace gnnrt::io
