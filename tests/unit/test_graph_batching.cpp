// Batching many small graphs in one call (ExecutionContext::run_batch, runtime/graph_batching.h):
// the batched results equal running each graph alone bit for bit on the CPU (whose GEMM rows are
// batch-invariant: backends/cpu/blas_gemm.h), and within rounding on CUDA (the Cuda* tests, skipped
// without a GPU: cuBLASLt picks its GEMM algorithm by the row count, so bit-identity is not claimed),
// for node-level models (Cora's GCN, with and without edge weights) and graph-level ones (mean and
// add pooling), on graphs of 1 to 200 nodes at any offset in the batch; empty graphs are answered
// where the answer is defined; bad batches are refused with a message naming the graph.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "gnnrt/runtime.h"
#include "runtime/backend.h"
#include "runtime/graph_input_checks.h"
#include "engine/engine_contents.h"
#include "graph_batch_test_support.h"
#include "test_support.h"

namespace gnnrt {
namespace {

using testing::expect_batched_equals_alone;
using testing::random_graph;
using testing::random_sized_graphs;
using Graph = std::map<std::string, Tensor>;

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

runtime::GraphInputRoles roles_of(const Engine& engine) {
  return runtime::find_graph_input_roles(engine.contents().model.graph);
}

// Alone: the graph with its own batch vector of zeros (one graph), when the model takes one.
Graph alone(Graph graph, bool with_batch) {
  if (with_batch) {
    Tensor batch(DType::Int64, {graph.at("x").dim(0)});
    std::memset(batch.raw(), 0, batch.nbytes());
    graph["batch"] = batch;
  }
  return graph;
}

// The fixture's graphs: of `sizes` nodes, then 40 of random sizes from 1 to 200; with edge weights
// when the model takes them.
std::vector<Graph> test_graphs(const Engine& engine, const std::vector<int64_t>& sizes, uint32_t seed) {
  const int64_t width = feature_width(engine);
  const bool weighted = !roles_of(engine).edge_weight.empty();
  std::vector<Graph> graphs;
  for (size_t g = 0; g < sizes.size(); ++g)
    graphs.push_back(random_graph(sizes[g], width, seed + static_cast<uint32_t>(g), weighted));
  for (Graph& graph : random_sized_graphs(40, 200, width, seed + 100, weighted)) graphs.push_back(std::move(graph));
  return graphs;
}

// Within rounding: relative 1e-5 of the larger magnitude (or of 1).
void expect_within_rounding(const Tensor& batched, const Tensor& alone, const std::string& what) {
  ASSERT_EQ(batched.shape(), alone.shape()) << what;
  ASSERT_EQ(alone.dtype(), DType::Float32) << what;
  for (int64_t i = 0; i < alone.numel(); ++i) {
    const float a = batched.data<float>()[i], b = alone.data<float>()[i];
    ASSERT_LE(std::fabs(a - b), 1e-5f * std::max({1.0f, std::fabs(a), std::fabs(b)})) << what << ": element " << i;
  }
}

// One batch of all graphs against each graph alone, on `device`: the same bytes on the CPU, within
// rounding on CUDA.
void expect_batch_equals_each_graph_alone(const std::string& case_name, const std::vector<int64_t>& sizes,
                                          const std::string& device = "cpu") {
  SCOPED_TRACE(case_name + " on " + device);
  auto engine = fixture_engine(case_name, device);
  const bool pooled = !roles_of(*engine).batch.empty();
  const std::vector<Graph> graphs = test_graphs(*engine, sizes, 7);
  const auto batched = engine->create_context()->run_batch(graphs);
  ASSERT_EQ(batched.size(), graphs.size());
  auto single = engine->create_context();
  for (size_t g = 0; g < graphs.size(); ++g) {
    const int64_t nodes = graphs[g].at("x").dim(0);
    if (nodes == 0) continue;  // a graph alone needs nodes; see EmptyGraphs below
    const Tensor& actual = batched[g].at("out");
    EXPECT_EQ(actual.dim(0), pooled ? 1 : nodes);
    const Tensor expected = single->run(alone(graphs[g], pooled)).at("out");
    const std::string what = "graph " + std::to_string(g) + " (" + std::to_string(nodes) + " nodes)";
    if (device == "cpu") expect_batched_equals_alone(actual, expected, what);
    else expect_within_rounding(actual, expected, what);
  }
}

TEST(GraphBatching, NodeLevelResultsEqualEachGraphAloneBitForBit) {
  GNNRT_SKIP_UNLESS_CPU_GEMM_ROWS_INVARIANT();
  expect_batch_equals_each_graph_alone("gcn_cora", {12, 5, 30, 2});
}

TEST(GraphBatching, EdgeWeightedResultsEqualEachGraphAloneBitForBit) {
  GNNRT_SKIP_UNLESS_CPU_GEMM_ROWS_INVARIANT();
  expect_batch_equals_each_graph_alone("gcn_edge_weight", {6, 11, 4});
}

TEST(GraphBatching, MeanPooledResultsEqualEachGraphAloneBitForBit) {
  GNNRT_SKIP_UNLESS_CPU_GEMM_ROWS_INVARIANT();
  expect_batch_equals_each_graph_alone("gcn_graph_mean_pool", {10, 25, 3, 40, 17});
}

TEST(GraphBatching, AddPooledResultsEqualEachGraphAloneBitForBit) {
  GNNRT_SKIP_UNLESS_CPU_GEMM_ROWS_INVARIANT();
  expect_batch_equals_each_graph_alone("gcn_graph_add_pool", {10, 25, 3, 40, 17});
}

// The same on CUDA (batched and alone both on the GPU), within rounding: cuBLASLt chooses a GEMM
// algorithm (split-K among them) by the row count, the row_balanced SpMM tactic cuts rows at
// global edge positions, and the structure part of a graph this small runs on the host while the
// batch's runs on the device, whose pow (deg^-1/2) may differ in the last place (measured on an
// H100: 1-ulp differences even with every layer summed row by row; docs/ARCHITECTURE.md).
TEST(GraphBatching, CudaNodeLevelResultsEqualEachGraphAloneWithinRounding) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  expect_batch_equals_each_graph_alone("gcn_cora", {12, 5, 30, 2}, "cuda");
}

TEST(GraphBatching, CudaEdgeWeightedResultsEqualEachGraphAloneWithinRounding) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  expect_batch_equals_each_graph_alone("gcn_edge_weight", {6, 11, 4}, "cuda");
}

TEST(GraphBatching, CudaMeanPooledResultsEqualEachGraphAloneWithinRounding) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  expect_batch_equals_each_graph_alone("gcn_graph_mean_pool", {10, 25, 3, 40, 17}, "cuda");
}

TEST(GraphBatching, CudaAddPooledResultsEqualEachGraphAloneWithinRounding) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  expect_batch_equals_each_graph_alone("gcn_graph_add_pool", {10, 25, 3, 40, 17}, "cuda");
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
  if (!cpu::blas_rows_are_invariant()) return;
  auto single = engine->create_context();
  expect_batched_equals_alone(batched[3].at("out"), single->run(alone(graphs[3], true)).at("out"), "graph 3");
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
  // int32 indices are refused as for one graph (ExecutionContext::run converts no dtype either).
  auto narrow = std::vector{random_graph(5, 8, 1), random_graph(6, 8, 2)};
  narrow[1]["edge_index"] = cast_tensor(narrow[1]["edge_index"], DType::Int32);
  testing::expect_error(ErrorCode::InvalidInput, [&] { context->run_batch(narrow); },
                        {"graph 1 of the batch: input 'edge_index': expected dtype int64, got int32"});
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
