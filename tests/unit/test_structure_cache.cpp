// The structure cache and explicit graph binding (runtime/structure_cache.h, GraphBinding in
// gnnrt/runtime.h): what the structure-only part is, that a second call on the same graph skips
// it and gives bit-identical outputs, that any change of the graph's bytes or of an input's shape
// is a miss (never a stale hit), and that a binding runs many feature sets on one graph. On the CPU;
// the CUDA variants run where a GPU is present.
#include <gtest/gtest.h>

#include <cstring>
#include <utility>

#include "gnnrt/runtime.h"
#include "io/npz.h"
#include "onnx/importer.h"
#include "runtime/backend.h"
#include "runtime/executor.h"
#include "runtime/inference.h"
#include "runtime/input_binding.h"
#include "test_support.h"

namespace gnnrt {
namespace {

std::map<std::string, Tensor> fixture_inputs(const std::string& case_name, const std::string& graph) {
  std::map<std::string, Tensor> inputs;
  for (auto& [name, tensor] :
       io::read_npz((testing::fixtures_dir() / case_name / (graph + ".inputs.npz")).string()))
    inputs[name] = tensor;
  return inputs;
}

std::shared_ptr<Engine> cora_engine(const std::string& device, const std::string& exporter = "dynamo") {
  BuildConfig config;
  config.device = device;
  return Engine::build_from_onnx((testing::fixtures_dir() / "gcn_cora" / exporter / "model.onnx").string(), config);
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

runtime::TensorMap copied_to_device(runtime::DeviceBackend& device, const runtime::TensorMap& host) {
  runtime::TensorMap copies;
  for (const auto& [name, tensor] : host) copies[name] = device.to_device(tensor);
  return copies;
}

// Non-zero features, different from the fixture's, of the same shape.
Tensor other_features(const Tensor& x, float offset) {
  Tensor changed = x.clone();
  float* values = changed.data<float>();
  for (int64_t i = 0; i < changed.numel(); ++i) values[i] = 0.25f * values[i] + offset * static_cast<float>(i % 7 + 1);
  return changed;
}

TEST(StructureSplit, TheGcnStructurePartEndsInTheCsrMatrixAndTheScales) {
  BuildConfig config;
  auto engine = cora_engine("cpu");
  const ir::Graph& graph = engine->contents().model.graph;
  runtime::Executor executor(graph);
  const runtime::StructureSplit& split = executor.structure();
  EXPECT_EQ(split.structure_inputs, std::vector<std::string>{"edge_index"});
  EXPECT_GT(split.structure_node_count, 10u);
  // The feature path (Linear, SpMM) is never structure; CsrFromCoo always is.
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& node = graph.nodes[i];
    if (node.op_type == "SpMM" || node.op_type == "Linear") EXPECT_FALSE(split.is_structure_node[i]) << node.name;
    if (node.op_type == "CsrFromCoo") EXPECT_TRUE(split.is_structure_node[i]) << node.name;
  }
  // What crosses over: the CSR arrays and the normalisation vector, nothing of size E x F.
  ASSERT_FALSE(split.boundary_values.empty());
  for (const std::string& value : split.boundary_values) {
    const auto type = graph.type_of(value);
    ASSERT_TRUE(type && type->shape) << value;
    EXPECT_LE(type->shape->size(), 1u) << value << " " << type->to_string();
  }
}

TEST(StructureCache, ASecondCallOnTheSameGraphSkipsTheStructurePartBitForBit) {
  auto engine = cora_engine("cpu");
  const ir::Graph& graph = engine->contents().model.graph;
  auto inputs = runtime::bind_inputs(graph, fixture_inputs("gcn_cora", "g0")).tensors;
  runtime::Executor executor(graph);
  runtime::StructureCache cache;
  runtime::RunOptions options;
  options.cache = &cache;
  runtime::RunStats cold, warm;
  const auto first = executor.run(inputs, {}, options, &cold);
  const auto second = executor.run(inputs, {}, options, &warm);
  EXPECT_FALSE(cold.structure_reused);
  EXPECT_TRUE(warm.structure_reused);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_TRUE(same_bytes(first.at("out"), second.at("out")));
  const auto uncached = executor.run(inputs);
  EXPECT_TRUE(same_bytes(first.at("out"), uncached.at("out")));

  // New features on the same graph: still a hit, and the same result as without the cache.
  inputs["x"] = other_features(inputs.at("x"), 0.5f);
  runtime::RunStats again;
  const auto changed = executor.run(inputs, {}, options, &again);
  EXPECT_TRUE(again.structure_reused);
  EXPECT_TRUE(same_bytes(changed.at("out"), executor.run(inputs).at("out")));
  EXPECT_FALSE(same_bytes(changed.at("out"), first.at("out")));
}

TEST(StructureCache, AnyChangeToTheEdgesOrToAShapeIsAMiss) {
  auto engine = cora_engine("cpu");
  const ir::Graph& graph = engine->contents().model.graph;
  const auto inputs = runtime::bind_inputs(graph, fixture_inputs("gcn_cora", "g0")).tensors;
  runtime::Executor executor(graph);
  runtime::StructureCache cache;
  runtime::RunOptions options;
  options.cache = &cache;
  executor.run(inputs, {}, options);

  // One edge's target moved: same shapes, different bytes.
  auto moved = inputs;
  moved["edge_index"] = inputs.at("edge_index").clone();
  int64_t* edges = moved["edge_index"].data<int64_t>();
  const int64_t num_edges = moved["edge_index"].dim(1);
  edges[num_edges + 3] = (edges[num_edges + 3] + 1) % inputs.at("x").dim(0);
  runtime::RunStats stats;
  const auto result = executor.run(moved, {}, options, &stats);
  EXPECT_FALSE(stats.structure_reused);
  EXPECT_TRUE(same_bytes(result.at("out"), executor.run(moved).at("out")));

  // Another graph of another size (g1), then back to g0: each a miss, each right.
  const auto g1 = runtime::bind_inputs(graph, fixture_inputs("gcn_cora", "g1")).tensors;
  executor.run(g1, {}, options, &stats);
  EXPECT_FALSE(stats.structure_reused);
  const auto back = executor.run(inputs, {}, options, &stats);
  EXPECT_FALSE(stats.structure_reused);
  EXPECT_TRUE(same_bytes(back.at("out"), executor.run(inputs).at("out")));
}

TEST(GraphBinding, RunsManyFeatureSetsOnOneBoundGraph) {
  auto engine = cora_engine("cpu", "torchscript");
  auto context = engine->create_context();
  const auto inputs = fixture_inputs("gcn_cora", "g0");
  const GraphBinding bound = context->bind_graph(inputs);
  ASSERT_TRUE(bound.valid());
  for (float offset : {0.0f, 0.5f, -1.0f}) {
    auto features = inputs;
    if (offset != 0.0f) features["x"] = other_features(inputs.at("x"), offset);
    const auto expected = engine->create_context()->run(features).at("out");
    EXPECT_TRUE(same_bytes(context->run(features, bound).at("out"), expected)) << offset;
    // The structure inputs may be left out: the binding holds them.
    features.erase("edge_index");
    EXPECT_TRUE(same_bytes(context->run(features, bound).at("out"), expected)) << offset;
  }
}

TEST(GraphBinding, AnInputOfAnotherShapeOrAnEmptyBindingIsRefused) {
  auto engine = cora_engine("cpu");
  auto context = engine->create_context();
  const GraphBinding bound = context->bind_graph(fixture_inputs("gcn_cora", "g0"));
  testing::expect_error(ErrorCode::InvalidInput, [&] { context->run(fixture_inputs("gcn_cora", "g1"), bound); },
                        {"shapes differ", "bind"});
  testing::expect_error(ErrorCode::InvalidInput, [&] { context->run(fixture_inputs("gcn_cora", "g0"), GraphBinding{}); },
                        {"binding is empty"});
}

// A stand-in device whose "device" tensors are host memory labelled Device::Cuda: it runs no node
// itself (the executor's CPU kernels read copies, as they do for a GPU), and it counts how the
// structure cache compares device inputs: bytes_equal (a wait) or queued to finish(). Armed, it
// fails the next copy to the host (an error in the middle of a call) or reports a device error
// at the next finish().
class HostMemoryDevice final : public runtime::DeviceBackend {
 public:
  std::string name() const override { return "host-memory"; }
  void prepare(const ir::Graph&) override {}
  bool takes(const ir::Node&, const std::vector<const Tensor*>&) const override { return false; }
  std::vector<Tensor> run(const ir::Node& node, const std::vector<const Tensor*>&, int32_t) override {
    fail_internal("HostMemoryDevice takes no node, yet was asked to run ", node.describe());
  }
  Tensor to_host(const Tensor& tensor) override {
    if (tensor.on_host()) return tensor;
    if (std::exchange(fail_next_copy, false)) fail_internal("HostMemoryDevice: the copy failed, as armed");
    Tensor host(tensor.dtype(), tensor.shape());
    if (tensor.nbytes()) std::memcpy(host.raw(), tensor.raw(), tensor.nbytes());
    return host;
  }
  Tensor to_device(const Tensor& host) override {
    auto storage = std::make_shared<Tensor>(host.clone());
    return Tensor::view(storage->dtype(), storage->shape(), storage, storage->raw(), Device::Cuda);
  }
  Tensor copy_on_device(const Tensor& tensor) override { return to_device(to_host(tensor)); }
  bool bytes_equal(const Tensor& a, const Tensor& b) override {
    ++waited_compares;
    return same_bytes(a, b);
  }
  bool queue_bytes_compare(const Tensor& a, const Tensor& b) override {
    if (a.on_host() || b.on_host()) return false;  // as the CUDA backend: device pairs only
    ++queued_compares;
    queued_found_difference = queued_found_difference || !same_bytes(a, b);
    return true;
  }
  DeviceError finish() override {
    ++finishes;
    DeviceError error;
    error.compared_unequal = std::exchange(queued_found_difference, false);
    if (std::exchange(report_error, false)) {
      error.site = 0;
      error.message = "an index out of range, as armed";
    }
    return error;
  }

