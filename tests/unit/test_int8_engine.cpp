// INT8 engines on the CPU reference: the kernels (QuantizeInt8, SpMM on int8 rows, Linear with
// per-column int8 weights), the lowering, the engine file, and Cora's trained GCN against fp32.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "builder/int8_builder.h"
#include "cpu_kernel_test_support.h"
#include "engine/engine_reader.h"
#include "engine/engine_writer.h"
#include "gnnrt/runtime.h"
#include "io/npz.h"
#include "onnx/importer.h"
#include "runtime/inference.h"
#include "runtime/prediction_agreement.h"
#include "sparse_test_graphs.h"
#include "test_support.h"

namespace gnnrt {
namespace {

using cpu_kernel_test::float_attr;
using cpu_kernel_test::int_attr;
using cpu_kernel_test::kInf;
using cpu_kernel_test::kNaN;
using cpu_kernel_test::make;
using cpu_kernel_test::run1;
using cpu_kernel_test::string_attr;
using testing::values_of;

// Random int8 values in [-127, 127], about a tenth of them 0.
Tensor random_int8(Dims shape, uint32_t seed) {
  Tensor t(DType::Int8, std::move(shape));
  std::mt19937 rng(seed);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<int8_t>()[i] = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  return t;
}

Tensor dequantized(const Tensor& q, float scale) {
  Tensor x(DType::Float32, q.shape());
  for (int64_t i = 0; i < q.numel(); ++i) x.data<float>()[i] = scale * static_cast<float>(q.data<int8_t>()[i]);
  return x;
}

void expect_close(const Tensor& actual, const Tensor& expected, float relative) {
  ASSERT_EQ(actual.dtype(), DType::Float32);
  ASSERT_EQ(actual.shape(), expected.shape());
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const float e = expected.data<float>()[i];
    EXPECT_NEAR(actual.data<float>()[i], e, relative * std::max(1.0f, std::fabs(e))) << "element " << i;
  }
}

TEST(Int8Kernels, QuantizeRoundsHalfToEvenAndSaturates) {
  const Tensor x = make<float>({10}, {0.25f, 0.75f, 1.25f, -0.75f, 3.1f, 100.0f, -1000.0f, kNaN, kInf, -kInf});
  const Tensor q = run1("QuantizeInt8", {&x}, {{"scale", float_attr(0.5f)}});
  ASSERT_EQ(q.dtype(), DType::Int8);
  EXPECT_EQ(values_of<int8_t>(q), (std::vector<int8_t>{0, 2, 2, -2, 6, 127, -127, 0, 127, -127}));
  cpu_kernel_test::input_error([&] { run1("QuantizeInt8", {&x}, {{"scale", float_attr(0.0f)}}); },
                               {"scale must be a positive finite float"});
  cpu_kernel_test::input_error([&] { run1("QuantizeInt8", {&x}); }, {"scale", "none"});
  const Tensor ints = make<int32_t>({1}, {3});
  cpu_kernel_test::input_error([&] { run1("QuantizeInt8", {&ints}, {{"scale", float_attr(1.0f)}}); },
                               {"X must be float32"});
}

TEST(Int8Kernels, QuantizePerRowScalesEachRowByItsLargestFiniteMagnitude) {
  const Tensor x = make<float>({3, 3}, {127.0f, -254.0f, 63.5f, 0.0f, 0.0f, 0.0f, kInf, 12.7f, kNaN});
  const std::vector<Tensor> outputs = cpu_kernel_test::run_op("QuantizeInt8", {&x}, {{"per_row", int_attr(1)}}, 2);
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(values_of<int8_t>(outputs[0]), (std::vector<int8_t>{64, -127, 32, 0, 0, 0, 127, 127, 0}));
  EXPECT_EQ(values_of<float>(outputs[1]), (std::vector<float>{2.0f, 1.0f, 12.7f / 127.0f}));
  cpu_kernel_test::input_error(
      [&] {
        cpu_kernel_test::run_op("QuantizeInt8", {&x}, {{"per_row", int_attr(1)}, {"scale", float_attr(1.0f)}}, 2);
      },
      {"the attribute scale is not taken"});
  cpu_kernel_test::input_error([&] { cpu_kernel_test::run_op("QuantizeInt8", {&x}, {{"per_row", int_attr(1)}}, 1); },
                               {"two outputs"});
  const Tensor vector = make<float>({2}, {1.0f, 2.0f});
  cpu_kernel_test::input_error(
      [&] { cpu_kernel_test::run_op("QuantizeInt8", {&vector}, {{"per_row", int_attr(1)}}, 2); }, {"needs a 2-D X"});
}

// An SpMM over int8 rows with x_scale is the fp32 SpMM over the dequantised rows.
TEST(Int8Kernels, SpmmOnInt8RowsMatchesFp32OnDequantisedRows) {
  const float scale = 0.037f;
  const Tensor q = random_int8({6, 5}, 17);
  const Tensor row_ptr = make<int32_t>({5}, {0, 3, 3, 5, 9});
  const Tensor col = make<int32_t>({9}, {0, 5, -1, 2, 2, 1, 3, 4, 0});
  const Tensor values = make<float>({9}, {0.5f, -1.0f, 2.0f, 0.25f, 1.5f, -0.75f, 1.0f, 0.1f, 3.0f});
  const Tensor row_scale = make<float>({4}, {0.5f, 7.0f, 2.0f, -1.0f});
  const Tensor col_scale = make<float>({6}, {1.0f, 0.5f, 2.0f, -1.0f, 0.25f, 4.0f});
  const Tensor bias = make<float>({5}, {0.1f, -0.2f, 0.3f, -0.4f, 0.5f});
  const Tensor x = dequantized(q, scale);
  for (const char* activation : {"none", "relu"}) {
    const Tensor expected = run1("SpMM", {&x, &row_ptr, &col, &values, &row_scale, &col_scale, &bias},
                                 {{"activation", string_attr(activation)}});
    const Tensor actual = run1("SpMM", {&q, &row_ptr, &col, &values, &row_scale, &col_scale, &bias},
                               {{"activation", string_attr(activation)}, {"x_scale", float_attr(scale)}});
    expect_close(actual, expected, 1e-5f);
  }
  // Per row: each source row by its own scale.
  const Tensor x_row_scale = make<float>({6}, {0.5f, 0.01f, 2.0f, 0.3f, 1.0f, 0.07f});
  Tensor x_rows(DType::Float32, {6, 5});
  for (int64_t i = 0; i < 30; ++i)
    x_rows.data<float>()[i] = x_row_scale.data<float>()[i / 5] * static_cast<float>(q.data<int8_t>()[i]);
  const Tensor expected_rows = run1("SpMM", {&x_rows, &row_ptr, &col, &values, &row_scale, &col_scale, &bias});
  expect_close(run1("SpMM", {&q, &row_ptr, &col, &values, &row_scale, &col_scale, &bias, &x_row_scale}), expected_rows,
               1e-5f);

  cpu_kernel_test::input_error([&] { run1("SpMM", {&q, &row_ptr, &col}); }, {"int8 X needs exactly one of", "neither"});
  cpu_kernel_test::input_error(
      [&] {
        run1("SpMM", {&q, &row_ptr, &col, nullptr, nullptr, nullptr, nullptr, &x_row_scale},
             {{"x_scale", float_attr(scale)}});
      },
      {"int8 X needs exactly one of", "both"});
  cpu_kernel_test::input_error([&] { run1("SpMM", {&x, &row_ptr, &col}, {{"x_scale", float_attr(scale)}}); },
                               {"x_scale is for an int8 X only"});
  cpu_kernel_test::input_error(
      [&] { run1("SpMM", {&x, &row_ptr, &col, nullptr, nullptr, nullptr, nullptr, &x_row_scale}); },
      {"x_row_scale is for an int8 X only"});
  const Tensor short_row_scale = make<float>({5}, {1, 1, 1, 1, 1});
  cpu_kernel_test::input_error(
      [&] { run1("SpMM", {&q, &row_ptr, &col, nullptr, nullptr, nullptr, nullptr, &short_row_scale}); },
      {"x_row_scale", "at least 6"});
}

TEST(Int8Kernels, LinearWithPerColumnInt8WeightsMatchesFp32) {
  const Tensor x = ir::test_graphs::random_floats({7, 4}, 3);
  const Tensor q = random_int8({4, 3}, 5);
  const Tensor scales = make<float>({3}, {0.01f, 0.2f, 3.0f});
  Tensor w(DType::Float32, {4, 3});
  for (int64_t k = 0; k < 4; ++k)
    for (int64_t n = 0; n < 3; ++n)
      w.data<float>()[k * 3 + n] = scales.data<float>()[n] * static_cast<float>(q.data<int8_t>()[k * 3 + n]);
  const Tensor bias = make<float>({3}, {0.5f, -0.5f, 1.0f});
  const Tensor expected = run1("Linear", {&x, &w, &bias}, {{"activation", string_attr("relu")}});
  const Tensor actual = run1("Linear", {&x, &q, &bias, &scales}, {{"activation", string_attr("relu")}});
  expect_close(actual, expected, 1e-6f);
  const Tensor no_bias = run1("Linear", {&x, &q, nullptr, &scales});
  EXPECT_EQ(no_bias.shape(), (Dims{7, 3}));
  cpu_kernel_test::input_error([&] { run1("Linear", {&x, &q, &bias}); }, {"needs weight_scale", "none"});
  const Tensor short_scales = make<float>({2}, {1.0f, 1.0f});
  cpu_kernel_test::input_error([&] { run1("Linear", {&x, &q, &bias, &short_scales}); }, {"needs weight_scale"});
  cpu_kernel_test::input_error([&] { run1("Linear", {&x, &w, &bias, &scales}); }, {"weight_scale is for an int8 W"});
}

// ---------------------------------------------------------------- Cora's trained GCN

const std::filesystem::path kCora = testing::fixtures_dir() / "gcn_cora";

runtime::TensorMap read_map(const std::filesystem::path& path) {
  runtime::TensorMap map;
  for (auto& [name, tensor] : io::read_npz(path.string())) map[name] = tensor;
  return map;
}

std::function<ir::Model()> cora_import() {
  return [] { return onnx_import::import_onnx_file((kCora / "torchscript" / "model.onnx").string()); };
}

builder::Int8Calibration cora_calibration(quantization::Calibrator method) {
  builder::Int8Calibration calibration;
  calibration.graphs = {read_map(kCora / "g0.inputs.npz")};
  calibration.graphs_source = "g0.inputs.npz";
  calibration.calibrator.method = method;
  return calibration;
}

double test_accuracy(const Tensor& logits, const runtime::TensorMap& labels) {
  return runtime::classification_accuracy(logits, labels.at("y"), &labels.at("test_mask")).percent();
}

bool has_op(const ir::Graph& graph, const std::string& op_type) {
  for (const ir::Node& node : graph.nodes)
    if (node.op_type == op_type) return true;
  return false;
}

class Int8Cora : public testing::TempFolderTest {};

// The stated bound (docs/INT8.md): on Cora's real graph, for each calibrator, >= 99 % of the
// argmaxes agree with fp32's and test accuracy is within 1 point of fp32's; the logits stay within
// 0.25 of fp32's with minmax (no clipping) and within 2 with the clipping calibrators (a few
// nodes whose features lie beyond the clipping threshold carry the largest errors).
TEST_F(Int8Cora, Int8MatchesFp32WithinTheStatedBound) {
  const runtime::TensorMap inputs = read_map(kCora / "g0.inputs.npz");
  const runtime::TensorMap labels = read_map(kCora / "labels.npz");
  for (quantization::Calibrator method :
       {quantization::Calibrator::Entropy, quantization::Calibrator::MinMax, quantization::Calibrator::Percentile}) {
    SCOPED_TRACE(quantization::calibrator_name(method));
    const builder::Int8BuildResult built = builder::build_int8_engine(cora_import(), {}, cora_calibration(method));
    ASSERT_TRUE(built.fp32_engine.has_value());
    EXPECT_TRUE(has_op(built.engine.model.graph, "QuantizeInt8"));
    EXPECT_FALSE(has_op(built.fp32_engine->model.graph, "QuantizeInt8"));
    EXPECT_TRUE(builder::holds_int8(built.engine.model.graph));
    EXPECT_EQ(built.table.scales.size(), 2u);  // the features entering each of the 2 GCN layers
    const Tensor fp32 = runtime::run_engine(*built.fp32_engine, inputs).outputs.at("out");
    const Tensor int8 = runtime::run_engine(built.engine, inputs).outputs.at("out");
    const runtime::PredictionAgreement agreement = runtime::compare_predictions(int8, fp32, "out");
    std::cout << "[ int8 ] Cora, " << quantization::calibrator_name(method) << ": " << agreement.describe()
              << "; test accuracy fp32 " << test_accuracy(fp32, labels) << " %, int8 " << test_accuracy(int8, labels)
              << " %\n";
    EXPECT_GT(agreement.max_abs_error, 0.0);  // it did quantise something
    EXPECT_LT(agreement.max_abs_error, method == quantization::Calibrator::MinMax ? 0.25 : 2.0);
    EXPECT_GE(agreement.argmax_agreement_percent(), 99.0);
    EXPECT_NEAR(test_accuracy(int8, labels), test_accuracy(fp32, labels), 1.0);
    EXPECT_GT(test_accuracy(fp32, labels), 75.0);  // the trained model, not noise
  }
}

// Per-row scales (--int8-scales row): the bound is tighter than per tensor (docs/INT8.md).
TEST_F(Int8Cora, PerRowScalesMatchFp32MoreClosely) {
  const runtime::TensorMap inputs = read_map(kCora / "g0.inputs.npz");
  const runtime::TensorMap labels = read_map(kCora / "labels.npz");
  builder::BuildOptions options;
  options.int8_per_row = true;
  const builder::Int8BuildResult built = builder::build_int8_engine(cora_import(), options, cora_calibration({}));
  size_t per_row = 0;
  for (const ir::Node& node : built.engine.model.graph.nodes)
    per_row += node.op_type == "QuantizeInt8" && node.attr_int("per_row", 0) == 1;
  EXPECT_EQ(per_row, 2u);
  EXPECT_EQ(builder::int8_layers(built.engine.model.graph).size(), 4u);
  engine::write_engine_file(path("rows.engine"), built.engine);
  const engine::EngineContents loaded = engine::read_engine_file(path("rows.engine"));
  const Tensor fp32 = runtime::run_engine(*built.fp32_engine, inputs).outputs.at("out");
  const Tensor int8 = runtime::run_engine(loaded, inputs).outputs.at("out");
  const runtime::PredictionAgreement agreement = runtime::compare_predictions(int8, fp32, "out");
  std::cout << "[ int8 ] Cora, per-row scales: " << agreement.describe() << "; test accuracy fp32 "
            << test_accuracy(fp32, labels) << " %, int8 " << test_accuracy(int8, labels) << " %\n";
  EXPECT_GT(agreement.max_abs_error, 0.0);
  EXPECT_LT(agreement.max_abs_error, 0.15);
  EXPECT_GE(agreement.argmax_agreement_percent(), 99.8);
  EXPECT_NEAR(test_accuracy(int8, labels), test_accuracy(fp32, labels), 1.0);
}

TEST_F(Int8Cora, EngineFileRoundTripsAndCacheReproducesTheBuild) {
  const runtime::TensorMap inputs = read_map(kCora / "g1.inputs.npz");
  builder::Int8Calibration calibration = cora_calibration(quantization::Calibrator::Entropy);
  calibration.cache_path = path("cora.cache");
  calibration.layer_tolerance = -1;  // every layer int8, as a build from the cache alone makes it
  const builder::Int8BuildResult calibrated = builder::build_int8_engine(cora_import(), {}, calibration);
  EXPECT_FALSE(calibrated.from_cache);
  ASSERT_TRUE(std::filesystem::exists(path("cora.cache")));
  engine::write_engine_file(path("cora.engine"), calibrated.engine);
  const engine::EngineContents loaded = engine::read_engine_file(path("cora.engine"));
  const Tensor in_memory = runtime::run_engine(calibrated.engine, inputs).outputs.at("out");
  testing::expect_same_tensor(runtime::run_engine(loaded, inputs).outputs.at("out"), in_memory);

  // A build from the cache alone (no graphs) gives the same engine, byte for byte.
  builder::Int8Calibration from_cache;
  from_cache.cache_path = path("cora.cache");
  const builder::Int8BuildResult cached = builder::build_int8_engine(cora_import(), {}, from_cache);
  EXPECT_TRUE(cached.from_cache);
  EXPECT_FALSE(cached.fp32_engine.has_value());
  EXPECT_EQ(engine::serialize_engine(cached.engine), engine::serialize_engine(calibrated.engine));

  // A CPU INT8 engine is a CPU engine: CUDA takes the INT8 engines built for it (test_cuda_int8.cpp).
  testing::expect_error(ErrorCode::InvalidInput,
                        [&] { builder::check_engine_runs_here(loaded, "cuda", path("cora.engine")); },
                        {"cora.engine", "built for cpu, not for cuda"});
}

TEST_F(Int8Cora, RefusesToBuildWithoutCalibrationOrWithAForeignCache) {
  testing::expect_error(ErrorCode::InvalidInput,
                        [&] { builder::build_int8_engine(cora_import(), {}, builder::Int8Calibration{}); },
                        {"--int8 needs calibration", "--calib-data", "--calib-cache"});
  builder::Int8Calibration missing;
  missing.cache_path = path("none.cache");
  testing::expect_error(ErrorCode::InvalidInput, [&] { builder::build_int8_engine(cora_import(), {}, missing); },
                        {"none.cache", "does not exist"});
  testing::write_file(path("foreign.cache"), "gnnrt-int8-calibration 1 minmax\nsome/other/tensor: 0.5\n");
  builder::Int8Calibration foreign;
  foreign.cache_path = path("foreign.cache");
  testing::expect_error(ErrorCode::InvalidInput, [&] { builder::build_int8_engine(cora_import(), {}, foreign); },
                        {"foreign.cache", "has no INT8 scale for", "calibrate again"});
  BuildConfig config;
  config.precision = "int8";
  testing::expect_error(ErrorCode::InvalidInput,
                        [&] { Engine::build_from_onnx((kCora / "torchscript" / "model.onnx").string(), config); },
                        {"int8 needs calibration", "calibration_graphs", "calibration_cache"});
  config.precision = "fp16";
  config.calibration_cache = path("cora.cache");
  testing::expect_error(ErrorCode::InvalidInput,
                        [&] { Engine::build_from_onnx((kCora / "torchscript" / "model.onnx").string(), config); },
                        {"apply to precision int8, not fp16"});
}

// The C++ API builds INT8 engines as gnnrt build --int8 does: calibration graphs in memory, the
// cache written and then enough alone, --layer-precision's form, the tolerance's fp16 layers.
TEST_F(Int8Cora, BuildConfigBuildsInt8Engines) {
  const std::string model = (kCora / "torchscript" / "model.onnx").string();
  const runtime::TensorMap g0 = read_map(kCora / "g0.inputs.npz");
  BuildConfig config;
  config.precision = "int8";
  config.calibration_graphs = {g0};
  config.calibration_cache = path("api.cache");
  config.int8_layer_tolerance = 0.02;  // entropy: the second aggregation stays fp16
  const std::shared_ptr<Engine> engine = Engine::build_from_onnx(model, config);
  ASSERT_TRUE(std::filesystem::exists(path("api.cache")));
  EXPECT_TRUE(builder::holds_int8(engine->contents().model.graph));
  const Tensor int8 = engine->create_context()->run(g0).at("out");
  const Tensor fp32 = Engine::build_from_onnx(model)->create_context()->run(g0).at("out");
  const runtime::PredictionAgreement agreement = runtime::compare_predictions(int8, fp32, "out");
  EXPECT_GT(agreement.max_abs_error, 0.0);
  EXPECT_LT(agreement.max_abs_error, 0.25);  // as Int8Cora.LayersPastTheToleranceStayFp16
  EXPECT_GE(agreement.argmax_agreement_percent(), 99.0);

  // From the cache alone, with the layers the measurement kept out of int8 named by hand: the same engine.
  BuildConfig cached;
  cached.precision = "int8";
  cached.calibration_cache = path("api.cache");
  for (const auto& [layer, precision] : builder::layer_precisions(engine->contents().model.graph))
    if (precision != "int8") cached.layer_precisions.push_back(layer + ":" + precision);
  EXPECT_EQ(cached.layer_precisions.size(), 1u);
  EXPECT_EQ(engine::serialize_engine(Engine::build_from_onnx(model, cached)->contents()),
            engine::serialize_engine(engine->contents()));
  cached.layer_precisions = {"x:bf16"};
  testing::expect_error(ErrorCode::InvalidInput, [&] { Engine::build_from_onnx(model, cached); },
                        {"x:bf16", "expected fp32 or fp16"});
  cached.layer_precisions = {};
  cached.calibrator = "kl";
  cached.calibration_cache = "";
  cached.calibration_graphs = {g0};
  testing::expect_error(ErrorCode::InvalidInput, [&] { Engine::build_from_onnx(model, cached); }, {"kl"});
}

std::map<std::string, std::string> precisions_of(const engine::EngineContents& engine) {
  std::map<std::string, std::string> precisions;
  for (const auto& [layer, precision] : builder::layer_precisions(engine.model.graph)) precisions[layer] = precision;
  return precisions;
}

runtime::PredictionAgreement against_fp32(const builder::Int8BuildResult& built, const engine::EngineContents& engine,
                                          const runtime::TensorMap& inputs) {
  return runtime::compare_predictions(runtime::run_engine(engine, inputs).outputs.at("out"),
                                      runtime::run_engine(*built.fp32_engine, inputs).outputs.at("out"), "out");
}

// Each layer measured alone: with the entropy calibrator the second aggregation's input is clipped
// from 37.4 to 13.9 and alone moves the logits by ~4 % of their range; a 2 % tolerance keeps that
// layer in fp16 (alone in fp16 it moves them by far less), and the engine's error drops with it.
TEST_F(Int8Cora, LayersPastTheToleranceStayFp16) {
  builder::Int8Calibration calibration = cora_calibration(quantization::Calibrator::Entropy);
  calibration.layer_tolerance = 0.02;
  const builder::Int8BuildResult built = builder::build_int8_engine(cora_import(), {}, calibration);
  ASSERT_EQ(built.layers.size(), 4u);  // 2 Linear weights, 2 SpMM inputs
  std::set<std::string> kept;
  for (const builder::Int8LayerError& layer : built.layers) {
    EXPECT_GT(layer.max_abs_error, 0.0) << layer.layer;
    EXPECT_EQ(layer.precision, layer.relative_error > 0.02 ? "fp16" : "int8") << layer.layer;
    EXPECT_EQ(layer.fp16_relative_error.has_value(), layer.precision != "int8") << layer.layer;
    if (layer.precision == "int8") continue;
    kept.insert(layer.layer);
    EXPECT_GT(*layer.fp16_relative_error, 0.0) << layer.layer;  // it did round to 16 bits
    EXPECT_LT(*layer.fp16_relative_error, 0.002) << layer.layer;
  }
  ASSERT_EQ(kept.size(), 1u);
  const std::vector<std::string> int8 = builder::int8_layers(built.engine.model.graph);
  EXPECT_EQ(int8.size(), 3u);
  EXPECT_EQ(std::count(int8.begin(), int8.end(), *kept.begin()), 0);
  EXPECT_EQ(precisions_of(built.engine).at(*kept.begin()), "fp16");
  EXPECT_TRUE(has_op(built.engine.model.graph, "Cast"));  // into and out of the fp16 layer
  const runtime::TensorMap inputs = read_map(kCora / "g0.inputs.npz");
  const runtime::PredictionAgreement agreement = against_fp32(built, built.engine, inputs);
  EXPECT_LT(agreement.max_abs_error, 0.25);  // 1.31 with every layer in int8
  EXPECT_GE(agreement.argmax_agreement_percent(), 99.5);

  // The engine file keeps the mixed engine: the same outputs after a round trip.
  engine::write_engine_file(path("mixed.engine"), built.engine);
  const engine::EngineContents loaded = engine::read_engine_file(path("mixed.engine"));
  EXPECT_EQ(precisions_of(loaded), precisions_of(built.engine));
  testing::expect_same_tensor(runtime::run_engine(loaded, inputs).outputs.at("out"),
                              runtime::run_engine(built.engine, inputs).outputs.at("out"));
}

// The second test of a layer: the share of top predictions it flips alone. On Cora every layer is
// within the 5 % output tolerance; the second aggregation alone flips ~0.4 % of the predictions, the
// others under 0.1 %: at most 0.2 % keeps it (and only it) in fp16; with the test off, none.
TEST_F(Int8Cora, LayersFlippingTooManyPredictionsStayFp16) {
  builder::Int8Calibration calibration = cora_calibration(quantization::Calibrator::Entropy);
  calibration.layer_max_flips_percent = 0.2;
  const builder::Int8BuildResult built = builder::build_int8_engine(cora_import(), {}, calibration);
  ASSERT_EQ(built.layers.size(), 4u);
  size_t kept = 0;
  for (const builder::Int8LayerError& layer : built.layers) {
    EXPECT_LE(layer.relative_error, calibration.layer_tolerance) << layer.layer;
    const bool flips_too_many = 100.0 - layer.argmax_agreement_percent > 0.2;
    EXPECT_EQ(layer.precision, flips_too_many ? "fp16" : "int8") << layer.layer;
    if (!flips_too_many) continue;
    ++kept;
    ASSERT_TRUE(layer.fp16_argmax_agreement_percent.has_value()) << layer.layer;
    EXPECT_GE(*layer.fp16_argmax_agreement_percent, 99.8) << layer.layer;
  }
  EXPECT_EQ(kept, 1u);
  calibration.layer_max_flips_percent = -1;
  for (const builder::Int8LayerError& layer : builder::build_int8_engine(cora_import(), {}, calibration).layers)
    EXPECT_EQ(layer.precision, "int8") << layer.layer;
}

// A layer whose fp16 error is past the tolerance too stays fp32: with a tolerance below fp16's
// rounding every layer does, and the engine computes what the fp32 one does.
TEST_F(Int8Cora, LayersPastTheToleranceInFp16TooStayFp32) {
  builder::Int8Calibration calibration = cora_calibration(quantization::Calibrator::Entropy);
  calibration.layer_tolerance = 1e-7;
  const builder::Int8BuildResult built = builder::build_int8_engine(cora_import(), {}, calibration);
  ASSERT_EQ(built.layers.size(), 4u);
  for (const builder::Int8LayerError& layer : built.layers) {
    EXPECT_EQ(layer.precision, "fp32") << layer.layer;
    ASSERT_TRUE(layer.fp16_relative_error.has_value()) << layer.layer;
    EXPECT_GT(*layer.fp16_relative_error, 1e-7) << layer.layer;
  }
  for (const auto& [layer, precision] : precisions_of(built.engine)) EXPECT_EQ(precision, "fp32") << layer;
  EXPECT_FALSE(builder::holds_int8(built.engine.model.graph));
  EXPECT_LT(against_fp32(built, built.engine, read_map(kCora / "g0.inputs.npz")).max_abs_error, 1e-4);
}

// --layer-precision NAME:fp16 by hand, for an aggregation and for the Linear that reads the graph
// input x (which a whole-engine --fp16 leaves in fp32, but which was asked for by name).
TEST_F(Int8Cora, LayerPrecisionKeepsNamedLayersInFp16) {
  const auto minmax = [] { return cora_calibration(quantization::Calibrator::MinMax); };
  const builder::Int8BuildResult all = builder::build_int8_engine(cora_import(), {}, minmax());
  std::string first_spmm, first_linear;
  for (const ir::Node& node : all.engine.model.graph.nodes) {
    if (node.op_type == "SpMM" && first_spmm.empty()) first_spmm = node.name;
    if (node.op_type == "Linear" && first_linear.empty()) first_linear = node.name;
  }
  ASSERT_FALSE(first_spmm.empty());
  ASSERT_FALSE(first_linear.empty());
  builder::BuildOptions options;
  options.int8_fp16_layers = {first_spmm, first_linear};
  const builder::Int8BuildResult mixed = builder::build_int8_engine(cora_import(), options, minmax());
  EXPECT_EQ(mixed.table.scales.size(), all.table.scales.size() - 1);  // the fp16 SpMM's input is not calibrated
  const std::map<std::string, std::string> precisions = precisions_of(mixed.engine);
  ASSERT_EQ(precisions.size(), 4u);
  for (const auto& [layer, precision] : precisions)
    EXPECT_EQ(precision, layer == first_spmm || layer == first_linear ? "fp16" : "int8") << layer;
  const runtime::TensorMap inputs = read_map(kCora / "g0.inputs.npz");
  // Within the bound minmax engines hold (docs/INT8.md), and not equal to fp32.
  const runtime::PredictionAgreement agreement = against_fp32(mixed, mixed.engine, inputs);
  EXPECT_GT(agreement.max_abs_error, 0.0);
  EXPECT_LT(agreement.max_abs_error, 0.25);
  EXPECT_GE(agreement.argmax_agreement_percent(), 99.0);
  engine::write_engine_file(path("fp16.engine"), mixed.engine);
  testing::expect_same_tensor(
      runtime::run_engine(engine::read_engine_file(path("fp16.engine")), inputs).outputs.at("out"),
      runtime::run_engine(mixed.engine, inputs).outputs.at("out"));
  options.int8_fp16_layers = {"no_such_layer"};
  testing::expect_error(ErrorCode::InvalidInput,
                        [&] { builder::build_int8_engine(cora_import(), options, minmax()); },
                        {"--layer-precision no_such_layer", "no SpMM or Linear node of that name", first_spmm});
}

TEST_F(Int8Cora, LayerPrecisionKeepsNamedLayersInFp32) {
  const builder::Int8BuildResult all = builder::build_int8_engine(cora_import(), {}, cora_calibration({}));
  std::string first_spmm;
  for (const ir::Node& node : all.engine.model.graph.nodes)
    if (node.op_type == "SpMM" && first_spmm.empty()) first_spmm = node.name;
  ASSERT_FALSE(first_spmm.empty());
  builder::BuildOptions options;
  options.int8_float_layers = {first_spmm};
  const builder::Int8BuildResult mixed = builder::build_int8_engine(cora_import(), options, cora_calibration({}));
  EXPECT_EQ(mixed.table.scales.size(), all.table.scales.size() - 1);
  for (const ir::Node& node : mixed.engine.model.graph.nodes) {
    if (node.op_type != "SpMM") continue;
    EXPECT_EQ(node.attributes.count("x_scale"), node.name == first_spmm ? 0u : 1u) << node.name;
  }
  options.int8_float_layers = {"no_such_layer"};
  testing::expect_error(ErrorCode::InvalidInput,
                        [&] { builder::build_int8_engine(cora_import(), options, cora_calibration({})); },
                        {"--layer-precision no_such_layer", "no SpMM or Linear node of that name", first_spmm});
}

}  // namespace
}  // namespace gnnrt

