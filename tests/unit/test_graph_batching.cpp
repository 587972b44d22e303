// Batching many small graphs in one call (ExecutionContext::run_batch, runtime/graph_batching.h):
// the batched results equal running each graph alone within a few ulps (see testing::expect_close), for a
// node-level model (Cora's GCN) and for graph-level models (mean and add pooling); empty graphs are answered where
// the answer is defined; bad batches are refused with a message naming the graph.
#include <gtest/gtest.h>

#include <cstring>

#include "gnnrt/runtime.h"
#include "runtime/backend.h"
#include "engine/engine_contents.h"
#include "graph_batch_test_support.h"
#include "test_support.h"

namespace gnnrt {
namespace {

using testing::expect_close;
using testing::random_graph;

std::shared_ptr<Engine> fixture_engine(const std::string& case_name, const std::string& device = "cpu") {
  BuildConfig config;
  config.device = device;
  return Engine::build_from_onnx((testing::fixtures_dir() / case_name / "dynamo" / "model.onnx").string(), config);
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

int64_t feature_width(const Engine& engine) {
  return engine.contents().model.graph.inputs.at(0).type.shape->at(1).size;
}

// Alone: the graph with its own batch vector of zeros (one graph), when the model takes one.
std::map<std::string, Tensor> alone(std::map<std::string, Tensor> graph, bool with_batch) {
  if (with_batch) {
    Tensor batch(DType::Int64, {graph.at("x").dim(0)});
    std::memset(batch.raw(), 0, batch.nbytes());
    graph["batch"] = batch;
  }
  return graph;
}

void expect_batch_matches_alone(const std::string& case_name, const std::vector<int64_t>& sizes) {
  SCOPED_TRACE(case_name);
  auto engine = fixture_engine(case_name);
  const int64_t width = feature_width(*engine);
  const bool pooled = case_name != "gcn_cora";
  std::vector<std::map<std::string, Tensor>> graphs;
  for (size_t g = 0; g < sizes.size(); ++g) graphs.push_back(random_graph(sizes[g], width, 7 + static_cast<uint32_t>(g)));
  auto context = engine->create_context();
  const auto batched = context->run_batch(graphs);
  ASSERT_EQ(batched.size(), graphs.size());
  auto single = engine->create_context();
  for (size_t g = 0; g < graphs.size(); ++g) {
    if (sizes[g] == 0) continue;  // a graph alone needs nodes; see EmptyGraphs below
    SCOPED_TRACE("graph " + std::to_string(g));
    const auto expected = single->run(alone(graphs[g], pooled)).at("out");
    const Tensor& actual = batched[g].at("out");
    EXPECT_EQ(actual.dim(0), pooled ? 1 : sizes[g]);
    expect_close(actual, expected, pooled ? "pooled" : "node rows");
  }
}

TEST(GraphBatching, NodeLevelResultsEqualEachGraphAlone) {
  expect_batch_matches_alone("gcn_cora", {12, 5, 30, 2});
}

TEST(GraphBatching, MeanPooledResultsEqualEachGraphAlone) {
  expect_batch_matches_alone("gcn_graph_mean_pool", {10, 25, 3, 40, 17});
}

TEST(GraphBatching, AddPooledResultsEqualEachGraphAlone) {
  expect_batch_matches_alone("gcn_graph_add_pool", {10, 25, 3, 40, 17});
}

TEST(GraphBatching, EmptyGraphsGetThePoolOfNothingWhereverTheyAre) {
  auto engine = fixture_engine("gcn_graph_mean_pool");
  auto context = engine->create_context();
  // Empty graphs first, in the middle and last: each gets the row of a graph without nodes.
  const std::vector<int64_t> sizes{0, 9, 0, 14, 0};
  std::vector<std::map<std::string, Tensor>> graphs;
  for (size_t g = 0; g < sizes.size(); ++g) graphs.push_back(random_graph(sizes[g], 8, 40 + static_cast<uint32_t>(g)));
  const auto batched = context->run_batch(graphs);
  ASSERT_EQ(batched.size(), sizes.size());
  const Tensor& empty_row = batched[0].at("out");
  EXPECT_TRUE(same_bytes(batched[2].at("out"), empty_row));
  EXPECT_TRUE(same_bytes(batched[4].at("out"), empty_row));
  EXPECT_FALSE(same_bytes(batched[1].at("out"), empty_row));
  // The non-empty ones still equal the graph alone.
  auto single = engine->create_context();
  expect_close(batched[3].at("out"), single->run(alone(graphs[3], true)).at("out"), "graph 3");
}

TEST(GraphBatching, BadBatchesAreRefusedNamingTheGraph) {
  auto engine = fixture_engine("gcn_graph_mean_pool");
  auto context = engine->create_context();
  testing::expect_error(ErrorCode::InvalidInput, [&] { context->run_batch({}); }, {"batch is empty"});
  auto mixed = std::vector{random_graph(5, 8, 1), random_graph(6, 9, 2)};
  testing::expect_error(ErrorCode::InvalidInput, [&] { context->run_batch(mixed); },
                        {"graph 1", "'x'", "feature width"});
  auto outside = std::vector{random_graph(5, 8, 1), random_graph(6, 8, 2)};
  outside[1]["edge_index"].data<int64_t>()[0] = 6;  // node 6 of a 6-node graph
  testing::expect_error(ErrorCode::InvalidInput, [&] { context->run_batch(outside); },
                        {"graph 1", "edge_index[0, 0] = 6", "[0, 6)"});
  auto with_batch = std::vector{alone(random_graph(5, 8, 1), true)};
  testing::expect_error(ErrorCode::InvalidInput, [&] { context->run_batch(with_batch); },
                        {"graph 0", "'batch'", "built from the graph list"});
  auto missing = std::vector{random_graph(5, 8, 1)};
  missing[0].erase("edge_index");
  testing::expect_error(ErrorCode::InvalidInput, [&] { context->run_batch(missing); },
                        {"graph 0", "missing input 'edge_index'"});
}

TEST(GraphBatching, CudaBatchesEqualTheCpuAlone) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  auto cuda = fixture_engine("gcn_graph_mean_pool", "cuda");
  auto cpu = fixture_engine("gcn_graph_mean_pool");
  std::vector<std::map<std::string, Tensor>> graphs;
  for (int64_t g = 0; g < 6; ++g) graphs.push_back(random_graph(3 + 7 * g, 8, 90 + static_cast<uint32_t>(g)));
  const auto batched = cuda->create_context()->run_batch(graphs);
  auto single = cpu->create_context();
  for (size_t g = 0; g < graphs.size(); ++g) {
    const Tensor expected = single->run(alone(graphs[g], true)).at("out");
    const Tensor& actual = batched[g].at("out");
    ASSERT_EQ(actual.shape(), expected.shape());
    for (int64_t i = 0; i < actual.numel(); ++i)
      EXPECT_NEAR(actual.data<float>()[i], expected.data<float>()[i], 1e-4f) << "graph " << g << " element " << i;
  }
}

}  // namespace
}  // namespace gnnrt
