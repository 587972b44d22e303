// CUDA-graph replay of a bound call (RunOptions::cuda_graph, gnnrt bench --cuda-graph): the first
// call on a key runs node by node, the second records and launches, later ones launch; every
// replay gives the node-by-node call's bytes, for new feature values each call (host inputs are
// copied into the recording's buffers), and outputs already handed out are never overwritten by a
// later launch. Where recording is impossible the call runs as usual and says why.
#include <gtest/gtest.h>

#include <cstring>

#include "gnnrt/runtime.h"
#include "engine/engine_contents.h"
#include "io/npz.h"
#include "runtime/backend.h"
#include "runtime/executor.h"
#include "runtime/input_binding.h"
#include "test_support.h"

namespace gnnrt {
namespace {

runtime::TensorMap cora_inputs(const ir::Graph& graph) {
  runtime::TensorMap inputs;
  for (auto& [name, tensor] : io::read_npz((testing::fixtures_dir() / "gcn_cora" / "g0.inputs.npz").string()))
    inputs[name] = tensor;
  return runtime::bind_inputs(graph, inputs).tensors;
}

std::shared_ptr<Engine> cora_engine(const std::string& device) {
  BuildConfig config;
  config.device = device;
  return Engine::build_from_onnx((testing::fixtures_dir() / "gcn_cora" / "dynamo" / "model.onnx").string(), config);
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// Non-zero features of x's shape, different for each `variant`.
Tensor features_of(const Tensor& x, int variant) {
  Tensor changed = x.clone();
  float* values = changed.data<float>();
  for (int64_t i = 0; i < changed.numel(); ++i)
    values[i] = 0.5f * values[i] + 0.01f * static_cast<float>((i * (variant + 3)) % 11) - 0.02f * variant;
  return changed;
}

TEST(CudaGraphReplay, OnTheCpuACallRunsAsUsualAndSaysWhy) {
  auto engine = cora_engine("cpu");
  const ir::Graph& graph = engine->contents().model.graph;
  const runtime::TensorMap inputs = cora_inputs(graph);
  runtime::Executor executor(graph);
  runtime::RunOptions options;
  options.binding = executor.run_structure(inputs);
  options.cuda_graph = true;
  runtime::RunStats stats;
  const auto out = executor.run(inputs, {}, options, &stats).at("out");
  EXPECT_FALSE(stats.graph_replayed);
  EXPECT_NE(stats.graph_note.find("CUDA backend"), std::string::npos) << stats.graph_note;
  EXPECT_TRUE(same_bytes(out, executor.run(inputs).at("out")));
}

TEST(CudaGraphReplay, ACallThatRunsTheStructurePartIsNotRecorded) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  auto engine = cora_engine("cuda");
  const ir::Graph& graph = engine->contents().model.graph;
  auto backend = runtime::create_device_backend("cuda");
  runtime::Executor executor(graph, backend.get());
  runtime::RunOptions options;
  options.cuda_graph = true;
  runtime::RunStats stats;
  executor.run(cora_inputs(graph), {}, options, &stats);
  EXPECT_FALSE(stats.graph_replayed);
  EXPECT_NE(stats.graph_note.find("bind the graph"), std::string::npos) << stats.graph_note;
}

// Host features (staged into the recording's buffer) or device features (their address is part
// of the key), new values every call.
void expect_replays_match(bool device_features) {
  auto engine = cora_engine("cuda");
  const ir::Graph& graph = engine->contents().model.graph;
  const runtime::TensorMap host_inputs = cora_inputs(graph);
  auto backend = runtime::create_device_backend("cuda");
  runtime::Executor executor(graph, backend.get());
  runtime::Executor reference(graph, backend.get());
  runtime::RunOptions options;
  options.binding = executor.run_structure(host_inputs);
  options.cuda_graph = true;
  options.outputs_on_device = true;
  runtime::RunOptions eager = options;
  eager.cuda_graph = false;

  Tensor device_x;  // one device buffer, refilled each call: the recording's key stays the same
  std::vector<Tensor> held_outputs, expected_outputs;
  for (int call = 0; call < 5; ++call) {
    runtime::TensorMap inputs = host_inputs;
    const Tensor x = features_of(host_inputs.at("x"), call);
    if (device_features) {
      if (!device_x.defined()) device_x = backend->to_device(x);
      else backend->copy_into(x, device_x);
      inputs["x"] = device_x;
    } else {
      inputs["x"] = x;
    }
    runtime::RunStats stats;
    const Tensor out = executor.run(inputs, {}, options, &stats).at("out");
    EXPECT_EQ(stats.graph_replayed, call >= 1) << "call " << call << ": " << stats.graph_note;
    runtime::TensorMap eager_inputs = host_inputs;
    eager_inputs["x"] = x;
    const Tensor expected = reference.run(eager_inputs, {}, eager).at("out");
    held_outputs.push_back(out);
    expected_outputs.push_back(backend->to_host(expected));
  }
  ASSERT_FALSE(backend->finish().site >= 0);
  for (size_t call = 0; call < held_outputs.size(); ++call) {
    // Every output still holds its own call's result: later launches wrote elsewhere.
    EXPECT_TRUE(same_bytes(backend->to_host(held_outputs[call]), expected_outputs[call])) << "call " << call;
    if (call > 0) EXPECT_FALSE(same_bytes(expected_outputs[call], expected_outputs[call - 1])) << "call " << call;
  }
}

TEST(CudaGraphReplay, HostFeaturesReplayBitForBitWithNewValuesEachCall) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  expect_replays_match(false);
}

TEST(CudaGraphReplay, DeviceFeaturesReplayBitForBitWithNewValuesEachCall) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  expect_replays_match(true);
}

