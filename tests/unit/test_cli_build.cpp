// gnnrt build + gnnrt run --engine: the engine round trip, the optimisation profile, and bad
// engine files, through the real binary (CPU engines; CUDA engines are covered on the GPU).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/npz.h"
#include "runtime/backend.h"
#include "test_support.h"

namespace gnnrt {
namespace {

namespace fs = std::filesystem;
using testing::quoted;
using testing::run_gnnrt;
using testing::TempDir;

const fs::path kCora = testing::fixtures_dir() / "gcn_cora";

bool same_bits(const io::NamedTensors& a, const io::NamedTensors& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || a[i].second.shape() != b[i].second.shape() ||
        a[i].second.dtype() != b[i].second.dtype() ||
        std::memcmp(a[i].second.raw(), b[i].second.raw(), a[i].second.nbytes()) != 0)
      return false;
  }
  return true;
}

TEST(CliBuild, EngineRoundTripGivesBitIdenticalOutputsToRunningTheOnnx) {
  TempDir dir;
  for (const char* exporter : {"torchscript", "dynamo"}) {
    const fs::path model = kCora / exporter / "model.onnx";
    auto built = run_gnnrt("build --device cpu --onnx " + quoted(model) + " --save " + quoted(dir / "m.engine") +
                           " --max-nodes 5000 --max-edges 20000");
    ASSERT_EQ(built.exit_code, 0) << built.output;
    EXPECT_NE(built.output.find("x: min 0x1433, opt 5000x1433, max 5000x1433"), std::string::npos) << built.output;
    auto from_engine = run_gnnrt("run --engine " + quoted(dir / "m.engine") + " --inputs " +
                                 quoted(kCora / "g0.inputs.npz") + " --output " + quoted(dir / "a.npz") +
                                 " --compare " + quoted(kCora / "g0.expected.npz"));
    ASSERT_EQ(from_engine.exit_code, 0) << from_engine.output;
    auto from_onnx = run_gnnrt("run --device cpu --onnx " + quoted(model) + " --inputs " +
                               quoted(kCora / "g0.inputs.npz") + " --output " + quoted(dir / "b.npz"));
    ASSERT_EQ(from_onnx.exit_code, 0) << from_onnx.output;
    EXPECT_TRUE(same_bits(io::read_npz((dir / "a.npz").string()), io::read_npz((dir / "b.npz").string())))
        << exporter;
  }
}

TEST(CliBuild, InputsOutsideTheProfileAreRefused) {
  TempDir dir;
  auto built = run_gnnrt("build --device cpu --onnx " + quoted(kCora / "torchscript" / "model.onnx") + " --save " +
                         quoted(dir / "small.engine") + " --max-nodes 100 --max-edges 20000");
  ASSERT_EQ(built.exit_code, 0) << built.output;
  auto result = run_gnnrt("run --engine " + quoted(dir / "small.engine") + " --inputs " + quoted(kCora / "g0.inputs.npz"));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("input 'x': dimension 0 is 2708, outside the engine's profile [0, 100]"),
            std::string::npos)
      << result.output;
}

TEST(CliBuild, MaxGraphsBoundsTheBatch) {
  TempDir dir;
  const fs::path pool = testing::fixtures_dir() / "gcn_graph_mean_pool";
  auto built = run_gnnrt("build --device cpu --onnx " + quoted(pool / "dynamo" / "model.onnx") + " --save " +
                         quoted(dir / "pool.engine") + " --max-graphs 5");
  ASSERT_EQ(built.exit_code, 0) << built.output;
  auto ok = run_gnnrt("run --engine " + quoted(dir / "pool.engine") + " --inputs " + quoted(pool / "g0.inputs.npz") +
                      " --compare " + quoted(pool / "g0.expected.npz"));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  auto too_many = run_gnnrt("run --engine " + quoted(dir / "pool.engine") + " --inputs " + quoted(pool / "g2.inputs.npz"));
  EXPECT_EQ(too_many.exit_code, 2) << too_many.output;
  EXPECT_NE(too_many.output.find("--max-graphs 5"), std::string::npos) << too_many.output;
}

