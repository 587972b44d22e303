// Synthetic graph generators: deterministic for a seed, the requested sizes, indices in range,
// skewed source degrees (power law) or skewed in- and out-degrees (Chung-Lu), real (non-zero)
// features, molecule batches shaped as PyG makes them, and the named workloads' sizes.
#include <gtest/gtest.h>
#include "core/openmp.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <set>
#include <vector>

#include "io/synthetic_graphs.h"
#include "test_support.h"

namespace gnnrt {
namespace {

using testing::expect_error;

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// Occurrences of each node in one row of edge_index, counted by a plain loop (independent of
// summarize_degrees, which is itself under test below).
std::vector<int64_t> count_row(const Tensor& edge_index, int64_t num_nodes, int row) {
  std::vector<int64_t> counts(static_cast<size_t>(num_nodes), 0);
  const int64_t num_edges = edge_index.dim(1);
  for (int64_t e = 0; e < num_edges; ++e) ++counts.at(static_cast<size_t>(edge_index.data<int64_t>()[row * num_edges + e]));
  return counts;
}

io::PowerLawGraphSpec spec(int64_t nodes, int64_t edges, int64_t width, uint64_t seed) {
  io::PowerLawGraphSpec s;
  s.num_nodes = nodes;
  s.num_edges = edges;
  s.feature_width = width;
  s.seed = seed;
  return s;
}

TEST(SyntheticGraphs, PowerLawGraphHasTheRequestedSizesAndInRangeIndices) {
  const io::SyntheticGraph graph = io::make_power_law_graph(spec(1000, 8000, 7, 42));
  EXPECT_EQ(graph.x.dtype(), DType::Float32);
  EXPECT_EQ(graph.x.shape(), (Dims{1000, 7}));
  EXPECT_EQ(graph.edge_index.dtype(), DType::Int64);
  EXPECT_EQ(graph.edge_index.shape(), (Dims{2, 8000}));
  EXPECT_FALSE(graph.batch.defined());
  EXPECT_EQ(graph.num_graphs, 1);
  for (int64_t v : testing::values_of<int64_t>(graph.edge_index)) {
    ASSERT_GE(v, 0);
    ASSERT_LT(v, 1000);
  }
}

TEST(SyntheticGraphs, SameSeedGivesTheSameGraphAndOtherSeedsDiffer) {
  const io::SyntheticGraph a = io::make_power_law_graph(spec(500, 3000, 5, 7));
  const io::SyntheticGraph b = io::make_power_law_graph(spec(500, 3000, 5, 7));
  const io::SyntheticGraph c = io::make_power_law_graph(spec(500, 3000, 5, 8));
  EXPECT_TRUE(same_bytes(a.x, b.x));
  EXPECT_TRUE(same_bytes(a.edge_index, b.edge_index));
  EXPECT_FALSE(same_bytes(a.x, c.x));
  EXPECT_FALSE(same_bytes(a.edge_index, c.edge_index));
  // Each part has its own stream: the edges do not depend on the feature width.
  const io::SyntheticGraph wide = io::make_power_law_graph(spec(500, 3000, 64, 7));
  EXPECT_TRUE(same_bytes(a.edge_index, wide.edge_index));
}

TEST(SyntheticGraphs, ValuesMatchAnIndependentReimplementationAndDoNotDrift) {
  // Published tables name graphs by (generator, sizes, seed), so the generator must not drift.
  // The expected values come from a separate Python transcription of the documented scheme
  // (splitmix64 counter streams, Fisher-Yates rank shuffle, inverse-CDF power law), not from
  // this C++ code.
  const io::SyntheticGraph graph = io::make_power_law_graph(spec(100, 400, 3, 1));
  const std::vector<int64_t> edges = testing::values_of<int64_t>(graph.edge_index);
  EXPECT_EQ(std::vector<int64_t>(edges.begin(), edges.begin() + 6), (std::vector<int64_t>{62, 79, 85, 47, 81, 20}));
  EXPECT_EQ(std::vector<int64_t>(edges.begin() + 400, edges.begin() + 406), (std::vector<int64_t>{33, 45, 33, 79, 6, 2}));
  uint64_t edge_hash = 0;
  for (int64_t v : edges) edge_hash = edge_hash * 31 + static_cast<uint64_t>(v);
  EXPECT_EQ(edge_hash, 11580870544491425658ull);
  const std::vector<float> x = testing::values_of<float>(graph.x);
  EXPECT_EQ(std::vector<float>(x.begin(), x.begin() + 4),
            (std::vector<float>{-0.31673741340637207f, -0.6181600093841553f, -0.9026856422424316f, 0.5072757005691528f}));
}

TEST(SyntheticGraphs, SourceDegreesAreSkewedAndTargetsAreNot) {
  const int64_t nodes = 2000, edges = 20000;
  const io::SyntheticGraph graph = io::make_power_law_graph(spec(nodes, edges, 1, 3));
  const std::vector<int64_t> out_degree = count_row(graph.edge_index, nodes, 0);
  const std::vector<int64_t> in_degree = count_row(graph.edge_index, nodes, 1);
  const double mean = static_cast<double>(edges) / nodes;  // 10
  const int64_t max_out = *std::max_element(out_degree.begin(), out_degree.end());
  const int64_t max_in = *std::max_element(in_degree.begin(), in_degree.end());
  // Exponent 0.7 on 2000 nodes: the top rank takes (2^0.3 - 1) / (2001^0.3 - 1) ~ 2.4% of the
  // edges, ~480, against a mean of 10. Uniform targets: Poisson(10) has a max near 25 here.
  EXPECT_GT(max_out, 20 * mean) << "max out-degree " << max_out;
  EXPECT_LT(max_in, 4 * mean) << "max in-degree " << max_in;
  // Hubs are scattered over the ids, not packed at node 0.
  EXPECT_NE(std::max_element(out_degree.begin(), out_degree.end()) - out_degree.begin(), 0);

  const io::DegreeSummary out_summary = io::summarize_degrees(graph.edge_index, nodes, 0);
  const io::DegreeSummary in_summary = io::summarize_degrees(graph.edge_index, nodes, 1);
  EXPECT_EQ(out_summary.max, max_out);
  EXPECT_EQ(in_summary.max, max_in);
  EXPECT_DOUBLE_EQ(out_summary.mean, mean);
}

TEST(SyntheticGraphs, ExponentZeroMakesSourcesUniform) {
  io::PowerLawGraphSpec uniform = spec(2000, 20000, 1, 3);
  uniform.exponent = 0.0;
  const io::SyntheticGraph graph = io::make_power_law_graph(uniform);
  EXPECT_LT(io::summarize_degrees(graph.edge_index, 2000, 0).max, 40);
}

TEST(SyntheticGraphs, FeaturesAreSpreadOverMinusOneToOne) {
  const io::SyntheticGraph graph = io::make_power_law_graph(spec(300, 0, 16, 5));
  const std::vector<float> x = testing::values_of<float>(graph.x);
  double sum = 0;
  int64_t nonzero = 0, negative = 0;
  for (float v : x) {
    ASSERT_GE(v, -1.0f);
    ASSERT_LT(v, 1.0f);
    sum += v;
    nonzero += v != 0.0f;
    negative += v < 0.0f;
  }
  EXPECT_GT(nonzero, static_cast<int64_t>(x.size()) - 3);
  EXPECT_NEAR(sum / static_cast<double>(x.size()), 0.0, 0.05);  // 4800 uniform values: sd of the mean ~0.008
  EXPECT_GT(negative, 2000);
  EXPECT_LT(negative, 2800);
  EXPECT_EQ(graph.edge_index.shape(), (Dims{2, 0}));
}

TEST(SyntheticGraphs, EmptyAndSingleNodeGraphs) {
  const io::SyntheticGraph empty = io::make_power_law_graph(spec(0, 0, 4, 1));
  EXPECT_EQ(empty.x.shape(), (Dims{0, 4}));
  EXPECT_EQ(empty.edge_index.shape(), (Dims{2, 0}));
  const io::SyntheticGraph one = io::make_power_law_graph(spec(1, 5, 2, 1));
  EXPECT_EQ(testing::values_of<int64_t>(one.edge_index), std::vector<int64_t>(10, 0));
}

TEST(SyntheticGraphs, BadSpecsAreTheUsersError) {
  expect_error(ErrorCode::InvalidInput, [] { io::make_power_law_graph(spec(-1, 0, 4, 1)); }, {"num_nodes", "-1"});
  expect_error(ErrorCode::InvalidInput, [] { io::make_power_law_graph(spec(0, 3, 4, 1)); }, {"3 edges", "num_nodes = 0"});
  expect_error(ErrorCode::InvalidInput, [] { io::make_power_law_graph(spec(10, 3, -2, 1)); }, {"feature_width"});
  io::PowerLawGraphSpec bad_exponent = spec(10, 3, 2, 1);
  bad_exponent.exponent = -0.5;
  expect_error(ErrorCode::InvalidInput, [&] { io::make_power_law_graph(bad_exponent); }, {"exponent", "[0, 4]"});
  // The product overflows int64: refused before anything is allocated.
  expect_error(ErrorCode::InvalidInput, [] { io::make_power_law_graph(spec(int64_t{1} << 40, 0, int64_t{1} << 40, 1)); });
  expect_error(ErrorCode::InvalidInput, [] { io::make_power_law_graph(spec(10, int64_t{1} << 61, 2, 1)); },
               {"edge_index", "too large"});
}

io::MoleculeBatchSpec molecules(int64_t graphs, int64_t width, uint64_t seed) {
  io::MoleculeBatchSpec s;
  s.num_graphs = graphs;
  s.feature_width = width;
  s.seed = seed;
  return s;
}

TEST(SyntheticGraphs, MoleculeBatchIsADisjointUnionOfTreesWithASortedBatch) {
  const int64_t graphs = 64;
  const io::SyntheticGraph batch = io::make_molecule_batch(molecules(graphs, 32, 9));
  EXPECT_EQ(batch.num_graphs, graphs);
  const int64_t nodes = batch.x.dim(0);
  EXPECT_EQ(batch.x.shape(), (Dims{nodes, 32}));
  ASSERT_TRUE(batch.batch.defined());
  EXPECT_EQ(batch.batch.shape(), (Dims{nodes}));
  EXPECT_EQ(batch.edge_index.shape(), (Dims{2, 2 * (nodes - graphs)}));

  // Sorted graph ids 0..G-1, each graph 10..40 nodes.
  const std::vector<int64_t> ids = testing::values_of<int64_t>(batch.batch);
  std::vector<int64_t> size(graphs, 0);
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_GE(ids[i], 0);
    ASSERT_LT(ids[i], graphs);
    if (i > 0) ASSERT_LE(ids[i - 1], ids[i]);
    ++size[static_cast<size_t>(ids[i])];
  }
  std::set<int64_t> distinct_sizes;
  for (int64_t s : size) {
    EXPECT_GE(s, 10);
    EXPECT_LE(s, 40);
    distinct_sizes.insert(s);
  }
  EXPECT_GT(distinct_sizes.size(), 10u);  // sizes vary

