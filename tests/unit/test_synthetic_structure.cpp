// The structures SpMM tactics are timed on (builder/synthetic_structure.h) and which one a build
// picks (builder::timed_graph_count): one power-law graph for node-level models; for graph-level
// models, many small graphs whose rows are short and whose columns stay inside their own graph.
#include <gtest/gtest.h>

#include <algorithm>

#include "builder/profile.h"
#include "builder/synthetic_structure.h"
#include "builder/tactic_selection.h"
#include "gnnrt/error.h"
#include "onnx/importer.h"
#include "test_support.h"

namespace gnnrt {
namespace {

void expect_well_formed(const builder::SyntheticCsr& csr, int64_t rows, int64_t cols, int64_t edges) {
  ASSERT_EQ(csr.row_ptr.size(), static_cast<size_t>(rows) + 1);
  ASSERT_EQ(csr.col.size(), static_cast<size_t>(edges));
  EXPECT_EQ(csr.row_ptr.front(), 0);
  EXPECT_EQ(csr.row_ptr.back(), edges);
  EXPECT_TRUE(std::is_sorted(csr.row_ptr.begin(), csr.row_ptr.end()));
  for (int32_t c : csr.col) ASSERT_TRUE(c >= 0 && c < cols) << c;
}

int64_t longest_row(const builder::SyntheticCsr& csr) {
  int64_t longest = 0;
  for (size_t r = 0; r + 1 < csr.row_ptr.size(); ++r)
    longest = std::max<int64_t>(longest, csr.row_ptr[r + 1] - csr.row_ptr[r]);
  return longest;
}

TEST(SyntheticStructure, SmallGraphsKeepRowsShortAndColumnsInsideTheirGraph) {
  const int64_t nodes = 10'000, edges = 29'000, graphs = 400;  // 25 nodes a graph, 2.9 entries a row
  const builder::SyntheticCsr adjacency = builder::small_graphs_csr(nodes, nodes, edges, graphs);
  expect_well_formed(adjacency, nodes, nodes, edges);
  for (int64_t r = 0; r < nodes; ++r) {
    const int64_t length = adjacency.row_ptr[r + 1] - adjacency.row_ptr[r];
    ASSERT_TRUE(length == 2 || length == 3) << "row " << r << ": " << length;
    const int64_t graph = r * graphs / nodes;
    for (int64_t e = adjacency.row_ptr[r]; e < adjacency.row_ptr[r + 1]; ++e)
      ASSERT_EQ(adjacency.col[e] * graphs / nodes, graph) << "row " << r << " column " << adjacency.col[e];
  }
  // The pooling of the same batch: a row per graph over that graph's 25 nodes.
  const builder::SyntheticCsr pooling = builder::small_graphs_csr(graphs, nodes, nodes, graphs);
  expect_well_formed(pooling, graphs, nodes, nodes);
  for (int64_t g = 0; g < graphs; ++g) {
    ASSERT_EQ(pooling.row_ptr[g + 1] - pooling.row_ptr[g], 25);
    for (int64_t e = pooling.row_ptr[g]; e < pooling.row_ptr[g + 1]; ++e)
      ASSERT_TRUE(pooling.col[e] >= g * 25 && pooling.col[e] < (g + 1) * 25);
  }
}

TEST(SyntheticStructure, PowerLawHasLongRowsAndIsTheSameEveryTime) {
  const int64_t nodes = 10'000, edges = 50'000;
  const builder::SyntheticCsr csr = builder::power_law_csr(nodes, nodes, edges);
  expect_well_formed(csr, nodes, nodes, edges);
  // The busiest row holds about edges / sqrt(rows) = 500 entries, far above the mean of 5.
  EXPECT_GT(longest_row(csr), 100);
  const builder::SyntheticCsr again = builder::power_law_csr(nodes, nodes, edges);
  EXPECT_EQ(csr.row_ptr, again.row_ptr);
  EXPECT_EQ(csr.col, again.col);
}

TEST(SyntheticStructure, BadSizesAreRefused) {
  EXPECT_THROW(builder::small_graphs_csr(10, 10, 20, 0), Error);
  EXPECT_THROW(builder::small_graphs_csr(10, 10, 20, 11), Error);
  EXPECT_THROW(builder::power_law_csr(0, 10, 20), Error);
}

ir::Model fixture_model(const std::string& case_name) {
  return onnx_import::import_onnx_file((testing::fixtures_dir() / case_name / "dynamo" / "model.onnx").string());
}

TEST(SyntheticStructure, GraphLevelModelsAreTimedOnSmallGraphs) {
  const ir::Model pooled = fixture_model("gcn_graph_mean_pool");
  builder::ProfileRequest request;
  request.opt_nodes = 1000;
  // No --opt-graphs: one graph per kDefaultNodesPerGraph nodes.
  EXPECT_EQ(builder::timed_graph_count(pooled.graph, builder::make_profile(pooled.graph, request)),
            1000 / builder::kDefaultNodesPerGraph);
  request.opt_graphs = 64;
  EXPECT_EQ(builder::timed_graph_count(pooled.graph, builder::make_profile(pooled.graph, request)), 64);
  request.max_graphs = 32;  // opt above max
  EXPECT_THROW(builder::make_profile(pooled.graph, request), Error);

  // A node-level model serves one graph: power law, and --opt-graphs is refused.
  const ir::Model cora = fixture_model("gcn_cora");
  builder::ProfileRequest node_level;
  node_level.opt_nodes = 1000;
  EXPECT_EQ(builder::timed_graph_count(cora.graph, builder::make_profile(cora.graph, node_level)), 0);
  node_level.opt_graphs = 4;
  EXPECT_THROW(builder::make_profile(cora.graph, node_level), Error);
}

}  // namespace
}  // namespace gnnrt
