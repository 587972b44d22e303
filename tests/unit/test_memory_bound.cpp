// The build-time check that an optimisation profile can fit the card (builder/memory_bound.h): the
// floor of GPU memory a call at the profile's maximum needs, and the refusal when it exceeds the
// card. The floor is computed from the IR alone, so it is tested here on CPU-built engines with
// every node treated as a device node; the last test builds on a real GPU and skips without one.
#include <gtest/gtest.h>

#include "builder/memory_bound.h"
#include "gnnrt/runtime.h"
#include "runtime/backend.h"
#include "test_support.h"

namespace gnnrt {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

std::shared_ptr<Engine> cora_engine(int64_t max_nodes, int64_t max_edges, const std::string& device = "cpu") {
  BuildConfig config;
  config.device = device;
  config.max_nodes = max_nodes;
  config.max_edges = max_edges;
  return Engine::build_from_onnx((testing::fixtures_dir() / "gcn_cora" / "dynamo" / "model.onnx").string(), config);
}

std::map<std::string, std::string> all_on(const ir::Graph& graph, const std::string& backend) {
  std::map<std::string, std::string> choices;
  for (const ir::Node& node : graph.nodes) choices[node.name] = backend + ":" + node.op_type;
  return choices;
}

builder::DeviceMemoryFloor cora_floor(int64_t max_nodes, int64_t max_edges, const std::string& backend = "cuda") {
  const auto engine = cora_engine(max_nodes, max_edges);
  const ir::Graph& graph = engine->contents().model.graph;
  return builder::device_memory_floor(graph, engine->contents().profile, all_on(graph, backend));
}

uint64_t weight_bytes(const ir::Graph& graph) {
  uint64_t bytes = 0;
  for (const auto& [name, tensor] : graph.initializers) bytes += tensor.nbytes();
  return bytes;
}

TEST(ProfileMemoryFloor, CountsTheInputsAtTheMaximumShapesTheWeightsAndTheLargestNode) {
  constexpr int64_t nodes = 100'000, edges = 1'000'000;
  const auto floor = cora_floor(nodes, edges);
  // x is float32 [nodes, 1433]; edge_index is int64 [2, edges].
  EXPECT_EQ(floor.inputs_bytes, uint64_t{nodes} * 1433 * 4 + uint64_t{2} * edges * 8);
  EXPECT_GT(floor.weights_bytes, uint64_t{1433} * 16 * 4);  // the first layer's weight at least
  EXPECT_LE(floor.weights_bytes, weight_bytes(cora_engine(nodes, edges)->contents().model.graph));
  // Some node holds a [nodes, 16] float32 feature matrix and more.
  EXPECT_GE(floor.largest_node_bytes, uint64_t{nodes} * 16 * 4);
  EXPECT_FALSE(floor.largest_node.empty());
  EXPECT_EQ(floor.total(), floor.inputs_bytes + floor.weights_bytes + floor.largest_node_bytes);
  // Twice the graph, at least twice the inputs and the largest node.
  const auto doubled = cora_floor(2 * nodes, 2 * edges);
  EXPECT_EQ(doubled.inputs_bytes, 2 * floor.inputs_bytes);
  EXPECT_GE(doubled.largest_node_bytes, 2 * floor.largest_node_bytes);
}

TEST(ProfileMemoryFloor, CountsOnlyDeviceNodes) {
  const auto on_host = cora_floor(100'000, 1'000'000, "cpu");
  EXPECT_EQ(on_host.weights_bytes, 0u);
  EXPECT_EQ(on_host.largest_node_bytes, 0u);
  EXPECT_GT(on_host.inputs_bytes, 0u);
}

TEST(ProfileMemoryFloor, AnUnboundedProfileCountsItsMinimum) {
  const auto floor = cora_floor(-1, -1);
  EXPECT_EQ(floor.inputs_bytes, 0u);
  EXPECT_GT(floor.weights_bytes, 0u);
  EXPECT_NO_THROW(builder::check_profile_fits_device(floor, 80 * kGiB, "a test card"));
}

TEST(ProfileMemoryFloor, RefusesAProfileThatCannotFitTheCardNamingTheBoundsToLower) {
  const auto floor = cora_floor(20'000'000, 200'000'000);  // x alone is 107 GiB
  const std::string message = testing::expect_error(
      ErrorCode::InvalidInput, [&] { builder::check_profile_fits_device(floor, 80 * kGiB, "a test card"); },
      {"cannot fit", "a test card has 80.0 GiB", "graph inputs 109.7 GiB", "--max-nodes", "--max-edges"});
  EXPECT_NE(message.find(floor.largest_node), std::string::npos) << message;
  EXPECT_NO_THROW(builder::check_profile_fits_device(cora_floor(2'000'000, 20'000'000), 80 * kGiB, "a test card"));
}

TEST(ProfileMemoryFloor, SaturatesInsteadOfOverflowing) {
  const auto floor = cora_floor(int64_t{1} << 60, int64_t{1} << 61);
  EXPECT_EQ(floor.total(), std::numeric_limits<uint64_t>::max());
  testing::expect_error(ErrorCode::InvalidInput,
                        [&] { builder::check_profile_fits_device(floor, 80 * kGiB, "a test card"); },
                        {"more than 16 EiB"});
}

TEST(ProfileMemoryFloor, CudaBuildRefusesAProfileLargerThanThisCard) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  const runtime::DeviceInfo card = runtime::cuda_device_info();
  const int64_t too_many_nodes = static_cast<int64_t>(card.memory_bytes / (1433 * 4)) + 1;  // x alone overfills it
  testing::expect_error(ErrorCode::InvalidInput, [&] { cora_engine(too_many_nodes, 1000, "cuda"); },
                        {"cannot fit", card.name, "--max-nodes"});
  EXPECT_NO_THROW(cora_engine(100'000, 1'000'000, "cuda"));
}

}  // namespace
}  // namespace gnnrt