  int waited_compares = 0, queued_compares = 0, finishes = 0;
  bool fail_next_copy = false, report_error = false;

 private:
  bool queued_found_difference = false;
};

// Cora's GCN on a HostMemoryDevice with a structure cache, and the CPU reference beside it.
class StructureCacheOnStandInDevice : public ::testing::Test {
 protected:
  StructureCacheOnStandInDevice() { options.cache = &cache; }

  std::shared_ptr<Engine> engine = cora_engine("cpu");
  const ir::Graph& graph = engine->contents().model.graph;
  const runtime::TensorMap host_inputs = runtime::bind_inputs(graph, fixture_inputs("gcn_cora", "g0")).tensors;
  HostMemoryDevice device;
  runtime::TensorMap inputs = copied_to_device(device, host_inputs);
  runtime::Executor executor{graph, &device};
  runtime::Executor reference{graph};
  runtime::StructureCache cache;
  runtime::RunOptions options;
};

TEST_F(StructureCacheOnStandInDevice, ADeviceGraphSeenLastCallIsComparedAtTheCallsOnlyWait) {
  const auto expected = reference.run(host_inputs).at("out");

  // A miss, then a hit found by a waited comparison (the last call missed), then a hit whose
  // comparison is queued: each call waits for the device once.
  runtime::RunStats stats;
  executor.run(inputs, {}, options, &stats);
  EXPECT_FALSE(stats.structure_reused);
  EXPECT_TRUE(same_bytes(executor.run(inputs, {}, options, &stats).at("out"), expected));
  EXPECT_TRUE(stats.structure_reused);
  EXPECT_EQ(device.waited_compares, 1);
  EXPECT_EQ(device.queued_compares, 0);
  EXPECT_TRUE(same_bytes(executor.run(inputs, {}, options, &stats).at("out"), expected));
  EXPECT_TRUE(stats.structure_reused);
  EXPECT_EQ(device.waited_compares, 1);
  EXPECT_EQ(device.queued_compares, 1);
  EXPECT_EQ(device.finishes, 3);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.deferred_hits(), 1u);