namespace gnnrt {
namespace {

// CiteSeer's trained 3-layer GCN on its real graph (the fixture's g0 and labels.npz): for each
// calibrator, and per row, INT8 test accuracy within 1 point of fp32 (issue 8's target). With the
// entropy calibrator both the second and third aggregations stay fp16 (17 % and 38 % of the largest
// logit alone in int8), with an int8 Linear between them: the casts out of and back into fp16.
TEST(Int8CiteSeer, TestAccuracyWithinOnePointOfFp32) {
  const std::filesystem::path dir = testing::fixtures_dir() / "gcn3_citeseer";
  const auto import = [dir] { return onnx_import::import_onnx_file((dir / "torchscript" / "model.onnx").string()); };
  const runtime::TensorMap inputs = read_map(dir / "g0.inputs.npz");
  const runtime::TensorMap labels = read_map(dir / "labels.npz");
  for (const bool per_row : {false, true})
    for (quantization::Calibrator method :
         {quantization::Calibrator::Entropy, quantization::Calibrator::MinMax, quantization::Calibrator::Percentile}) {
      if (per_row && method != quantization::Calibrator::Entropy) continue;  // per row, the calibrator is unused
      SCOPED_TRACE(cat(quantization::calibrator_name(method), per_row ? ", per row" : ""));
      builder::Int8Calibration calibration;
      calibration.graphs = {inputs};
      calibration.graphs_source = "g0.inputs.npz";
      calibration.calibrator.method = method;
      builder::BuildOptions options;
      options.int8_per_row = per_row;
      const builder::Int8BuildResult built = builder::build_int8_engine(import, options, calibration);
      if (method == quantization::Calibrator::Entropy && !per_row) {
        size_t fp16 = 0;
        for (const auto& [layer, precision] : builder::layer_precisions(built.engine.model.graph))
          fp16 += precision == "fp16";
        EXPECT_EQ(fp16, 2u);
      }
      const Tensor fp32 = runtime::run_engine(*built.fp32_engine, inputs).outputs.at("out");
      const Tensor int8 = runtime::run_engine(built.engine, inputs).outputs.at("out");
      const runtime::PredictionAgreement agreement = runtime::compare_predictions(int8, fp32, "out");
      std::cout << "[ int8 ] CiteSeer, " << quantization::calibrator_name(method) << (per_row ? " per row" : "")
                << ": " << agreement.describe() << "; test accuracy fp32 " << test_accuracy(fp32, labels)
                << " %, int8 " << test_accuracy(int8, labels) << " %\n";
      EXPECT_GT(agreement.max_abs_error, 0.0);
      EXPECT_GE(agreement.argmax_agreement_percent(), 99.0);
      EXPECT_NEAR(test_accuracy(int8, labels), test_accuracy(fp32, labels), 1.0);
      EXPECT_GT(test_accuracy(fp32, labels), 60.0);  // the trained model, not noise
    }
}

}  // namespace
}  // namespace gnnrt