TEST(CudaGraphReplay, ANewFeatureAddressIsRecordedAgain) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  auto engine = cora_engine("cuda");
  const ir::Graph& graph = engine->contents().model.graph;
  const runtime::TensorMap host_inputs = cora_inputs(graph);
  auto backend = runtime::create_device_backend("cuda");
  runtime::Executor executor(graph, backend.get());
  runtime::RunOptions options;
  options.binding = executor.run_structure(host_inputs);
  options.cuda_graph = true;
  const Tensor eager = executor.run(host_inputs).at("out");
  std::vector<Tensor> buffers;  // kept alive: each address is new
  for (int call = 0; call < 3; ++call) {
    runtime::TensorMap inputs = host_inputs;
    buffers.push_back(backend->to_device(host_inputs.at("x")));
    inputs["x"] = buffers.back();
    runtime::RunStats stats;
    EXPECT_TRUE(same_bytes(executor.run(inputs, {}, options, &stats).at("out"), eager)) << call;
    EXPECT_FALSE(stats.graph_replayed) << "a first call on a new address runs node by node (call " << call << ")";
  }
}

TEST(CudaGraphReplay, AContextWithCudaGraphsGivesTheSameOutputs) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  auto engine = cora_engine("cuda");
  std::map<std::string, Tensor> inputs;
  for (auto& [name, tensor] : io::read_npz((testing::fixtures_dir() / "gcn_cora" / "g0.inputs.npz").string()))
    inputs[name] = tensor;
  auto plain = engine->create_context();
  auto replaying = engine->create_context();
  replaying->set_cuda_graphs(true);
  const GraphBinding bound = replaying->bind_graph(inputs);
  for (int call = 0; call < 4; ++call) {
    auto features = inputs;
    features["x"] = features_of(inputs.at("x"), call);
    const Tensor expected = plain->run(features).at("out");
    EXPECT_TRUE(same_bytes(replaying->run(features, bound).at("out"), expected)) << "bound, call " << call;
    EXPECT_TRUE(same_bytes(replaying->run(features).at("out"), expected)) << "cached, call " << call;
  }
}

}  // namespace
}  // namespace gnnrt