  // The caller rewrites its device edge list in place (same address, same shape): the queued
  // comparison finds it, the guessed hit is dropped, and the call runs again as a miss.
  Tensor& edges = inputs.at("edge_index");
  int64_t* values = static_cast<int64_t*>(edges.raw());
  const int64_t num_edges = edges.dim(1);
  values[num_edges + 5] = (values[num_edges + 5] + 1) % host_inputs.at("x").dim(0);
  auto changed_host = host_inputs;
  changed_host["edge_index"] = device.to_host(edges);
  const auto changed_expected = reference.run(changed_host).at("out");
  ASSERT_FALSE(same_bytes(changed_expected, expected));
  const auto changed = executor.run(inputs, {}, options, &stats).at("out");
  EXPECT_TRUE(same_bytes(changed, changed_expected));
  EXPECT_FALSE(stats.structure_reused);
  EXPECT_EQ(device.queued_compares, 2);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.deferred_hits(), 1u);
  EXPECT_EQ(cache.misses(), 2u);

  // The call after a miss compares with a wait again, and hits on the new graph.
  EXPECT_TRUE(same_bytes(executor.run(inputs, {}, options, &stats).at("out"), changed_expected));
  EXPECT_TRUE(stats.structure_reused);
  EXPECT_EQ(device.waited_compares, 2);
  EXPECT_EQ(device.queued_compares, 2);