TEST(CliBuild, BadProfilesAreRefusedAtBuildTime) {
  TempDir dir;
  const std::string base = "build --device cpu --onnx " + quoted(kCora / "torchscript" / "model.onnx") + " --save " +
                           quoted(dir / "m.engine") + " ";
  auto result = run_gnnrt(base + "--max-shapes x:10x1432");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("fixed to 1433"), std::string::npos) << result.output;
  result = run_gnnrt(base + "--min-nodes 10 --max-nodes 5");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("min <= opt <= max"), std::string::npos) << result.output;
  result = run_gnnrt(base + "--max-shapes nosuch:3");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("no input 'nosuch'"), std::string::npos) << result.output;
  result = run_gnnrt(base + "--max-shapes x:10by1433");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_FALSE(fs::exists(dir / "m.engine"));
}

TEST(CliBuild, CorruptAndForeignEngineFilesExitTwo) {
  TempDir dir;
  auto built = run_gnnrt("build --device cpu --onnx " + quoted(kCora / "torchscript" / "model.onnx") + " --save " +
                         quoted(dir / "m.engine"));
  ASSERT_EQ(built.exit_code, 0) << built.output;
  std::ifstream in(dir / "m.engine", std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  for (size_t cut : {size_t{0}, size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    std::ofstream(dir / "cut.engine", std::ios::binary) << bytes.substr(0, cut);
    auto result = run_gnnrt("run --engine " + quoted(dir / "cut.engine") + " --inputs " + quoted(kCora / "g1.inputs.npz"));
    EXPECT_EQ(result.exit_code, 2) << "cut " << cut << ": " << result.output;
    EXPECT_NE(result.output.find("cut.engine"), std::string::npos) << result.output;
  }
  // An ONNX file is not an engine.
  auto result = run_gnnrt("run --engine " + quoted(kCora / "torchscript" / "model.onnx") + " --inputs " +
                          quoted(kCora / "g1.inputs.npz"));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  // A CPU engine on another device.
  result = run_gnnrt("run --device cuda --engine " + quoted(dir / "m.engine") + " --inputs " + quoted(kCora / "g1.inputs.npz"));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("built for cpu"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace gnnrt

namespace gnnrt {
namespace {

// On a GPU machine: every fixture model through gnnrt build --device cuda + run --engine matches
// PyG, and the engine gives bit-identical outputs to run --onnx on the same device.
TEST(CliBuildCuda, EngineRoundTripOnTheGpu) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  TempDir dir;
  std::string built_for;
  int rows = 0;
  for (const testing::FixtureRow& row : testing::read_fixture_manifest()) {
    const fs::path model = testing::fixtures_dir() / row.onnx;
    if (built_for != row.onnx) {
      auto built = run_gnnrt("build --device cuda --onnx " + quoted(model) + " --save " + quoted(dir / "m.engine"));
      ASSERT_EQ(built.exit_code, 0) << row.onnx << ": " << built.output;
      built_for = row.onnx;
    }
    const fs::path inputs = testing::fixtures_dir() / row.inputs;
    auto from_engine = run_gnnrt("run --engine " + quoted(dir / "m.engine") + " --inputs " + quoted(inputs) +
                                 " --output " + quoted(dir / "a.npz") + " --compare " +
                                 quoted(testing::fixtures_dir() / row.expected));
    EXPECT_EQ(from_engine.exit_code, 0) << row.test_name() << ": " << from_engine.output;
    auto from_onnx = run_gnnrt("run --device cuda --onnx " + quoted(model) + " --inputs " + quoted(inputs) +
                               " --output " + quoted(dir / "b.npz"));
    ASSERT_EQ(from_onnx.exit_code, 0) << from_onnx.output;
    EXPECT_TRUE(same_bits(io::read_npz((dir / "a.npz").string()), io::read_npz((dir / "b.npz").string())))
        << row.test_name();
    ++rows;
  }
  EXPECT_GT(rows, 50);
  std::cout << "[ cuda    ] " << rows << " fixture rows built, run from engines and compared\n";
}

}  // namespace
}  // namespace gnnrt
