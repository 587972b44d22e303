// linear_fusion (MatMul/Gemm + bias Add + Relu -> gnnrt.Linear) and precision_lowering (--fp16 /
// --bf16 engines), on the real PyG fixtures and on must-not-fire cases, CPU only: node counts,
// dtypes of the lowered values, and outputs against the unoptimised / fp32 graph.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <set>
#include <sstream>

#include "builder/engine_builder.h"
#include "io/npz.h"
#include "onnx/importer.h"
#include "passes/dead_code_elimination.h"
#include "passes/feature_width_padding.h"
#include "passes/pass_manager.h"
#include "passes/precision_lowering.h"
#include "runtime/inference.h"
#include "test_support.h"

namespace gnnrt {
namespace {

runtime::TensorMap fixture_inputs(const std::string& case_name, const std::string& graph) {
  runtime::TensorMap inputs;
  for (auto& [name, tensor] : io::read_npz((testing::fixtures_dir() / case_name / (graph + ".inputs.npz")).string()))
    inputs[name] = tensor;
  return inputs;
}

engine::EngineContents build(const std::string& case_name, const std::string& exporter, const std::string& precision,
                             std::vector<std::string> disabled = {}) {
  builder::BuildOptions options;
  options.precision = precision;
  options.disabled_passes = std::move(disabled);
  const auto path = testing::fixtures_dir() / case_name / exporter / "model.onnx";
  return builder::build_engine(onnx_import::import_onnx_file(path.string()), options);
}

size_t count_op(const ir::Graph& graph, const std::string& op_type) {
  size_t count = 0;
  for (const ir::Node& node : graph.nodes) count += node.op_type == op_type;
  return count;
}

struct Agreement {
  double max_abs = 0;
  double argmax_agreement = 1;
};

Agreement compare_rows(const Tensor& actual, const Tensor& expected) {
  EXPECT_EQ(actual.shape(), expected.shape());
  Agreement result;
  const int64_t rows = expected.dim(0), classes = expected.dim(1);
  int64_t agree = 0;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t a = 0, e = 0;
    for (int64_t c = 0; c < classes; ++c) {
      const double x = actual.scalar_as_double(r * classes + c), y = expected.scalar_as_double(r * classes + c);
      result.max_abs = std::max(result.max_abs, std::fabs(x - y));
      if (x > actual.scalar_as_double(r * classes + a)) a = c;
      if (y > expected.scalar_as_double(r * classes + e)) e = c;
    }
    agree += a == e;
  }
  result.argmax_agreement = rows ? static_cast<double>(agree) / static_cast<double>(rows) : 1.0;
  return result;
}

TEST(LinearFusion, EveryDenseLayerOfTheFixturesBecomesALinearWithItsEpilogue) {
  for (const std::string exporter : {"torchscript", "dynamo"}) {
    SCOPED_TRACE(exporter);
    const engine::EngineContents fused = build("gcn3_citeseer", exporter, "fp32");
    const engine::EngineContents plain = build("gcn3_citeseer", exporter, "fp32", {"linear_fusion"});
    EXPECT_EQ(count_op(fused.model.graph, "MatMul") + count_op(fused.model.graph, "Gemm"), 0u);
    EXPECT_EQ(count_op(fused.model.graph, "Linear"), 3u);
    EXPECT_GT(count_op(plain.model.graph, "MatMul") + count_op(plain.model.graph, "Gemm"), 0u);
    EXPECT_EQ(count_op(plain.model.graph, "Linear"), 0u);
    const auto inputs = fixture_inputs("gcn3_citeseer", "g1");
    const Tensor with = runtime::run_engine(fused, inputs).outputs.begin()->second;
    const Tensor without = runtime::run_engine(plain, inputs).outputs.begin()->second;
    const Agreement agreement = compare_rows(with, without);
    EXPECT_LT(agreement.max_abs, 1e-4);  // fp32 products in another order
    EXPECT_EQ(agreement.argmax_agreement, 1.0);
  }
}

TEST(LinearFusion, NotFiredOnAMatMulOfTwoActivations) {
  // GAT multiplies activations by activations (attention); only products by a weight initializer
  // become Linear nodes.
  const engine::EngineContents gat = build("gat", "dynamo", "fp32");
  for (const ir::Node& node : gat.model.graph.nodes)
    if (node.op_type == "Linear") EXPECT_TRUE(gat.model.graph.initializers.count(node.inputs[1])) << node.name;
}

TEST(PrecisionLowering, Fp16EngineStoresFeaturesIn16BitsAndKeepsTheInterfaceFp32) {
  for (const std::string exporter : {"torchscript", "dynamo"}) {
    SCOPED_TRACE(exporter);
    const engine::EngineContents fp32 = build("gcn_cora", exporter, "fp32");
    const engine::EngineContents fp16 = build("gcn_cora", exporter, "fp16");
    EXPECT_EQ(std::count(fp16.applied_passes.begin(), fp16.applied_passes.end(), "precision_lowering"), 1);
    EXPECT_EQ(std::count(fp32.applied_passes.begin(), fp32.applied_passes.end(), "precision_lowering"), 0);
    const ir::Graph& graph = fp16.model.graph;
    // Cora: the first Linear reads x (fp32) and stays fp32; its output is cast once, the model's
    // output cast back once.
    EXPECT_EQ(count_op(graph, "Cast") - count_op(fp32.model.graph, "Cast"), 2u);
    for (const ir::Node& node : graph.nodes) {
      if (node.op_type != "SpMM") continue;
      EXPECT_EQ(graph.type_of(node.inputs[0])->dtype, DType::Float16) << node.name;
      EXPECT_EQ(graph.type_of(node.outputs[0])->dtype, DType::Float16) << node.name;
      for (size_t i = 1; i < node.inputs.size(); ++i)  // CSR arrays, scales and bias stay as they were
        if (!node.inputs[i].empty()) EXPECT_NE(graph.type_of(node.inputs[i])->dtype, DType::Float16) << node.name;
    }
    EXPECT_EQ(graph.type_of(graph.outputs[0].name)->dtype, DType::Float32);

    for (const std::string input : {"g0", "isolated"}) {
      SCOPED_TRACE(input);
      const auto inputs = fixture_inputs("gcn_cora", input);
      const Tensor reference = runtime::run_engine(fp32, inputs).outputs.at("out");
      const Tensor lowered = runtime::run_engine(fp16, inputs).outputs.at("out");
      EXPECT_EQ(lowered.dtype(), DType::Float32);
      const Agreement agreement = compare_rows(lowered, reference);
      // fp16 keeps 11 significant bits: logits of O(1-10) move by ~1e-2 at most over two layers.
      EXPECT_LT(agreement.max_abs, 3e-2);
      EXPECT_GT(agreement.max_abs, 0.0) << "the features really went through 16 bits";
      EXPECT_GE(agreement.argmax_agreement, 0.99);
    }
  }
}

// Restricted to named layers (an INT8 engine's fp16 layers): the two SpMMs of CiteSeer's GCN 2 and 3
// in fp16, the fp32 Linear between them reads and writes float32 through casts (the casts back are
// placed last value first: a reader between two parts of the region is live only once the later
// part's cast back exists).
TEST(PrecisionLowering, NamedLayersOnlyWithAnFp32LayerBetween) {
  const auto path = testing::fixtures_dir() / "gcn3_citeseer" / "torchscript" / "model.onnx";
  const engine::EngineContents fp32 =
      builder::build_engine(onnx_import::import_onnx_file(path.string()), builder::BuildOptions{});
  std::vector<std::string> spmms;
  for (const ir::Node& node : fp32.model.graph.nodes)
    if (node.op_type == "SpMM") spmms.push_back(node.name);
  ASSERT_EQ(spmms.size(), 3u);
  ir::Model model = fp32.model;
  passes::PassManagerOptions options;
  std::vector<std::unique_ptr<passes::Pass>> pipeline;
  pipeline.push_back(std::make_unique<passes::PrecisionLowering>(DType::Float16, std::set<std::string>{spmms[1], spmms[2]}));
  passes::PassManager(std::move(pipeline), options).run(model.graph);
  const ir::Graph& graph = model.graph;
  for (const ir::Node& node : graph.nodes) {
    if (node.op_type != "SpMM" && node.op_type != "Linear") continue;
    const bool low = node.name == spmms[1] || node.name == spmms[2];
    EXPECT_EQ(graph.type_of(node.outputs[0])->dtype, low ? DType::Float16 : DType::Float32) << node.name;
    EXPECT_EQ(graph.type_of(node.inputs[0])->dtype, low ? DType::Float16 : DType::Float32) << node.name;
  }
  // In: before each fp16 SpMM; out: after each, to the Linear and to the graph output.
  EXPECT_EQ(count_op(graph, "Cast") - count_op(fp32.model.graph, "Cast"), 4u);
  engine::EngineContents lowered = fp32;
  lowered.model = model;
  const auto inputs = fixture_inputs("gcn3_citeseer", "g1");
  const Agreement agreement = compare_rows(runtime::run_engine(lowered, inputs).outputs.at("out"),
                                           runtime::run_engine(fp32, inputs).outputs.at("out"));
  EXPECT_GT(agreement.max_abs, 0.0);
  EXPECT_LT(agreement.max_abs, 3e-2);
}

TEST(PrecisionLowering, Bf16EngineRunsAndAgreesLoosely) {
  const engine::EngineContents fp32 = build("gcn_cora", "dynamo", "fp32");
  const engine::EngineContents bf16 = build("gcn_cora", "dynamo", "bf16");
  const auto inputs = fixture_inputs("gcn_cora", "g1");
  const Agreement agreement = compare_rows(runtime::run_engine(bf16, inputs).outputs.at("out"),
                                           runtime::run_engine(fp32, inputs).outputs.at("out"));
  EXPECT_LT(agreement.max_abs, 0.25);  // bf16 keeps 8 significant bits
  EXPECT_GE(agreement.argmax_agreement, 0.95);
}

TEST(PrecisionLowering, CanBeTurnedOffAndUnknownPrecisionsAreRefused) {
  const engine::EngineContents off = build("gcn_cora", "dynamo", "fp16", {"precision_lowering"});
  EXPECT_EQ(std::count(off.applied_passes.begin(), off.applied_passes.end(), "precision_lowering"), 0);
  for (const ir::Node& node : off.model.graph.nodes)
    for (const std::string& output : node.outputs)
      if (auto type = off.model.graph.type_of(output)) EXPECT_NE(type->dtype, DType::Float16) << output;
  testing::expect_error(ErrorCode::InvalidInput, [] { build("gcn_cora", "dynamo", "int4"); },
                        {"precision 'int4'", "fp32, fp16, bf16 or int8"});
}

TEST(FeatureWidthPadding, OddLayerWidthsArePaddedAndOutputsStayTheSame) {
  for (const std::string case_name : {"gcn_cora", "gcn3_citeseer"}) {  // last layers: 7 and 6 classes
    SCOPED_TRACE(case_name);
    const engine::EngineContents engine = build(case_name, "dynamo", "fp32");
    ir::Model padded = engine.model;
    std::vector<std::unique_ptr<passes::Pass>> pipeline;
    pipeline.push_back(std::make_unique<passes::FeatureWidthPadding>());
    pipeline.push_back(std::make_unique<passes::DeadCodeElimination>());
    std::ostringstream log;
    passes::PassManagerOptions options;
    options.log = &log;
    const passes::PassReport report = passes::PassManager(std::move(pipeline), options).run(padded.graph);
    ASSERT_EQ(report.applied_passes.front(), "feature_width_padding") << log.str();
    EXPECT_NE(log.str().find("now work at width 8 instead of"), std::string::npos) << log.str();
    size_t slices = 0;
    for (const ir::Node& node : padded.graph.nodes) {
      slices += node.op_type == "Slice";
      if (node.op_type != "SpMM") continue;
      const auto x = padded.graph.type_of(node.inputs[0]);
      ASSERT_TRUE(x && x->shape);
      EXPECT_EQ((*x->shape)[1].size % 8, 0) << node.name << " " << x->to_string();
    }
    EXPECT_EQ(slices, 1u);
    for (const std::string input : {"g0", "g2"}) {
      const auto inputs = fixture_inputs(case_name, input);
      const Tensor reference = runtime::run_inference(engine.model, inputs).outputs.begin()->second;
      const Tensor result = runtime::run_inference(padded, inputs).outputs.begin()->second;
      // The zero columns never mix with the real ones; only the GEMM may block its sums differently
      // at another width (fp32 rounding).
      const Agreement agreement = compare_rows(result, reference);
      EXPECT_LT(agreement.max_abs, 1e-5) << input;
      EXPECT_EQ(agreement.argmax_agreement, 1.0) << input;
    }
  }
}

TEST(FeatureWidthPadding, NotFiredOnWidthsAlreadyAlignedOrOnACpuEngine) {
  // Cora's hidden layer is 16 wide: already a multiple of 8; only the 7-wide output layer changes.
  const engine::EngineContents cpu = build("gcn_cora", "dynamo", "fp32");
  EXPECT_EQ(std::count(cpu.applied_passes.begin(), cpu.applied_passes.end(), "feature_width_padding"), 0);
  for (const ir::Node& node : cpu.model.graph.nodes) EXPECT_NE(node.op_type, "Slice") << node.name;
}

}  // namespace
}  // namespace gnnrt