  // A call that does not wait for the device at its end compares with a wait.
  runtime::RunOptions unchecked = options;
  unchecked.check_device_errors = false;
  executor.run(inputs, {}, unchecked, &stats);
  EXPECT_TRUE(stats.structure_reused);
  EXPECT_EQ(device.waited_compares, 3);
  EXPECT_EQ(device.queued_compares, 2);
}

// Edges rewritten in place after hits, with the device's call failing or reporting an error on the
// stale structure: the refuted guess is run again as a miss, and only an error of a call that
// stands reaches the caller.
TEST_F(StructureCacheOnStandInDevice, AFailureOfARefutedGuessIsNotTheCallersAndARealOneIs) {
  runtime::RunStats stats;
  int64_t* edges = static_cast<int64_t*>(inputs.at("edge_index").raw());
  const int64_t num_edges = inputs.at("edge_index").dim(1), num_nodes = host_inputs.at("x").dim(0);
  const auto expected_now = [&] {
    auto now = host_inputs;
    now["edge_index"] = device.to_host(inputs.at("edge_index"));
    return reference.run(now).at("out");
  };
  for (int round = 0; round < 2; ++round) {
    for (int call = 0; call < 3; ++call) executor.run(inputs, {}, options);  // hits, the last deferred
    const size_t deferred = cache.deferred_hits();
    edges[num_edges + 11 + round] = (edges[num_edges + 11 + round] + 1) % num_nodes;
    (round == 0 ? device.fail_next_copy : device.report_error) = true;
    const Tensor out = executor.run(inputs, {}, options, &stats).at("out");
    EXPECT_TRUE(same_bytes(out, expected_now())) << round;
    EXPECT_FALSE(stats.structure_reused) << round;
    EXPECT_EQ(cache.deferred_hits(), deferred) << round;  // the refuted guess is not counted
  }
  // A device error of a call whose guess stands is the caller's, naming the node.
  for (int call = 0; call < 3; ++call) executor.run(inputs, {}, options);
  device.report_error = true;
  testing::expect_error(ErrorCode::InvalidInput, [&] { executor.run(inputs, {}, options); },
                        {"an index out of range, as armed"});
  EXPECT_TRUE(same_bytes(executor.run(inputs, {}, options, &stats).at("out"), expected_now()));
  EXPECT_TRUE(stats.structure_reused);
}

