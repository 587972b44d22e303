// Determinism at scale: outputs are bit-identical across runs of one context (the second run
// takes the structure cache's path) and across 1, 2 and 8 contexts running concurrently on one
// engine, for every fixture model with all its graphs and for synthetic workloads large enough
// to take the kernels' multithreaded paths. On the CPU here; on CUDA where a GPU is present (the
// CUDA cases skip without one).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "gnnrt/runtime.h"
#include "io/npz.h"
#include "io/synthetic_graphs.h"
#include "runtime/backend.h"
#include "test_support.h"

namespace gnnrt {
namespace {

using Inputs = std::map<std::string, Tensor>;
using Outputs = std::map<std::string, Tensor>;

bool identical(const Outputs& a, const Outputs& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, tensor] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second.dtype() != tensor.dtype() || it->second.shape() != tensor.shape() ||
        std::memcmp(it->second.raw(), tensor.raw(), tensor.nbytes()) != 0)
      return false;
  }
  return true;
}

// Runs every input set on `contexts` fresh contexts at once (each on its own thread, each input
// set twice) and expects every output to equal `reference` bit for bit.
void expect_concurrent_runs_identical(const Engine& engine, const std::vector<Inputs>& graphs,
                                      const std::vector<Outputs>& reference, int contexts) {
  std::vector<std::string> failures(static_cast<size_t>(contexts));
  std::vector<std::thread> workers;
  for (int c = 0; c < contexts; ++c) {
    workers.emplace_back([&, c] {
      std::string& failure = failures[static_cast<size_t>(c)];
      try {
        auto context = engine.create_context();
        for (int pass = 0; pass < 2; ++pass)
          for (size_t g = 0; g < graphs.size(); ++g)
            if (!identical(context->run(graphs[g]), reference[g]))
              failure += cat("graph ", g, " differs on pass ", pass, "; ");
      } catch (const std::exception& error) {
        failure = error.what();
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  for (int c = 0; c < contexts; ++c)
    EXPECT_EQ(failures[static_cast<size_t>(c)], "") << "context " << c << " of " << contexts;
}

void expect_deterministic(const Engine& engine, const std::vector<Inputs>& graphs) {
  std::vector<Outputs> reference;
  auto context = engine.create_context();
  for (const Inputs& graph : graphs) reference.push_back(context->run(graph));
  // The same context again: the structure part now comes from its cache.
  for (size_t g = 0; g < graphs.size(); ++g) EXPECT_TRUE(identical(context->run(graphs[g]), reference[g])) << "graph " << g;
  for (int contexts : {1, 2, 8}) expect_concurrent_runs_identical(engine, graphs, reference, contexts);
}

bool device_usable(const std::string& device) { return device == "cpu" || runtime::cuda_usable(); }

// ---------------------------------------------------------------- every fixture model

struct FixtureModel {
  std::string onnx;                 // relative to the fixtures folder
  std::vector<std::string> inputs;  // its graphs' inputs (.npz), relative too
};

void PrintTo(const FixtureModel& model, std::ostream* out) { *out << model.onnx; }

std::vector<FixtureModel> fixture_models() {
  std::map<std::string, std::set<std::string>> by_model;
  for (const testing::FixtureRow& row : testing::read_fixture_manifest()) by_model[row.onnx].insert(row.inputs);
  std::vector<FixtureModel> models;
  for (const auto& [onnx, inputs] : by_model) models.push_back({onnx, {inputs.begin(), inputs.end()}});
  return models;
}

class FixtureDeterminism : public ::testing::TestWithParam<std::tuple<FixtureModel, std::string>> {};

TEST_P(FixtureDeterminism, BitIdenticalAcrossRunsAndContexts) {
  const auto& [model, device] = GetParam();
  if (!device_usable(device)) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  BuildConfig config;
  config.device = device;
  auto engine = Engine::build_from_onnx((testing::fixtures_dir() / model.onnx).string(), config);
  std::vector<Inputs> graphs;
  for (const std::string& path : model.inputs) {
    Inputs inputs;
    for (auto& [name, tensor] : io::read_npz((testing::fixtures_dir() / path).string())) inputs[name] = tensor;
    graphs.push_back(inputs);
  }
  expect_deterministic(*engine, graphs);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureDeterminism,
                         ::testing::Combine(::testing::ValuesIn(fixture_models()),
                                            ::testing::Values(std::string("cpu"), std::string("cuda"))),
                         [](const auto& info) {
                           std::string name = std::get<0>(info.param).onnx + "_" + std::get<1>(info.param);
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

// ---------------------------------------------------------------- synthetic workloads

// Large enough for the multithreaded kernel paths, small enough for the sanitizer builds.
constexpr int64_t kNodes = 6000, kEdges = 60000;

class SyntheticDeterminism : public ::testing::TestWithParam<std::string> {};

TEST_P(SyntheticDeterminism, NodeModelsOnSkewedGraphs) {
  const std::string device = GetParam();
  if (!device_usable(device)) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  BuildConfig config;
  config.device = device;
  // GCN with edge weights, GAT (edge softmax), GIN (sum), SAGE (mean): every aggregation kind.
  for (const auto& [onnx, width] : std::vector<std::pair<std::string, int64_t>>{
           {"gcn_edge_weight/dynamo/model.onnx", 12}, {"gat/dynamo/model.onnx", 32},
           {"gin/torchscript/model.onnx", 24}, {"sage/dynamo/model.onnx", 20}}) {
    SCOPED_TRACE(onnx);
    auto engine = Engine::build_from_onnx((testing::fixtures_dir() / onnx).string(), config);
    const io::SyntheticGraph chung_lu = io::make_chung_lu_graph({kNodes, kEdges, width, 11});
    const io::SyntheticGraph power_law = io::make_power_law_graph({kNodes, kEdges, width, 12});
    std::vector<Inputs> graphs;
    for (const io::SyntheticGraph* graph : {&chung_lu, &power_law}) {
      Inputs inputs{{"x", graph->x}, {"edge_index", graph->edge_index}};
      if (onnx.rfind("gcn_edge_weight", 0) == 0) inputs["edge_weight"] = io::make_edge_weights(kEdges, 13);
      graphs.push_back(inputs);
    }
    expect_deterministic(*engine, graphs);
  }
}

TEST_P(SyntheticDeterminism, PooledModelOnAMoleculeBatch) {
  const std::string device = GetParam();
  if (!device_usable(device)) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  BuildConfig config;
  config.device = device;
  auto engine =
      Engine::build_from_onnx((testing::fixtures_dir() / "gcn_graph_add_pool/dynamo/model.onnx").string(), config);
  const io::SyntheticGraph batch = io::make_molecule_batch({256, 14, 21});
  expect_deterministic(*engine, {{{"x", batch.x}, {"edge_index", batch.edge_index}, {"batch", batch.batch}}});
}

INSTANTIATE_TEST_SUITE_P(Devices, SyntheticDeterminism, ::testing::Values(std::string("cpu"), std::string("cuda")));

}  // namespace
}  // namespace gnnrt
