// Bad input is the user's, not a crash: each case runs the real `gnnrt` binary and asserts exit
// code 2 and a message that names the file, tensor or node. Valid edge cases exit 0.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/npz.h"
#include "onnx.pb.h"
#include "test_support.h"

namespace gnnrt {
namespace {

namespace fs = std::filesystem;
using testing::quoted;
using testing::run_gnnrt;
using testing::TempDir;

// A small GCN fixture (see tests/fixtures/README.md), with both exporters.
const fs::path kCase = testing::fixtures_dir() / "gcn_improved";
const fs::path kTorchscriptModel = kCase / "torchscript" / "model.onnx";
const fs::path kDynamoDir = kCase / "dynamo";
const fs::path kInputs = kCase / "g1.inputs.npz";

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

io::NamedTensors inputs() { return io::read_npz(kInputs.string()); }

Tensor& find(io::NamedTensors& tensors, const std::string& name) {
  for (auto& [key, tensor] : tensors)
    if (key == name) return tensor;
  throw std::runtime_error("fixture input " + name + " missing");
}

testing::CommandResult run_with_inputs(const io::NamedTensors& tensors, const TempDir& dir,
                                       const std::string& extra = "") {
  const fs::path path = dir / "in.npz";
  io::write_npz(path.string(), tensors);
  return run_gnnrt("run --device cpu --onnx " + quoted(kTorchscriptModel) + " --inputs " + quoted(path) + " " + extra);
}


TEST(CliErrors, ValidRunSucceedsAndMatchesPyG) {
  TempDir dir;
  auto result = run_gnnrt("run --device cpu --onnx " + quoted(kTorchscriptModel) + " --inputs " + quoted(kInputs) +
                          " --compare " + quoted(kCase / "g1.expected.npz") + " --output " + quoted(dir / "out.npz"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(fs::exists(dir / "out.npz"));
}

TEST(CliErrors, TruncatedOnnxAtManyOffsets) {
  TempDir dir;
  const std::string bytes = read_bytes(kTorchscriptModel);
  ASSERT_GT(bytes.size(), 1000u);
  for (size_t cut : {size_t{0}, size_t{1}, size_t{7}, size_t{100}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
    const fs::path path = dir / "truncated.onnx";
    write_bytes(path, bytes.substr(0, cut));
    auto result = run_gnnrt("run --device cpu --onnx " + quoted(path) + " --inputs " + quoted(kInputs));
    EXPECT_EQ(result.exit_code, 2) << "cut at " << cut << ": " << result.output;
    EXPECT_NE(result.output.find("truncated.onnx"), std::string::npos) << result.output;
  }
}

TEST(CliErrors, GarbageOnnx) {
  TempDir dir;
  write_bytes(dir / "garbage.onnx", std::string("\x89PNG this is not a model at all \xff\xfe\x01", 36));
  auto result = run_gnnrt("inspect --onnx " + quoted(dir / "garbage.onnx"));
  EXPECT_USER_ERROR(result, "garbage.onnx");
}

TEST(CliErrors, MissingExternalDataFile) {
  TempDir dir;
  fs::copy_file(kDynamoDir / "model.onnx", dir / "model.onnx");
  auto result = run_gnnrt("run --device cpu --onnx " + quoted(dir / "model.onnx") + " --inputs " + quoted(kInputs));
  EXPECT_USER_ERROR(result, "model.onnx.data");
}

TEST(CliErrors, ShortExternalDataFile) {
  TempDir dir;
  fs::copy_file(kDynamoDir / "model.onnx", dir / "model.onnx");
  const std::string data = read_bytes(kDynamoDir / "model.onnx.data");
  write_bytes(dir / "model.onnx.data", data.substr(0, data.size() / 2));
  auto result = run_gnnrt("run --device cpu --onnx " + quoted(dir / "model.onnx") + " --inputs " + quoted(kInputs));
  EXPECT_USER_ERROR(result, "model.onnx.data");
}

// Rewrites every external-data location of the dynamo model and saves it into `dir/sub`.
fs::path model_with_external_location(const TempDir& dir, const std::string& location) {
  onnx::ModelProto model;
  const std::string bytes = read_bytes(kDynamoDir / "model.onnx");
  EXPECT_TRUE(model.ParseFromString(bytes));
  int rewritten = 0;
  for (auto& tensor : *model.mutable_graph()->mutable_initializer())
    for (auto& entry : *tensor.mutable_external_data())
      if (entry.key() == "location") {
        entry.set_value(location);
        ++rewritten;
      }
  EXPECT_GT(rewritten, 0);
  fs::create_directories(dir / "sub");
  fs::copy_file(kDynamoDir / "model.onnx.data", dir / "model.onnx.data");  // reachable only by escaping
  const fs::path path = dir / "sub" / "model.onnx";
  write_bytes(path, model.SerializeAsString());
  return path;
}

TEST(CliErrors, ExternalDataPathEscapingTheModelFolderIsRefused) {
  TempDir dir;
  const fs::path model = model_with_external_location(dir, "../model.onnx.data");
  auto result = run_gnnrt("run --device cpu --onnx " + quoted(model) + " --inputs " + quoted(kInputs));
  EXPECT_USER_ERROR(result, "../model.onnx.data");
  TempDir other;
  const fs::path absolute = model_with_external_location(other, (dir / "model.onnx.data").string());
  result = run_gnnrt("run --device cpu --onnx " + quoted(absolute) + " --inputs " + quoted(kInputs));
  EXPECT_EQ(result.exit_code, 2) << result.output;
}

TEST(CliErrors, UnsupportedOpsAreAllListed) {
  TempDir dir;
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(read_bytes(kTorchscriptModel)));
  ASSERT_GE(model.graph().node_size(), 3);
  model.mutable_graph()->mutable_node(1)->set_op_type("FancyOpOne");
  model.mutable_graph()->mutable_node(2)->set_op_type("FancyOpTwo");
  write_bytes(dir / "unsupported.onnx", model.SerializeAsString());
  auto result = run_gnnrt("run --device cpu --onnx " + quoted(dir / "unsupported.onnx") + " --inputs " + quoted(kInputs));
  EXPECT_USER_ERROR(result, "FancyOpOne");
  EXPECT_NE(result.output.find("FancyOpTwo"), std::string::npos) << result.output;
  // inspect lists them instead of failing
  result = run_gnnrt("inspect --onnx " + quoted(dir / "unsupported.onnx"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("FancyOpTwo"), std::string::npos) << result.output;
}

TEST(CliErrors, MissingInput) {
  TempDir dir;
  io::NamedTensors tensors;
  for (auto& entry : inputs())
    if (entry.first != "edge_index") tensors.push_back(entry);
  EXPECT_USER_ERROR(run_with_inputs(tensors, dir), "missing input 'edge_index'");
}

TEST(CliErrors, UnknownExtraInput) {
  TempDir dir;
  io::NamedTensors tensors = inputs();
  tensors.emplace_back("edge_attr_typo", Tensor(DType::Float32, {3}));
  EXPECT_USER_ERROR(run_with_inputs(tensors, dir), "unknown input 'edge_attr_typo'");
}

TEST(CliErrors, Float64FeaturesAreRefusedUnlessCastIsAllowed) {
  TempDir dir;
  io::NamedTensors tensors = inputs();
  find(tensors, "x") = cast_tensor(find(tensors, "x"), DType::Float64);
  auto result = run_with_inputs(tensors, dir);
  EXPECT_USER_ERROR(result, "input 'x': expected dtype float32, got float64");
  EXPECT_NE(result.output.find("--allow-cast"), std::string::npos);
  result = run_with_inputs(tensors, dir, "--allow-cast --compare " + quoted(kCase / "g1.expected.npz"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("converted float64 to float32"), std::string::npos) << result.output;
}

TEST(CliErrors, Int32EdgeIndexIsRefusedUnlessCastIsAllowed) {
  TempDir dir;
  io::NamedTensors tensors = inputs();
  find(tensors, "edge_index") = cast_tensor(find(tensors, "edge_index"), DType::Int32);
  EXPECT_USER_ERROR(run_with_inputs(tensors, dir), "input 'edge_index': expected dtype int64, got int32");
  auto result = run_with_inputs(tensors, dir, "--allow-cast --compare " + quoted(kCase / "g1.expected.npz"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(CliErrors, WrongRank) {
  TempDir dir;
  io::NamedTensors tensors = inputs();
  Tensor& x = find(tensors, "x");
  x = x.reshaped({x.numel()});
  EXPECT_USER_ERROR(run_with_inputs(tensors, dir), "input 'x': expected rank 2");
}

TEST(CliErrors, WrongFeatureWidth) {
  TempDir dir;
  io::NamedTensors tensors = inputs();
  Tensor& x = find(tensors, "x");
  x = Tensor(DType::Float32, {x.dim(0), x.dim(1) + 1});
  EXPECT_USER_ERROR(run_with_inputs(tensors, dir), "input 'x': dimension 1 must be");
}

TEST(CliErrors, EdgeIndexOutOfRange) {
  TempDir dir;
  for (int64_t bad : {int64_t{-1}, int64_t{1} << 40}) {
    io::NamedTensors tensors = inputs();
    Tensor edge_index = find(tensors, "edge_index").clone();
    edge_index.data<int64_t>()[edge_index.numel() - 1] = bad;
    find(tensors, "edge_index") = edge_index;
    EXPECT_USER_ERROR(run_with_inputs(tensors, dir), "value " + std::to_string(bad));
  }
  io::NamedTensors tensors = inputs();
  const int64_t num_nodes = find(tensors, "x").dim(0);
  Tensor edge_index = find(tensors, "edge_index").clone();
  edge_index.data<int64_t>()[0] = num_nodes;
  find(tensors, "edge_index") = edge_index;
  EXPECT_USER_ERROR(run_with_inputs(tensors, dir), "must be in [0, " + std::to_string(num_nodes) + ")");
}

TEST(CliErrors, MissingAndCorruptNpz) {
  TempDir dir;
  auto result = run_gnnrt("run --device cpu --onnx " + quoted(kTorchscriptModel) + " --inputs " + quoted(dir / "nope.npz"));
  EXPECT_USER_ERROR(result, "nope.npz");
  const std::string bytes = read_bytes(kInputs);
  write_bytes(dir / "corrupt.npz", bytes.substr(0, bytes.size() / 2));
  result = run_gnnrt("run --device cpu --onnx " + quoted(kTorchscriptModel) + " --inputs " + quoted(dir / "corrupt.npz"));
  EXPECT_USER_ERROR(result, "corrupt.npz");
}

TEST(CliErrors, NoHalfWrittenOutputOnFailure) {
  TempDir dir;
  io::NamedTensors tensors = inputs();
  Tensor edge_index = find(tensors, "edge_index").clone();
  edge_index.data<int64_t>()[0] = -5;
  find(tensors, "edge_index") = edge_index;
  auto result = run_with_inputs(tensors, dir, "--output " + quoted(dir / "out.npz"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_FALSE(fs::exists(dir / "out.npz"));
}

TEST(CliErrors, CompareMismatchExitsThree) {
  TempDir dir;
  io::NamedTensors expected = io::read_npz((kCase / "g1.expected.npz").string());
  Tensor out = expected.front().second.clone();
  out.data<float>()[0] += 1.0f;
  expected.front().second = out;
  io::write_npz((dir / "ref.npz").string(), expected);
  auto result = run_gnnrt("run --device cpu --onnx " + quoted(kTorchscriptModel) + " --inputs " + quoted(kInputs) +
                          " --compare " + quoted(dir / "ref.npz"));
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find("MISMATCH"), std::string::npos) << result.output;
}

TEST(CliErrors, UsageErrorsExitTwo) {
  EXPECT_EQ(run_gnnrt("").exit_code, 2);
  EXPECT_EQ(run_gnnrt("run").exit_code, 2);
  EXPECT_EQ(run_gnnrt("frobnicate").exit_code, 2);
  EXPECT_EQ(run_gnnrt("run --help").exit_code, 0);
  auto result = run_gnnrt("run --device cpu --onnx " + quoted(kTorchscriptModel) + " --input x");
  EXPECT_USER_ERROR(result, "expected name=file.npy");
}

TEST(CliErrors, FrozenGraphCountIsRefusedWithAnExplanation) {
  const fs::path pool = testing::fixtures_dir() / "gcn_graph_mean_pool";
  auto result = run_gnnrt("run --device cpu --onnx " + quoted(pool / "torchscript" / "model.onnx") + " --inputs " +
                          quoted(pool / "frozen_mismatch.inputs.npz"));
  EXPECT_USER_ERROR(result, "frozen");
  // The dynamo export keeps the number of graphs symbolic and gets it right.
  result = run_gnnrt("run --device cpu --onnx " + quoted(pool / "dynamo" / "model.onnx") + " --inputs " +
                     quoted(pool / "frozen_mismatch.inputs.npz") + " --compare " +
                     quoted(pool / "frozen_mismatch.expected.npz"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace gnnrt
