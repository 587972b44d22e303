// Every committed PyG fixture (tests/fixtures/manifest.tsv: model, inputs, PyG's outputs) runs
// through the same path as `gnnrt run` and must match PyG within the float32 tolerance.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "io/npz.h"
#include "onnx/importer.h"
#include "runtime/inference.h"
#include "runtime/output_comparison.h"
#include "test_support.h"

namespace gnnrt {
namespace {

using testing::FixtureRow;

runtime::TensorMap to_map(const io::NamedTensors& named) {
  runtime::TensorMap map;
  for (const auto& [name, tensor] : named) map[name] = tensor;
  return map;
}

// Runs one manifest row on `device` ("cpu" or "cuda") and compares with PyG's outputs.
void check_fixture(const FixtureRow& row, const std::string& device) {
  const auto dir = testing::fixtures_dir();
  const ir::Model model = onnx_import::import_onnx_file((dir / row.onnx).string());
  const runtime::TensorMap inputs = to_map(io::read_npz((dir / row.inputs).string()));
  const io::NamedTensors expected = io::read_npz((dir / row.expected).string());
  std::unique_ptr<runtime::DeviceBackend> backend = runtime::create_device_backend(device);
  const runtime::InferenceResult result = runtime::run_inference(model, inputs, {}, backend.get());
  ASSERT_FALSE(expected.empty());
  for (const auto& [name, reference] : expected) {
    ASSERT_TRUE(result.outputs.count(name)) << "model has no output " << name;
    const runtime::ComparisonResult comparison =
        runtime::compare_tensors(name, result.outputs.at(name), reference, runtime::Tolerance{1e-4, 1e-3});
    EXPECT_TRUE(comparison.passed) << comparison.summary() << " (first mismatch at flat index "
                                   << comparison.first_mismatch << ")";
  }
}

class FixtureTest : public ::testing::TestWithParam<FixtureRow> {};

TEST_P(FixtureTest, MatchesPyGOnCpu) { check_fixture(GetParam(), "cpu"); }

TEST_P(FixtureTest, MatchesPyGOnCuda) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  check_fixture(GetParam(), "cuda");
}

INSTANTIATE_TEST_SUITE_P(PyG, FixtureTest, ::testing::ValuesIn(testing::read_fixture_manifest()),
                         [](const ::testing::TestParamInfo<FixtureRow>& info) { return info.param.test_name(); });

TEST(FixtureManifest, IsPresentAndCoversBothExporters) {
  const std::vector<FixtureRow> rows = testing::read_fixture_manifest();
  ASSERT_GE(rows.size(), 20u) << "tests/fixtures/manifest.tsv is missing or nearly empty";
  size_t torchscript = 0, dynamo = 0;
  for (const FixtureRow& row : rows) {
    torchscript += row.exporter == "torchscript";
    dynamo += row.exporter == "dynamo";
  }
  EXPECT_GT(torchscript, 0u);
  EXPECT_GT(dynamo, 0u);
}

}  // namespace
}  // namespace gnnrt
