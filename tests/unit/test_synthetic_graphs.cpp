// Synthetic graph generators: deterministic for a seed, the requested sizes, indices in range,
// skewed source degrees, real (non-zero) features, and molecule batches shaped as PyG makes them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
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

}  // namespace
}  // namespace gnnrt