TEST(StructureCache, CudaContextHitsAndMatchesTheCpu) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  auto engine = cora_engine("cuda");
  const ir::Graph& graph = engine->contents().model.graph;
  const auto host_inputs = runtime::bind_inputs(graph, fixture_inputs("gcn_cora", "g0")).tensors;
  auto backend = runtime::create_device_backend("cuda");
  const runtime::TensorMap device_inputs = copied_to_device(*backend, host_inputs);
  runtime::Executor executor(graph, backend.get());
  runtime::StructureCache cache;
  runtime::RunOptions options;
  options.cache = &cache;
  runtime::RunStats cold, warm;
  const auto first = executor.run(device_inputs, {}, options, &cold);
  const auto second = executor.run(device_inputs, {}, options, &warm);
  EXPECT_FALSE(cold.structure_reused);
  EXPECT_TRUE(warm.structure_reused);
  EXPECT_TRUE(same_bytes(first.at("out"), second.at("out")));
  // A device edge list with one byte changed is a miss.
  auto moved = device_inputs;
  Tensor edges = host_inputs.at("edge_index").clone();
  edges.data<int64_t>()[0] = (edges.data<int64_t>()[0] + 1) % host_inputs.at("x").dim(0);
  moved["edge_index"] = backend->to_device(edges);
  runtime::RunStats stats;
  executor.run(moved, {}, options, &stats);
  EXPECT_FALSE(stats.structure_reused);
}

TEST(StructureCache, CudaEdgesRewrittenInPlaceAfterHitsAreAMissWithAndWithoutReplay) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  auto engine = cora_engine("cuda");
  const ir::Graph& graph = engine->contents().model.graph;
  const auto host_inputs = runtime::bind_inputs(graph, fixture_inputs("gcn_cora", "g0")).tensors;
  for (const bool replay : {false, true}) {
    auto backend = runtime::create_device_backend("cuda");
    runtime::TensorMap device_inputs = copied_to_device(*backend, host_inputs);
    runtime::Executor executor(graph, backend.get());
    runtime::StructureCache cache;
    runtime::RunOptions options;
    options.cache = &cache;
    options.cuda_graph = replay;
    const Tensor expected = executor.run(device_inputs).at("out");
    runtime::RunStats stats;
    for (int call = 0; call < 4; ++call) {  // a miss, then hits (deferred from the third; recorded, replayed)
      EXPECT_TRUE(same_bytes(executor.run(device_inputs, {}, options, &stats).at("out"), expected)) << call;
      EXPECT_EQ(stats.structure_reused, call > 0) << call;
    }
    EXPECT_EQ(stats.graph_replayed, replay);
    EXPECT_EQ(cache.deferred_hits(), 2u) << replay;  // the third and fourth calls
    Tensor edges = host_inputs.at("edge_index").clone();
    int64_t* values = edges.data<int64_t>();
    values[edges.dim(1) + 7] = (values[edges.dim(1) + 7] + 1) % host_inputs.at("x").dim(0);
    backend->copy_into(edges, device_inputs.at("edge_index"));  // same address, new bytes
    const Tensor changed_expected = executor.run(device_inputs).at("out");
    ASSERT_FALSE(same_bytes(changed_expected, expected));
    EXPECT_TRUE(same_bytes(executor.run(device_inputs, {}, options, &stats).at("out"), changed_expected)) << replay;
    EXPECT_FALSE(stats.structure_reused) << replay;
    EXPECT_EQ(cache.hits(), 3u) << replay;
    EXPECT_EQ(cache.misses(), 2u) << replay;
    for (int call = 0; call < 3; ++call) {
      EXPECT_TRUE(same_bytes(executor.run(device_inputs, {}, options, &stats).at("out"), changed_expected)) << call;
      EXPECT_TRUE(stats.structure_reused) << call;
    }
  }
}

}  // namespace
}  // namespace gnnrt
