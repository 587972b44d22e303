// gnnrt build --int8 and gnnrt run --check-against fp32 through the real binary: calibration, the
// cache, the accuracy report, and the refusals (exit code 2, one clear message).
#include <gtest/gtest.h>

#include <filesystem>

#include "runtime/backend.h"
#include "test_support.h"

namespace gnnrt {
namespace {

namespace fs = std::filesystem;
using testing::quoted;
using testing::run_gnnrt;
using testing::TempDir;

const fs::path kCora = testing::fixtures_dir() / "gcn_cora";
const std::string kModel = " --device cpu --onnx " + quoted(kCora / "torchscript" / "model.onnx");

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(CliInt8, CalibratesReportsAndReusesTheCache) {
  TempDir dir;
  const std::string cache = quoted(dir / "cora.cache");
  const auto calibrated =
      run_gnnrt("build" + kModel + " --save " + quoted(dir / "a.engine") + " --int8 --calib-data " +
                quoted(kCora / "g0.inputs.npz") + " --calib-cache " + cache +
                " --calibrator percentile --percentile 99.9 --calib-labels " + quoted(kCora / "labels.npz"));
  ASSERT_EQ(calibrated.exit_code, 0) << calibrated.output;
  EXPECT_TRUE(contains(calibrated.output, "calibrated 2 tensors on 1 graph (percentile:99.9)")) << calibrated.output;
  EXPECT_TRUE(contains(calibrated.output, "INT8 vs fp32 on the 1 calibration graph, output 'out': max abs error"))
      << calibrated.output;
  EXPECT_TRUE(contains(calibrated.output, "argmax agreement 99.")) << calibrated.output;
  EXPECT_TRUE(contains(calibrated.output, "INT8 layer /convs.1/aggr_module/ScatterElements alone: max abs error"))
      << calibrated.output;
  EXPECT_TRUE(contains(calibrated.output, "INT8: every layer measured stays int8")) << calibrated.output;
  EXPECT_TRUE(
      contains(calibrated.output, "test accuracy (test_mask) of output 'out': fp32 78.80 %, fp16 78.80 %, int8 "))
      << calibrated.output;
  EXPECT_EQ(testing::read_file((dir / "cora.cache").string()).rfind("gnnrt-int8-calibration 1 percentile:99.9\n", 0),
            0u);

  const auto cached =
      run_gnnrt("build" + kModel + " --save " + quoted(dir / "b.engine") + " --int8 --calib-cache " + cache);
  ASSERT_EQ(cached.exit_code, 0) << cached.output;
  EXPECT_TRUE(contains(cached.output, "2 scales from the calibration cache")) << cached.output;
  EXPECT_EQ(testing::read_file((dir / "a.engine").string()), testing::read_file((dir / "b.engine").string()));

  const auto checked =
      run_gnnrt("run --engine " + quoted(dir / "b.engine") + kModel.substr(std::string(" --device cpu").size()) +
                " --inputs " + quoted(kCora / "g1.inputs.npz") + " --check-against fp32");
  ASSERT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_TRUE(contains(checked.output, "check-against fp32")) << checked.output;
  EXPECT_TRUE(contains(checked.output, "output 'out': max abs error")) << checked.output;
  EXPECT_TRUE(contains(checked.output, "argmax agreement")) << checked.output;

  const auto on_cuda = run_gnnrt("run --device cuda --engine " + quoted(dir / "b.engine") + " --inputs " +
                                 quoted(kCora / "g1.inputs.npz"));
  EXPECT_USER_ERROR(on_cuda, "the engine was built for cpu, not for cuda");
}

// A CUDA INT8 build with no opt size times its SpMM tactics at the first calibration graph's sizes,
// graph count included, and says which flags build the same from the cache alone.
TEST(CliInt8, ACudaBuildTimesItsTacticsAtTheCalibrationGraphsSizes) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  TempDir dir;
  const fs::path pool = testing::fixtures_dir() / "gcn_graph_mean_pool";
  const auto built = run_gnnrt("build --device cuda --onnx " + quoted(pool / "dynamo" / "model.onnx") + " --save " +
                               quoted(dir / "p.engine") + " --int8 --calib-data " + quoted(pool / "g0.inputs.npz") +
                               " --int8-layer-tolerance -1");
  ASSERT_EQ(built.exit_code, 0) << built.output;
  EXPECT_TRUE(contains(built.output, "tactics timed at the first calibration graph's sizes (--opt-nodes 32 "
                                     "--opt-edges 80 --opt-graphs 4;"))
      << built.output;
  EXPECT_TRUE(contains(built.output, "SpMM tactics are timed on 4 small graphs")) << built.output;
  // Given sizes win.
  const auto chosen = run_gnnrt("build --device cuda --onnx " + quoted(pool / "dynamo" / "model.onnx") + " --save " +
                                quoted(dir / "q.engine") + " --int8 --calib-data " + quoted(pool / "g0.inputs.npz") +
                                " --int8-layer-tolerance -1 --opt-nodes 30 --opt-edges 70");
  ASSERT_EQ(chosen.exit_code, 0) << chosen.output;
  EXPECT_FALSE(contains(chosen.output, "first calibration graph's sizes")) << chosen.output;
}

// A layer past --int8-layer-tolerance stays fp16; the report gives the flag that makes a build from
// the cache alone (which measures nothing) the same engine, and every layer's precision.
TEST(CliInt8, LayerToleranceKeepsALayerInFp16Reproducibly) {
  TempDir dir;
  const std::string cache = quoted(dir / "cora.cache");
  const auto measured =
      run_gnnrt("build" + kModel + " --save " + quoted(dir / "a.engine") + " --int8 --calib-data " +
                quoted(kCora / "g0.inputs.npz") + " --calib-cache " + cache + " --int8-layer-tolerance 0.02");
  ASSERT_EQ(measured.exit_code, 0) << measured.output;
  const std::string layer = "/convs.1/aggr_module/ScatterElements";
  const std::string flag = "--layer-precision " + layer + ":fp16";
  EXPECT_TRUE(contains(measured.output, "to build the same from the cache alone, add " + flag)) << measured.output;
  EXPECT_TRUE(contains(measured.output, "% -> fp16")) << measured.output;
  EXPECT_TRUE(contains(measured.output, layer + " fp16")) << measured.output;
  EXPECT_TRUE(contains(measured.output, "INT8 engine's layer precisions: ")) << measured.output;
  const auto cached = run_gnnrt("build" + kModel + " --save " + quoted(dir / "b.engine") + " --int8 --calib-cache " +
                                cache + " " + flag);
  ASSERT_EQ(cached.exit_code, 0) << cached.output;
  EXPECT_TRUE(contains(cached.output, layer + " fp16")) << cached.output;
  EXPECT_EQ(testing::read_file((dir / "a.engine").string()), testing::read_file((dir / "b.engine").string()));

  // By hand, fp32 and fp16 side by side; the fp16 engine runs and stays close to fp32.
  const auto mixed = run_gnnrt("build" + kModel + " --save " + quoted(dir / "c.engine") + " --int8 --calib-cache " +
                               cache + " " + flag + " --layer-precision /convs.0/aggr_module/ScatterElements:fp32");
  ASSERT_EQ(mixed.exit_code, 0) << mixed.output;
  EXPECT_TRUE(contains(mixed.output, "/convs.0/aggr_module/ScatterElements fp32")) << mixed.output;
  EXPECT_TRUE(contains(mixed.output, layer + " fp16")) << mixed.output;
  const auto checked = run_gnnrt("run --engine " + quoted(dir / "c.engine") + " --onnx " +
                                 quoted(kCora / "torchscript" / "model.onnx") + " --inputs " +
                                 quoted(kCora / "g1.inputs.npz") + " --check-against fp32");
  ASSERT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_TRUE(contains(checked.output, "argmax agreement")) << checked.output;
}

TEST(CliInt8, PerRowScales) {
  TempDir dir;
  const auto built =
      run_gnnrt("build" + kModel + " --save " + quoted(dir / "rows.engine") + " --int8 --int8-scales row " +
                "--calib-data " + quoted(kCora / "g0.inputs.npz") + " --dump-ir");
  ASSERT_EQ(built.exit_code, 0) << built.output;
  EXPECT_TRUE(contains(built.output, "gnnrt.QuantizeInt8[per_row=1]")) << built.output;
  EXPECT_TRUE(contains(built.output, "/int8_row_scale)  # /convs.1/aggr_module/ScatterElements")) << built.output;
  const auto bad = run_gnnrt("build" + kModel + " --save " + quoted(dir / "x.engine") +
                             " --int8 --int8-scales column " + "--calib-data " + quoted(kCora / "g0.inputs.npz"));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_TRUE(contains(bad.output, "--int8-scales")) << bad.output;
}

// The saved-outputs route: gnnrt accuracy scores an INT8 run and compares it with the fp32 one.
TEST(CliInt8, AccuracyOfSavedInt8Outputs) {
  TempDir dir;
  const std::string inputs = " --inputs " + quoted(kCora / "g0.inputs.npz");
  ASSERT_EQ(run_gnnrt("build" + kModel + " --save " + quoted(dir / "m8.engine") + " --int8 --calibrator minmax" +
                      " --calib-data " + quoted(kCora / "g0.inputs.npz"))
                .exit_code,
            0);
  ASSERT_EQ(
      run_gnnrt("run --engine " + quoted(dir / "m8.engine") + inputs + " --output " + quoted(dir / "o8.npz")).exit_code,
      0);
  ASSERT_EQ(run_gnnrt("run" + kModel + inputs + " --output " + quoted(dir / "o.npz")).exit_code, 0);
  const std::string labels = " --labels " + quoted(kCora / "labels.npz");
  const auto fp32 = run_gnnrt("accuracy --predictions " + quoted(dir / "o.npz") + labels);
  EXPECT_TRUE(contains(fp32.output, "accuracy (test_mask): 78.80 % (788/1000)")) << fp32.output;
  const auto int8 =
      run_gnnrt("accuracy --predictions " + quoted(dir / "o8.npz") + labels + " --reference " + quoted(dir / "o.npz"));
  ASSERT_EQ(int8.exit_code, 0) << int8.output;
  EXPECT_TRUE(contains(int8.output, "accuracy (test_mask): 79.00 % (790/1000)")) << int8.output;
  EXPECT_TRUE(contains(int8.output, "argmax agreement 99.59 % (2697/2708)")) << int8.output;
  EXPECT_USER_ERROR(run_gnnrt("accuracy --predictions " + quoted(dir / "o8.npz") + labels + " --mask nope"),
                    "has no array 'nope'; it holds: y, test_mask");
  EXPECT_USER_ERROR(run_gnnrt("accuracy --predictions " + quoted(dir / "o8.npz") + " --labels " +
                              quoted(kCora / "g1.inputs.npz") + " --label-key x --mask ''"),
                    "expected 2708 integer labels, got float32[120, 1433]");
}

TEST(CliInt8, RefusalsAreUserErrors) {
  TempDir dir;
  const std::string save = " --save " + quoted(dir / "m.engine");
  const std::string data = " --calib-data " + quoted(kCora / "g0.inputs.npz");
  testing::write_file((dir / "bad.cache").string(),
                      "gnnrt-int8-calibration 1 entropy\n/convs.0/lin/MatMul_output_0 0.5\n");
  const std::vector<std::pair<std::string, std::string>> cases{
      {"build" + kModel + save + " --int8", "--int8 needs calibration: give --calib-data"},
      {"build" + kModel + save + " --int8 --calib-cache " + quoted(dir / "none.cache"), "does not exist"},
      {"build" + kModel + save + " --int8 --calib-cache " + quoted(dir / "bad.cache"),
       "line 2: expected \"tensor: scale\""},
      {"build" + kModel + save + data, "apply to --int8 builds: add --int8"},
      {"build" + kModel + save + " --int8 --fp16" + data, "--int8 and --fp16 exclude each other"},
      {"build" + kModel + save + " --int8" + data + " --layer-precision nope:fp32", "--layer-precision nope"},
      {"build" + kModel + save + " --int8" + data + " --layer-precision nope:fp16", "--layer-precision nope"},
      {"build" + kModel + save + " --int8" + data + " --layer-precision a:bf16", "precision 'bf16', expected fp32 or fp16"},
      {"build" + kModel + save + " --int8" + data + " --layer-precision a:fp16 --layer-precision a:fp32",
       "layer a is also given fp16"},
      {"build" + kModel + save + " --int8" + data + " --calibrator percentile --percentile 0", "(0, 100]"},
      {"build" + kModel + save + " --int8" + data + " --calib-labels " + quoted(kCora / "g0.inputs.npz"),
       "has no array 'y'"},
      {"run --engine " + quoted(dir / "m.engine") + " --inputs " + quoted(kCora / "g1.inputs.npz") +
           " --check-against fp32",
       "give both --engine M.engine and --onnx M.onnx"},
  };
  for (const auto& [arguments, message] : cases) {
    SCOPED_TRACE(arguments);
    const auto result = run_gnnrt(arguments);
    EXPECT_USER_ERROR(result, message);
    EXPECT_FALSE(fs::exists(dir / "m.engine"));
  }
  const auto help = run_gnnrt("build --help");
  EXPECT_TRUE(contains(help.output, "--int8") && contains(help.output, "--calib-data") &&
              contains(help.output, "--calibrator") && contains(help.output, "--layer-precision"))
      << help.output;
}

}  // namespace
}  // namespace gnnrt
