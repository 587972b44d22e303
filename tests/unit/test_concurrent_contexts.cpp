// Several execution contexts of one engine, run from several threads at once, give the same
// bit-identical outputs as one context alone (on the CPU here; on CUDA where a GPU is present).
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "gnnrt/runtime.h"
#include "io/npz.h"
#include "runtime/backend.h"
#include "test_support.h"

namespace gnnrt {
namespace {

std::map<std::string, Tensor> cora_inputs() {
  std::map<std::string, Tensor> inputs;
  for (auto& [name, tensor] : io::read_npz((testing::fixtures_dir() / "gcn_cora" / "g0.inputs.npz").string()))
    inputs[name] = tensor;
  return inputs;
}

void check_concurrent_contexts(const std::string& device, int threads, int runs_per_thread) {
  BuildConfig config;
  config.device = device;
  auto engine =
      Engine::build_from_onnx((testing::fixtures_dir() / "gcn_cora" / "dynamo" / "model.onnx").string(), config);
  const auto inputs = cora_inputs();
  const Tensor reference = engine->create_context()->run(inputs).at("out");
  std::vector<int> mismatches(static_cast<size_t>(threads), 0);
  std::vector<std::string> errors(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      try {
        auto context = engine->create_context();
        for (int run = 0; run < runs_per_thread; ++run) {
          const Tensor out = context->run(inputs).at("out");
          if (out.shape() != reference.shape() || std::memcmp(out.raw(), reference.raw(), out.nbytes()) != 0)
            ++mismatches[static_cast<size_t>(t)];
        }
      } catch (const std::exception& error) {
        errors[static_cast<size_t>(t)] = error.what();
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  for (int t = 0; t < threads; ++t) {
    EXPECT_EQ(errors[static_cast<size_t>(t)], "") << "thread " << t;
    EXPECT_EQ(mismatches[static_cast<size_t>(t)], 0) << "thread " << t;
  }
}

TEST(ConcurrentContexts, CpuContextsAgreeBitForBit) { check_concurrent_contexts("cpu", 4, 2); }

TEST(ConcurrentContexts, CudaContextsAgreeBitForBit) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  check_concurrent_contexts("cuda", 8, 4);
}

TEST(EngineApi, SaveLoadRunAndErrorsAreExceptions) {
  testing::TempDir dir;
  auto engine = Engine::build_from_onnx((testing::fixtures_dir() / "gcn_cora" / "torchscript" / "model.onnx").string());
  EXPECT_EQ(engine->input_names(), (std::vector<std::string>{"x", "edge_index"}));
  engine->save((dir / "m.engine").string());
  auto loaded = Engine::load((dir / "m.engine").string());
  auto inputs = cora_inputs();
  const Tensor a = engine->create_context()->run(inputs).at("out");
  const Tensor b = loaded->create_context()->run(inputs).at("out");
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0);
  inputs.erase("edge_index");
  try {
    loaded->create_context()->run(inputs);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::InvalidInput);
    EXPECT_NE(std::string(error.what()).find("missing input 'edge_index'"), std::string::npos);
  }
}

}  // namespace
}  // namespace gnnrt