  // Every edge stays inside its graph, appears in both directions, and each graph is connected
  // (a tree: n - 1 bonds reaching every node from its first).
  const int64_t num_edges = batch.edge_index.dim(1);
  const int64_t* src = batch.edge_index.data<int64_t>();
  const int64_t* dst = src + num_edges;
  std::multiset<std::pair<int64_t, int64_t>> edges;
  for (int64_t e = 0; e < num_edges; ++e) {
    ASSERT_GE(src[e], 0);
    ASSERT_LT(src[e], nodes);
    ASSERT_GE(dst[e], 0);
    ASSERT_LT(dst[e], nodes);
    ASSERT_EQ(ids[static_cast<size_t>(src[e])], ids[static_cast<size_t>(dst[e])]) << "edge " << e << " crosses graphs";
    ASSERT_NE(src[e], dst[e]);
    edges.insert({src[e], dst[e]});
  }
  for (const auto& [a, b] : edges) EXPECT_EQ(edges.count({a, b}), edges.count({b, a}));
  std::vector<int64_t> root(static_cast<size_t>(nodes));
  for (int64_t v = 0; v < nodes; ++v) root[static_cast<size_t>(v)] = v;
  auto find = [&](int64_t v) {
    while (root[static_cast<size_t>(v)] != v) v = root[static_cast<size_t>(v)] = root[static_cast<size_t>(root[static_cast<size_t>(v)])];
    return v;
  };
  for (int64_t e = 0; e < num_edges; ++e) root[static_cast<size_t>(find(src[e]))] = find(dst[e]);
  std::set<int64_t> components;
  for (int64_t v = 0; v < nodes; ++v) components.insert(find(v));
  EXPECT_EQ(static_cast<int64_t>(components.size()), graphs);
}

TEST(SyntheticGraphs, MoleculeBatchesAreDeterministicAndEdgeCasesWork) {
  EXPECT_TRUE(same_bytes(io::make_molecule_batch(molecules(5, 4, 1)).edge_index,
                         io::make_molecule_batch(molecules(5, 4, 1)).edge_index));
  EXPECT_FALSE(same_bytes(io::make_molecule_batch(molecules(5, 4, 1)).edge_index,
                          io::make_molecule_batch(molecules(5, 4, 2)).edge_index));
  const io::SyntheticGraph none = io::make_molecule_batch(molecules(0, 4, 1));
  EXPECT_EQ(none.x.shape(), (Dims{0, 4}));
  EXPECT_EQ(none.edge_index.shape(), (Dims{2, 0}));
  io::MoleculeBatchSpec single_atoms = molecules(3, 2, 1);
  single_atoms.min_nodes = single_atoms.max_nodes = 1;
  const io::SyntheticGraph atoms = io::make_molecule_batch(single_atoms);
  EXPECT_EQ(testing::values_of<int64_t>(atoms.batch), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(atoms.edge_index.shape(), (Dims{2, 0}));

  io::MoleculeBatchSpec inverted = molecules(3, 2, 1);
  inverted.min_nodes = 5;
  inverted.max_nodes = 4;
  expect_error(ErrorCode::InvalidInput, [&] { io::make_molecule_batch(inverted); }, {"min_nodes = 5", "max_nodes = 4"});
  expect_error(ErrorCode::InvalidInput, [] { io::make_molecule_batch(molecules(-1, 2, 1)); }, {"num_graphs"});
  expect_error(ErrorCode::InvalidInput, [] { io::make_molecule_batch(molecules(int64_t{1} << 62, 2, 1)); },
               {"overflow"});
}

TEST(SyntheticGraphs, EdgeWeightsArePositiveAndAtMostOne) {
  const Tensor weights = io::make_edge_weights(1000, 4);
  EXPECT_EQ(weights.shape(), (Dims{1000}));
  std::set<float> distinct;
  for (float w : testing::values_of<float>(weights)) {
    ASSERT_GT(w, 0.0f);
    ASSERT_LE(w, 1.0f);
    distinct.insert(w);
  }
  EXPECT_GT(distinct.size(), 990u);
}

TEST(SyntheticGraphs, DegreeSummaryRefusesBadEdgeIndices) {
  const Tensor edge_index = testing::make_tensor<int64_t>({2, 3}, {0, 1, 1, 2, 2, 0});
  const io::DegreeSummary out = io::summarize_degrees(edge_index, 3, 0);
  EXPECT_EQ(out.max, 2);
  EXPECT_DOUBLE_EQ(out.mean, 1.0);
  expect_error(ErrorCode::InvalidInput, [&] { io::summarize_degrees(edge_index, 2, 1); },
               {"edge_index[1, 0] = 2", "[0, 2)"});
  expect_error(ErrorCode::InvalidInput,
               [] { io::summarize_degrees(testing::make_tensor<int32_t>({2, 1}, {0, 0}), 1, 0); }, {"int64"});
}

io::ChungLuGraphSpec chung_lu(int64_t nodes, int64_t edges, int64_t width, uint64_t seed, double shape = 2.0) {
  io::ChungLuGraphSpec s;
  s.num_nodes = nodes;
  s.num_edges = edges;
  s.feature_width = width;
  s.seed = seed;
  s.pareto_shape = shape;
  return s;
}

// The expected largest degree: the top rank's share of the edges, (2^(1-s) - 1) / ((n+1)^(1-s) - 1)
// with s = 1 / shape, worked out by hand from the documented weights (not from the generator).
double expected_max_degree(int64_t nodes, int64_t edges, double shape) {
  const double s = 1.0 / shape;
  return static_cast<double>(edges) * (std::pow(2.0, 1.0 - s) - 1.0) /
         (std::pow(static_cast<double>(nodes) + 1.0, 1.0 - s) - 1.0);
}

TEST(ChungLuGraphs, HaveTheRequestedSizesAndInRangeIndices) {
  const io::SyntheticGraph graph = io::make_chung_lu_graph(chung_lu(1000, 8000, 7, 42));
  EXPECT_EQ(graph.x.shape(), (Dims{1000, 7}));
  EXPECT_EQ(graph.edge_index.dtype(), DType::Int64);
  EXPECT_EQ(graph.edge_index.shape(), (Dims{2, 8000}));
  EXPECT_FALSE(graph.batch.defined());
  for (int64_t v : testing::values_of<int64_t>(graph.edge_index)) {
    ASSERT_GE(v, 0);
    ASSERT_LT(v, 1000);
  }
  // The features are the same stream as the other generators': real values, not zeros.
  const std::vector<float> x = testing::values_of<float>(graph.x);
  EXPECT_GT(std::count_if(x.begin(), x.end(), [](float v) { return v != 0.0f; }), 6990);
}

TEST(ChungLuGraphs, AreAPureFunctionOfTheSeedWhateverTheThreadCount) {
  const io::SyntheticGraph a = io::make_chung_lu_graph(chung_lu(3000, 40000, 5, 7));
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const io::SyntheticGraph serial = io::make_chung_lu_graph(chung_lu(3000, 40000, 5, 7));
  omp_set_num_threads(threads);
  const io::SyntheticGraph other_seed = io::make_chung_lu_graph(chung_lu(3000, 40000, 5, 8));
  const io::SyntheticGraph wide = io::make_chung_lu_graph(chung_lu(3000, 40000, 64, 7));
  EXPECT_TRUE(same_bytes(a.x, serial.x));
  EXPECT_TRUE(same_bytes(a.edge_index, serial.edge_index));
  EXPECT_FALSE(same_bytes(a.x, other_seed.x));
  EXPECT_FALSE(same_bytes(a.edge_index, other_seed.edge_index));
  // The edges do not depend on the feature width: one graph for every model width.
  EXPECT_TRUE(same_bytes(a.edge_index, wide.edge_index));
  // And the first 40000 edges do not depend on how many follow.
  const io::SyntheticGraph longer = io::make_chung_lu_graph(chung_lu(3000, 50000, 5, 7));
  const int64_t* prefix = longer.edge_index.data<int64_t>();
  EXPECT_EQ(std::memcmp(prefix, a.edge_index.data<int64_t>(), 40000 * sizeof(int64_t)), 0);
  EXPECT_EQ(std::memcmp(prefix + 50000, a.edge_index.data<int64_t>() + 40000, 40000 * sizeof(int64_t)), 0);
}

TEST(ChungLuGraphs, ValuesMatchAnIndependentReimplementationAndDoNotDrift) {
  // Published tables name graphs by (workload, seed), so the generator must not drift. The
  // expected values come from a separate Python transcription of the documented scheme
  // (splitmix64 counter streams 8 and 9 for the endpoints, the Fisher-Yates rank shuffle of
  // stream 4, the inverse CDF of t^(-1/shape) on [1, n + 1)), not from this C++ code.
  struct Expected {
    double shape;
    std::vector<int64_t> sources, targets;
    uint64_t hash;
  };
  const std::vector<Expected> cases = {
      {2.0, {12, 27, 9, 22, 27, 8}, {19, 98, 71, 46, 66, 76}, 1351008256736445823ull},
      {1.5, {8, 80, 4, 78, 80, 19}, {5, 55, 68, 78, 71, 17}, 4228652743073410911ull},
  };
  for (const Expected& expected : cases) {
    const io::SyntheticGraph graph = io::make_chung_lu_graph(chung_lu(100, 400, 3, 1, expected.shape));
    const std::vector<int64_t> edges = testing::values_of<int64_t>(graph.edge_index);
    EXPECT_EQ(std::vector<int64_t>(edges.begin(), edges.begin() + 6), expected.sources) << expected.shape;
    EXPECT_EQ(std::vector<int64_t>(edges.begin() + 400, edges.begin() + 406), expected.targets) << expected.shape;
    uint64_t hash = 0;
    for (int64_t v : edges) hash = hash * 31 + static_cast<uint64_t>(v);
    EXPECT_EQ(hash, expected.hash) << expected.shape;
  }
}

TEST(ChungLuGraphs, InAndOutDegreesAreBothHeavyTailedWithTheExpectedMaximum) {
  const int64_t nodes = 10000, edges = 200000;
  const io::SyntheticGraph graph = io::make_chung_lu_graph(chung_lu(nodes, edges, 1, 3));
  const std::vector<int64_t> out_degree = count_row(graph.edge_index, nodes, 0);
  const std::vector<int64_t> in_degree = count_row(graph.edge_index, nodes, 1);
  const double mean = static_cast<double>(edges) / nodes;  // 20
  const auto hub_in = std::max_element(in_degree.begin(), in_degree.end()) - in_degree.begin();
  const auto hub_out = std::max_element(out_degree.begin(), out_degree.end()) - out_degree.begin();
  const auto max_in = static_cast<double>(in_degree[static_cast<size_t>(hub_in)]);
  const auto max_out = static_cast<double>(out_degree[static_cast<size_t>(hub_out)]);
  // Shape 2 on 10k nodes: the top weight takes ~0.42 % of the endpoints, ~837 edges each way
  // (a binomial count: sd ~29), against a mean of 20; uniform endpoints would give ~40.
  const double expected = expected_max_degree(nodes, edges, 2.0);
  EXPECT_NEAR(expected, 837, 1);
  EXPECT_NEAR(max_in, expected, 0.15 * expected);
  EXPECT_NEAR(max_out, expected, 0.15 * expected);
  // One weight per node: the busiest target is also the busiest source, and hubs are scattered.
  EXPECT_EQ(hub_in, hub_out);
  EXPECT_NE(hub_in, 0);
  // A heavy tail, not a few outliers: the top 1 % of nodes hold far more than 1 % of the edges
  // (the top 100 ranks' share, (sqrt(101) - 1) / (sqrt(10001) - 1) ~ 9 %), and most nodes sit
  // below the mean (the median rank's expected degree is ~14).
  for (const std::vector<int64_t>* degree : {&in_degree, &out_degree}) {
    std::vector<int64_t> sorted = *degree;
    std::sort(sorted.rbegin(), sorted.rend());
    const int64_t top = std::accumulate(sorted.begin(), sorted.begin() + nodes / 100, int64_t{0});
    EXPECT_GT(static_cast<double>(top) / edges, 0.07);
    EXPECT_LT(static_cast<double>(top) / edges, 0.13);
    EXPECT_LT(sorted[static_cast<size_t>(nodes / 2)], mean);
  }
  const io::DegreeSummary in_summary = io::summarize_degrees(graph.edge_index, nodes, 1);
  EXPECT_EQ(in_summary.max, static_cast<int64_t>(max_in));
  EXPECT_DOUBLE_EQ(in_summary.mean, mean);
}

TEST(ChungLuGraphs, ASmallerShapeSkewsMoreAndALargeOneApproachesUniform) {
  const int64_t nodes = 5000, edges = 50000;
  auto max_in = [&](double shape) {
    return io::summarize_degrees(io::make_chung_lu_graph(chung_lu(nodes, edges, 1, 2, shape)).edge_index, nodes, 1).max;
  };
  const int64_t skewed = max_in(1.5), default_shape = max_in(2.0), flat = max_in(1000.0);
  EXPECT_NEAR(static_cast<double>(skewed), expected_max_degree(nodes, edges, 1.5), 0.2 * expected_max_degree(nodes, edges, 1.5));
  EXPECT_GT(skewed, 2 * default_shape);
  EXPECT_LT(flat, 40);  // Poisson(10) over 5000 nodes tops out near 25
}

TEST(ChungLuGraphs, EmptyGraphsAndBadSpecs) {
  const io::SyntheticGraph empty = io::make_chung_lu_graph(chung_lu(0, 0, 4, 1));
  EXPECT_EQ(empty.x.shape(), (Dims{0, 4}));
  EXPECT_EQ(empty.edge_index.shape(), (Dims{2, 0}));
  const io::SyntheticGraph one = io::make_chung_lu_graph(chung_lu(1, 5, 2, 1));
  EXPECT_EQ(testing::values_of<int64_t>(one.edge_index), std::vector<int64_t>(10, 0));
  expect_error(ErrorCode::InvalidInput, [] { io::make_chung_lu_graph(chung_lu(-1, 0, 4, 1)); }, {"num_nodes", "-1"});
  expect_error(ErrorCode::InvalidInput, [] { io::make_chung_lu_graph(chung_lu(0, 3, 4, 1)); }, {"3 edges"});
  expect_error(ErrorCode::InvalidInput, [] { io::make_chung_lu_graph(chung_lu(10, 3, 2, 1, 0.2)); },
               {"Pareto shape", "[0.5, 1000]", "0.2"});
  expect_error(ErrorCode::InvalidInput, [] { io::make_chung_lu_graph(chung_lu(10, 3, 2, 1, std::nan(""))); },
               {"Pareto shape"});
  expect_error(ErrorCode::InvalidInput, [] { io::make_chung_lu_graph(chung_lu(10, int64_t{1} << 61, 2, 1)); },
               {"edge_index", "too large"});
}

TEST(NamedWorkloads, HaveThePublicGraphsSizes) {
  struct Expected {
    const char* name;
    int64_t nodes, edges, width;
  };
  for (const Expected& e : {Expected{"cora-size", 2708, 10556, 1433}, Expected{"arxiv-size", 169343, 2315598, 128},
                            Expected{"reddit-size", 232965, 114615892, 602},
                            Expected{"products-size", 2449029, 123718280, 100}}) {
    const io::NamedWorkload workload = io::parse_named_workload(e.name);
    EXPECT_EQ(workload.kind, io::NamedWorkload::Kind::ChungLu) << e.name;
    EXPECT_EQ(workload.num_nodes, e.nodes) << e.name;
    EXPECT_EQ(workload.num_edges, e.edges) << e.name;
    EXPECT_EQ(workload.feature_width, e.width) << e.name;
  }
  const io::NamedWorkload molecules = io::parse_named_workload("molecules-64");
  EXPECT_EQ(molecules.kind, io::NamedWorkload::Kind::Molecules);
  EXPECT_EQ(molecules.num_graphs, 64);
  EXPECT_EQ(molecules.feature_width, 32);
  const io::NamedWorkload custom = io::parse_named_workload("chung-lu:nodes=300,edges=1200,width=5");
  EXPECT_EQ(custom.num_nodes, 300);
  EXPECT_EQ(custom.num_edges, 1200);
  EXPECT_EQ(custom.feature_width, 5);
  EXPECT_EQ(io::parse_named_workload("chung-lu:edges=7,nodes=3").feature_width, 16);
}

TEST(NamedWorkloads, MakeTheSameGraphsAsTheGenerators) {
  const io::SyntheticGraph named =
      io::make_named_workload(io::parse_named_workload("chung-lu:nodes=300,edges=1200"), 6, 9);
  const io::SyntheticGraph direct = io::make_chung_lu_graph(chung_lu(300, 1200, 6, 9));
  EXPECT_TRUE(same_bytes(named.x, direct.x));
  EXPECT_TRUE(same_bytes(named.edge_index, direct.edge_index));
  const io::SyntheticGraph skewed =
      io::make_named_workload(io::parse_named_workload("chung-lu:nodes=300,edges=1200"), 6, 9, 1.5);
  EXPECT_FALSE(same_bytes(skewed.edge_index, direct.edge_index));
  const io::SyntheticGraph batch = io::make_named_workload(io::parse_named_workload("molecules-5"), 4, 3);
  EXPECT_EQ(batch.num_graphs, 5);
  EXPECT_TRUE(same_bytes(batch.edge_index, io::make_molecule_batch(molecules(5, 4, 3)).edge_index));
}

TEST(NamedWorkloads, UnknownOrMalformedNamesListTheKnownOnes) {
  expect_error(ErrorCode::InvalidInput, [] { io::parse_named_workload("arxiv"); },
               {"arxiv", "arxiv-size", "products-size", "molecules-G", "chung-lu:"});
  expect_error(ErrorCode::InvalidInput, [] { io::parse_named_workload("molecules-0"); }, {"G >= 1"});
  expect_error(ErrorCode::InvalidInput, [] { io::parse_named_workload("molecules-x"); }, {"molecules-G"});
  expect_error(ErrorCode::InvalidInput, [] { io::parse_named_workload("chung-lu:nodes=5"); }, {"edges="});
  expect_error(ErrorCode::InvalidInput, [] { io::parse_named_workload("chung-lu:nodes=5,edges=-1"); },
               {"non-negative", "'-1'"});
  expect_error(ErrorCode::InvalidInput, [] { io::parse_named_workload("chung-lu:nodes=5,edges=2,depth=3"); },
               {"unknown key 'depth'"});
  expect_error(ErrorCode::InvalidInput, [] { io::parse_named_workload("chung-lu:nodes=0,edges=2"); },
               {"2 edges need at least one node"});
}

TEST(SyntheticGraphs, DegreeSummaryNamesTheFirstBadPositionWhateverTheThreadCount) {
  std::vector<int64_t> values(2 * 5000, 1);
  values[5000 + 3000] = 99;  // row 1, position 3000
  values[5000 + 4000] = -1;
  const Tensor edge_index = testing::make_tensor<int64_t>({2, 5000}, values);
  expect_error(ErrorCode::InvalidInput, [&] { io::summarize_degrees(edge_index, 10, 1); },
               {"edge_index[1, 3000] = 99", "[0, 10)"});
  const io::DegreeSummary out = io::summarize_degrees(edge_index, 10, 0);
  EXPECT_EQ(out.max, 5000);
  EXPECT_DOUBLE_EQ(out.mean, 500.0);
}

}  // namespace
}  // namespace gnnrt
