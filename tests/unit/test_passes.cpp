// The pass manager and the first passes (constant folding, shape simplification, dead-code
// elimination), in XNNPACK's fusion-test pattern: every PyG fixture runs with and without the
// passes and must give bit-identical outputs (constant folding evaluates the same CPU kernels)
// that match PyG, on every graph of the case (graphs of different sizes: nothing dynamic may have
// been frozen); plus hand-built graphs for the cases where a pass must not fire.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "builder/engine_builder.h"
#include "io/npz.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "ir_test_graphs.h"
#include "onnx/importer.h"
#include "passes/constant_folding.h"
#include "passes/dead_code_elimination.h"
#include "passes/pass_manager.h"
#include "passes/shape_simplification.h"
#include "runtime/executor.h"
#include "runtime/inference.h"
#include "runtime/output_comparison.h"
#include "test_support.h"

namespace gnnrt {
namespace {

using ir::test_graphs::Builder;
using ir::test_graphs::dim;
using ir::test_graphs::float_attr;
using ir::test_graphs::int64_tensor;
using ir::test_graphs::int_attr;
using ir::test_graphs::sym;
using ir::test_graphs::tensor_attr;
using ir::test_graphs::type;
using testing::make_tensor;
using testing::values_of;

// ---------------------------------------------------------------------------------------------
// Every fixture model, with and without the passes

struct FixtureGraph {
  std::string graph, inputs, expected;
};

struct FixtureModel {
  std::string test_name, case_name, exporter, onnx;
  std::vector<FixtureGraph> graphs;
};

// tests/fixtures/manifest.tsv grouped by model file: one test per model runs all its graphs.
std::vector<FixtureModel> fixture_models() {
  std::vector<FixtureModel> models;
  for (const testing::FixtureRow& row : testing::read_fixture_manifest()) {
    if (models.empty() || models.back().onnx != row.onnx) {
      FixtureModel model{row.case_name + "__" + row.exporter, row.case_name, row.exporter, row.onnx, {}};
      for (char& c : model.test_name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
      models.push_back(model);
    }
    models.back().graphs.push_back(FixtureGraph{row.graph, row.inputs, row.expected});
  }
  return models;
}

runtime::TensorMap to_map(const io::NamedTensors& named) {
  runtime::TensorMap map;
  for (const auto& [name, tensor] : named) map[name] = tensor;
  return map;
}

// What the builder does before its passes: shapes inferred, then the standard pipeline.
passes::PassReport optimize(ir::Graph& graph, const passes::PassManagerOptions& options = {}) {
  ir::infer_shapes(graph);
  passes::PassReport report = passes::optimize_graph(graph, options);
  ir::infer_shapes(graph);
  return report;
}

class PassesOnFixtures : public ::testing::TestWithParam<FixtureModel> {};

// The generic passes (folding, simplification, DCE) leave every arithmetic op as it was: outputs are
// bit-identical. The sparse passes sum each row in CSR order and apply the normalisation as row and
// column scales, so float32 rounding differs: a few ulps of the row's magnitude.
// Passes after which the same values are computed in another order or by another BLAS call: a
// fused Linear multiplies by weights stored pre-transposed, and OpenBLAS's AVX-512 kernels round
// the two layouts differently (equal with its SSE3 ones).
bool changes_arithmetic(const passes::PassReport& report) {
  for (const std::string& pass : report.applied_passes)
    if (pass == "spmm_lifting" || pass == "gcn_normalization_folding" || pass == "aggregation_reordering" ||
        pass == "spmm_epilogue_fusion" || pass == "linear_fusion")
      return true;
  return false;
}

TEST_P(PassesOnFixtures, OutputsAreBitIdenticalAndMatchPyGOnEveryGraph) {
  const FixtureModel& fixture = GetParam();
  const auto dir = testing::fixtures_dir();
  const ir::Model reference = onnx_import::import_onnx_file((dir / fixture.onnx).string());
  ir::Model optimized = onnx_import::import_onnx_file((dir / fixture.onnx).string());
  const passes::PassReport report = optimize(optimized.graph);
  std::cout << "[ passes   ] " << fixture.test_name << ": " << passes::describe_report(report) << "\n";

  EXPECT_EQ(report.nodes_before, passes::count_nodes(reference.graph));
  EXPECT_EQ(report.nodes_after, passes::count_nodes(optimized.graph));
  EXPECT_LE(report.nodes_after, report.nodes_before);
  // Every GCN export carries foldable shape arithmetic and no-op reshapes/casts.
  if (fixture.case_name.rfind("gcn", 0) == 0) EXPECT_LT(report.nodes_after, report.nodes_before);

  std::set<int64_t> node_counts;
  for (const FixtureGraph& graph : fixture.graphs) {
    SCOPED_TRACE("graph " + graph.graph);
    const runtime::TensorMap inputs = to_map(io::read_npz((dir / graph.inputs).string()));
    if (inputs.count("x")) node_counts.insert(inputs.at("x").dim(0));
    const runtime::InferenceResult unoptimized = runtime::run_inference(reference, inputs);
    const runtime::InferenceResult result = runtime::run_inference(optimized, inputs);
    ASSERT_EQ(result.outputs.size(), unoptimized.outputs.size());
    for (const auto& [name, tensor] : unoptimized.outputs) {
      SCOPED_TRACE("output " + name);
      ASSERT_TRUE(result.outputs.count(name));
      if (changes_arithmetic(report)) {
        const runtime::ComparisonResult comparison =
            runtime::compare_tensors(name, result.outputs.at(name), tensor, runtime::Tolerance{1e-5, 1e-4});
        EXPECT_TRUE(comparison.passed) << comparison.summary();
      } else {
        testing::expect_same_tensor(result.outputs.at(name), tensor);
      }
    }
    const io::NamedTensors expected = io::read_npz((dir / graph.expected).string());
    ASSERT_FALSE(expected.empty());
    for (const auto& [name, pyg] : expected) {
      ASSERT_TRUE(result.outputs.count(name)) << "model has no output " << name;
      const runtime::ComparisonResult comparison =
          runtime::compare_tensors(name, result.outputs.at(name), pyg, runtime::Tolerance{1e-4, 1e-3});
      EXPECT_TRUE(comparison.passed) << comparison.summary();
    }
  }
  // Graphs of different sizes ran through one optimised IR: no size was frozen into it.
  EXPECT_GE(node_counts.size(), 2u) << "the fixture should hold graphs of different sizes";
}

INSTANTIATE_TEST_SUITE_P(PyG, PassesOnFixtures, ::testing::ValuesIn(fixture_models()),
                         [](const ::testing::TestParamInfo<FixtureModel>& info) { return info.param.test_name; });

TEST(PassesOnFixturesManifest, CoversBothExportersAndIfInlining) {
  const std::vector<FixtureModel> models = fixture_models();
  ASSERT_GE(models.size(), 10u);
  std::set<std::string> exporters;
  for (const FixtureModel& model : models) exporters.insert(model.exporter);
  EXPECT_TRUE(exporters.count("torchscript") && exporters.count("dynamo"));
}

// GCN on Cora: the counts quoted in the report; GAT's TorchScript `if x.dim() == 1` branches are
// inlined once Size(Shape(.)) is known.
TEST(PassesOnFixturesCounts, GcnCoraAndGatShrinkAsExpected) {
  const auto dir = testing::fixtures_dir();
  std::map<std::string, std::pair<size_t, size_t>> counts;
  for (const char* path : {"gcn_cora/torchscript/model.onnx", "gcn_cora/dynamo/model.onnx", "gat/torchscript/model.onnx"}) {
    ir::Model model = onnx_import::import_onnx_file((dir / path).string());
    const passes::PassReport report = optimize(model.graph);
    counts[path] = {report.nodes_before, report.nodes_after};
    std::cout << "[ passes   ] " << path << ": " << passes::describe_report(report) << "\n";
    if (std::string(path).find("gat") != std::string::npos) {
      size_t ifs = 0;
      for (const ir::Node& node : model.graph.nodes) ifs += node.op_type == "If";
      EXPECT_EQ(ifs, 0u) << "every If of the GAT export has a condition known from static shapes";
    }
  }
  EXPECT_EQ(counts["gcn_cora/torchscript/model.onnx"].first, 117u);
  EXPECT_LE(counts["gcn_cora/torchscript/model.onnx"].second, 90u);
  EXPECT_EQ(counts["gcn_cora/dynamo/model.onnx"].first, 63u);
  EXPECT_LT(counts["gcn_cora/dynamo/model.onnx"].second, 63u);
  EXPECT_LT(counts["gat/torchscript/model.onnx"].second, counts["gat/torchscript/model.onnx"].first * 2 / 3);
}

// ---------------------------------------------------------------------------------------------
// Hand-built graphs

runtime::TensorMap run_graph(const ir::Graph& graph, const runtime::TensorMap& inputs) {
  runtime::Executor executor(graph);
  return executor.run(inputs);
}

const ir::Node* find_node(const ir::Graph& graph, const std::string& name) {
  for (const ir::Node& node : graph.nodes)
    if (node.name == name) return &node;
  return nullptr;
}

passes::PassResult run_pass(passes::Pass& pass, ir::Graph& graph, std::ostream* log = nullptr) {
  passes::PassContext context;
  context.log = log;
  return pass.run(graph, context);
}

// x: float32[num_nodes, 3]; ab = Mul(a, b) of two initializers; y = Add(x, ab).
ir::Graph constant_and_input_graph() {
  ir::Graph graph;
  graph.name = "main";
  Builder(graph)
      .input("x", type(DType::Float32, {sym("num_nodes"), dim(3)}))
      .initializer("a", make_tensor<float>({3}, {1, 2, 3}))
      .initializer("b", make_tensor<float>({3}, {10, 20, 30}))
      .output("y");
  Builder(graph).node("Mul", "mul_ab", {"a", "b"}, {"ab"});
  Builder(graph).node("Add", "add_x", {"x", "ab"}, {"y"});
  ir::infer_shapes(graph);
  return graph;
}

TEST(ConstantFolding, FoldsConstantNodesButNotThoseReadingAGraphInput) {
  ir::Graph graph = constant_and_input_graph();
  passes::ConstantFolding pass;
  const passes::PassResult result = run_pass(pass, graph);
  EXPECT_EQ(result.changes, 1u);
  EXPECT_EQ(result.summary, "folded 1 node");
  ASSERT_EQ(graph.nodes.size(), 1u);
  EXPECT_EQ(graph.nodes[0].name, "add_x") << "Add reads the graph input x: it must stay";
  ASSERT_TRUE(graph.initializers.count("ab"));
  EXPECT_EQ(values_of<float>(graph.initializers.at("ab")), (std::vector<float>{10, 40, 90}));

  const auto outputs = run_graph(graph, {{"x", make_tensor<float>({2, 3}, {1, 1, 1, -1, -2, -3})}});
  EXPECT_EQ(values_of<float>(outputs.at("y")), (std::vector<float>{11, 41, 91, 9, 38, 87}));
  // A second run finds nothing left to fold.
  EXPECT_EQ(run_pass(pass, graph).changes, 0u);
}

TEST(ConstantFolding, FoldsChainsInOneRunWithTheCpuKernels) {
  ir::Graph graph;
  graph.name = "main";
  Builder(graph)
      .input("x", type(DType::Float32, {sym("num_nodes"), dim(2)}))
      .initializer("shape", int64_tensor({2}))
      .initializer("w", make_tensor<float>({2, 2}, {1, 2, 3, 4}))
      .output("y");
  // ones[2] -> w^T -> ones @ w^T = [3, 7] -> x + that.
  Builder(graph).node("ConstantOfShape", "ones", {"shape"}, {"ones"}, {{"value", tensor_attr(make_tensor<float>({1}, {1}))}});
  Builder(graph).node("Transpose", "wt", {"w"}, {"wt"}, {{"perm", ir::test_graphs::ints_attr({1, 0})}});
  Builder(graph).node("MatMul", "row", {"ones", "wt"}, {"row"});
  Builder(graph).node("Add", "add", {"x", "row"}, {"y"});
  ir::infer_shapes(graph);
  passes::ConstantFolding pass;
  EXPECT_EQ(run_pass(pass, graph).changes, 3u);
  ASSERT_EQ(graph.nodes.size(), 1u);
  EXPECT_EQ(values_of<float>(graph.initializers.at("row")), (std::vector<float>{3, 7}));
  EXPECT_EQ(values_of<float>(graph.initializers.at("wt")), (std::vector<float>{1, 3, 2, 4}));
}

TEST(ConstantFolding, NotFiredWhenTheOutputIsTooLarge) {
  ir::Graph graph;
  graph.name = "main";
  Builder(graph).initializer("shape", int64_tensor({40, 50})).output("y");
  Builder(graph).node("ConstantOfShape", "zeros", {"shape"}, {"zeros"}, {{"value", tensor_attr(make_tensor<float>({1}, {2.5f}))}});
  Builder(graph).node("Relu", "relu", {"zeros"}, {"y"});
  ir::infer_shapes(graph);
  passes::ConstantFolding pass;
  passes::PassContext context;
  context.max_folded_elements = 1999;  // the zeros hold 2000
  EXPECT_EQ(pass.run(graph, context).changes, 0u);
  EXPECT_EQ(graph.nodes.size(), 2u);
  context.max_folded_elements = 2000;
  EXPECT_EQ(pass.run(graph, context).changes, 1u) << "Relu produces the graph output: only the zeros fold";
  ASSERT_TRUE(graph.initializers.count("zeros"));
  EXPECT_EQ(graph.initializers.at("zeros").shape(), (Dims{40, 50}));
  EXPECT_EQ(graph.initializers.at("zeros").data<float>()[1999], 2.5f);
}

TEST(ConstantFolding, NotFiredWhenTheKernelFailsOnTheConstants) {
  ir::Graph graph;
  graph.name = "main";
  Builder(graph)
      .input("x", type(DType::Float32, {dim(3)}))
      .initializer("data", make_tensor<float>({3}, {1, 2, 3}))
      .initializer("index", int64_tensor({7}))
      .output("y");
  Builder(graph).node("Gather", "bad_gather", {"data", "index"}, {"g"}, {{"axis", int_attr(0)}});
  Builder(graph).node("Add", "add", {"x", "g"}, {"y"});
  ir::infer_shapes(graph);
  passes::ConstantFolding pass;
  std::ostringstream log;
  EXPECT_EQ(run_pass(pass, graph, &log).changes, 0u) << "the index error is the run's to report, with its usual message";
  EXPECT_EQ(graph.nodes.size(), 2u);
  EXPECT_NE(log.str().find("not folding node 'bad_gather' (Gather)"), std::string::npos) << log.str();
}

// y = If(cond) then Relu(x) else Neg(x); z = y * 2.
ir::Graph if_graph(const std::string& condition, bool constant_condition, bool value) {
  ir::Graph graph;
  graph.name = "main";
  Builder builder(graph);
  builder.input("x", type(DType::Float32, {sym("num_nodes"), dim(2)}))
      .initializer("two", make_tensor<float>({}, {2}))
      .output("z");
  if (constant_condition) builder.initializer(condition, make_tensor<bool>({}, {value}));
  else builder.input(condition, type(DType::Bool, {}));
  builder.if_node("if", condition, {"y"}, ir::test_graphs::branch_returning("Relu", "x", "then_y"),
                  ir::test_graphs::branch_returning("Neg", "x", "else_y"));
  builder.node("Mul", "double", {"y", "two"}, {"z"});
  ir::infer_shapes(graph);
  return graph;
}

TEST(ConstantFolding, InlinesTheBranchOfAnIfWithAConstantCondition) {
  for (bool value : {true, false}) {
    SCOPED_TRACE(value ? "then" : "else");
    ir::Graph graph = if_graph("cond", true, value);
    const ir::Graph untouched = graph;
    const passes::PassReport report = passes::optimize_graph(graph, {});
    EXPECT_EQ(report.nodes_before, 4u);  // If, Relu, Neg, Mul
    ASSERT_EQ(graph.nodes.size(), 2u) << ir::print_graph(graph);
    EXPECT_EQ(graph.nodes[0].op_type, value ? "Relu" : "Neg");
    EXPECT_EQ(graph.nodes[0].outputs[0], "y") << "the branch output takes the If's output name";
    EXPECT_FALSE(graph.initializers.count("cond")) << "dead-code elimination drops the used-up condition";
    const Tensor x = make_tensor<float>({2, 2}, {1, -2, -3, 4});
    const auto before = run_graph(untouched, {{"x", x}});
    const auto after = run_graph(graph, {{"x", x}});
    const std::vector<float> expected = value ? std::vector<float>{2, 0, 0, 8} : std::vector<float>{-2, 4, 6, -8};
    EXPECT_EQ(values_of<float>(after.at("z")), expected);
    testing::expect_same_tensor(after.at("z"), before.at("z"));
  }
}

TEST(ConstantFolding, NotFiredOnAnIfWhoseConditionIsAGraphInput) {
  ir::Graph graph = if_graph("flag", false, false);
  passes::ConstantFolding pass;
  EXPECT_EQ(run_pass(pass, graph).changes, 0u);
  ASSERT_EQ(graph.nodes.size(), 2u);
  EXPECT_EQ(graph.nodes[0].op_type, "If");
}

TEST(ConstantFolding, FoldsInsideBranchesWithoutTouchingACopyOfTheGraph) {
  // then: t = x + (c1 * c2), with c1 * c2 foldable inside the branch; else: Neg(x).
  ir::Graph graph;
  graph.name = "main";
  auto then_branch = std::make_shared<ir::Graph>();
  then_branch->name = "then";
  Builder(*then_branch).initializer("c1", make_tensor<float>({2}, {2, 3})).output("t");
  Builder(*then_branch).node("Mul", "c1_times_c2", {"c1", "c2"}, {"k"});
  Builder(*then_branch).node("Add", "add_k", {"x", "k"}, {"t"});
  Builder builder(graph);
  builder.input("x", type(DType::Float32, {sym("num_nodes"), dim(2)}))
      .input("flag", type(DType::Bool, {}))
      .initializer("c2", make_tensor<float>({2}, {10, 100}))
      .output("y");
  builder.if_node("if", "flag", {"y"}, then_branch, ir::test_graphs::branch_returning("Neg", "x", "e"));
  ir::infer_shapes(graph);
  const ir::Graph copy = graph;  // shares the branch graphs until the pass manager detaches them
  const std::string copy_before = ir::print_graph(copy);

  const passes::PassReport report = passes::optimize_graph(graph, {});
  EXPECT_EQ(report.nodes_after, 3u) << ir::print_graph(graph);  // the If, Add in one branch, Neg in the other
  EXPECT_EQ(ir::print_graph(copy), copy_before) << "a pass edited a branch shared with another graph";
  const ir::Graph& then_after = *graph.nodes[0].attributes.at("then_branch").g;
  ASSERT_EQ(then_after.nodes.size(), 1u);
  ASSERT_TRUE(then_after.initializers.count("k"));
  EXPECT_EQ(values_of<float>(then_after.initializers.at("k")), (std::vector<float>{20, 300}));

  const Tensor x = make_tensor<float>({1, 2}, {1, 2});
  EXPECT_EQ(values_of<float>(run_graph(graph, {{"x", x}, {"flag", make_tensor<bool>({}, {true})}}).at("y")),
            (std::vector<float>{21, 302}));
  EXPECT_EQ(values_of<float>(run_graph(graph, {{"x", x}, {"flag", make_tensor<bool>({}, {false})}}).at("y")),
            (std::vector<float>{-1, -2}));
}

// zeros = ConstantOfShape(Concat(Unsqueeze(Shape(x)[0]), Unsqueeze(Shape(x)[1]))); y = x + zeros;
// s = Size(Shape(x)) (the rank: static) feeds a second output.
ir::Graph shape_graph() {
  ir::Graph graph;
  graph.name = "main";
  Builder(graph)
      .input("x", type(DType::Float32, {sym("num_nodes"), dim(4)}))
      .initializer("i0", int64_tensor({0}, true))
      .initializer("i1", int64_tensor({1}, true))
      .initializer("axis0", int64_tensor({0}))
      .output("y")
      .output("rank");
  Builder b(graph);
  b.node("Shape", "shape", {"x"}, {"s"});
  b.node("Gather", "rows", {"s", "i0"}, {"n"}, {{"axis", int_attr(0)}});
  b.node("Gather", "cols", {"s", "i1"}, {"f"}, {{"axis", int_attr(0)}});
  b.node("Unsqueeze", "n1", {"n", "axis0"}, {"n1"});
  b.node("Unsqueeze", "f1", {"f", "axis0"}, {"f1"});
  b.node("Concat", "cat", {"n1", "f1"}, {"zeros_shape"}, {{"axis", int_attr(0)}});
  b.node("ConstantOfShape", "zeros", {"zeros_shape"}, {"zeros"}, {{"value", tensor_attr(make_tensor<float>({1}, {0.5f}))}});
  b.node("Add", "add", {"x", "zeros"}, {"y"});
  b.node("Size", "size", {"s"}, {"rank_value"});
  b.node("Identity", "rank", {"rank_value"}, {"rank"});
  ir::infer_shapes(graph);
  return graph;
}

TEST(ShapeSimplification, FoldsStaticDimsButNeverASymbolicOne) {
  ir::Graph graph = shape_graph();
  const ir::Graph untouched = graph;
  passes::ShapeSimplification pass;
  const passes::PassResult result = run_pass(pass, graph);
  EXPECT_EQ(result.summary, "folded 2 shape queries to constants, removed 0 no-op nodes");
  EXPECT_TRUE(find_node(graph, "shape")) << "Shape(x) has num_nodes in it: it stays dynamic";
  EXPECT_TRUE(find_node(graph, "rows")) << "Shape(x)[0] is num_nodes: it stays dynamic";
  EXPECT_FALSE(find_node(graph, "cols"));
  ASSERT_TRUE(graph.initializers.count("f"));
  EXPECT_EQ(graph.initializers.at("f").rank(), 0);
  EXPECT_EQ(graph.initializers.at("f").data<int64_t>()[0], 4);
  EXPECT_FALSE(find_node(graph, "size")) << "Size of a shape of known length";
  EXPECT_EQ(graph.initializers.at("rank_value").data<int64_t>()[0], 2);
  EXPECT_TRUE(find_node(graph, "rank")) << "the Identity producing a graph output stays";

  // The whole pipeline, then graphs of two sizes through the same IR.
  passes::optimize_graph(graph, {});
  EXPECT_TRUE(find_node(graph, "shape") && find_node(graph, "rows") && find_node(graph, "zeros"));
  for (int64_t rows : {1, 3}) {
    std::vector<float> values;
    for (int64_t i = 0; i < rows * 4; ++i) values.push_back(static_cast<float>(i));
    const runtime::TensorMap inputs{{"x", make_tensor<float>({rows, 4}, values)}};
    const auto outputs = run_graph(graph, inputs);
    const auto reference = run_graph(untouched, inputs);
    ASSERT_EQ(outputs.at("y").shape(), (Dims{rows, 4}));
    EXPECT_EQ(outputs.at("y").data<float>()[rows * 4 - 1], static_cast<float>(rows * 4 - 1) + 0.5f);
    testing::expect_same_tensor(outputs.at("y"), reference.at("y"));
    EXPECT_EQ(outputs.at("rank").data<int64_t>()[0], 2);
  }
}

TEST(ShapeSimplification, ShapeWithStartAndEndFoldsWhenItsDimsAreKnown) {
  ir::Graph graph;
  graph.name = "main";
  Builder(graph).input("e", type(DType::Int64, {dim(2), sym("num_edges")})).output("y");
  Builder(graph).node("Shape", "first", {"e"}, {"d0"}, {{"start", int_attr(0)}, {"end", int_attr(1)}});
  Builder(graph).node("Shape", "last", {"e"}, {"d1"}, {{"start", int_attr(-1)}});
  Builder(graph).node("Concat", "cat", {"d0", "d1"}, {"y"}, {{"axis", int_attr(0)}});
  ir::infer_shapes(graph);
  passes::ShapeSimplification pass;
  EXPECT_EQ(run_pass(pass, graph).changes, 1u);
  EXPECT_FALSE(find_node(graph, "first"));
  EXPECT_EQ(values_of<int64_t>(graph.initializers.at("d0")), (std::vector<int64_t>{2}));
  EXPECT_TRUE(find_node(graph, "last")) << "Shape(e)[-1:] is num_edges";
}

TEST(ShapeSimplification, RemovesNoOpsAndRewiresTheirReaders) {
  ir::Graph graph;
  graph.name = "main";
  Builder(graph)
      .input("x", type(DType::Float32, {sym("num_nodes"), dim(4)}))
      .initializer("flat", int64_tensor({-1, 4}))
      .output("out")
      .output("as_int");
  Builder b(graph);
  b.node("Identity", "identity", {"x"}, {"a"});
  b.node("Cast", "same_cast", {"a"}, {"b"}, {{"to", int_attr(1)}});  // 1: FLOAT, already float32
  b.node("Reshape", "same_reshape", {"b", "flat"}, {"c"});           // [num_nodes, 4] -> [num_nodes, 4]
  b.node("Relu", "relu", {"c"}, {"d"});
  b.node("Identity", "output_identity", {"d"}, {"out"});
  b.node("Cast", "real_cast", {"d"}, {"i"}, {{"to", int_attr(7)}});  // 7: INT64
  b.node("Neg", "negate", {"i"}, {"as_int"});
  ir::infer_shapes(graph);
  const ir::Graph untouched = graph;
  passes::ShapeSimplification pass;
  const passes::PassResult result = run_pass(pass, graph);
  EXPECT_EQ(result.changes, 3u) << ir::print_graph(graph);
  ASSERT_EQ(graph.nodes.size(), 4u);
  EXPECT_EQ(graph.nodes[0].name, "relu");
  EXPECT_EQ(graph.nodes[0].inputs[0], "x");
  EXPECT_EQ(graph.nodes[1].name, "output_identity") << "a node producing a graph output is never removed";
  EXPECT_EQ(graph.nodes[2].name, "real_cast") << "a Cast that changes the dtype is no no-op";
  for (int64_t rows : {1, 5}) {
    std::vector<float> values;
    for (int64_t i = 0; i < rows * 4; ++i) values.push_back(static_cast<float>(i % 3) - 1.0f);
    const runtime::TensorMap inputs{{"x", make_tensor<float>({rows, 4}, values)}};
    const auto outputs = run_graph(graph, inputs);
    const auto reference = run_graph(untouched, inputs);
    testing::expect_same_tensor(outputs.at("out"), reference.at("out"));
    testing::expect_same_tensor(outputs.at("as_int"), reference.at("as_int"));
    EXPECT_EQ(outputs.at("as_int").dtype(), DType::Int64);
    EXPECT_EQ(outputs.at("out").data<float>()[2], 1.0f);  // relu(2 % 3 - 1)
  }
}

TEST(ShapeSimplification, NotFiredWhenTheShapeMayChangeAtRunTime) {
  ir::Graph graph;
  graph.name = "main";
  Builder(graph)
      .input("x", type(DType::Float32, {sym("num_nodes"), dim(1)}))
      .input("target", type(DType::Int64, {dim(2)}))
      .initializer("steps", int64_tensor({-1}))
      .initializer("starts", int64_tensor({-1}))
      .initializer("ends", int64_tensor({-1000000}))
      .initializer("axes", int64_tensor({1}))
      .output("squeezed")
      .output("reshaped")
      .output("reversed");
  Builder b(graph);
  b.node("Squeeze", "squeeze_all", {"x"}, {"s"});          // num_nodes may be 1: the rank may change
  b.node("Relu", "relu_s", {"s"}, {"squeezed"});
  b.node("Reshape", "reshape_to_input", {"x", "target"}, {"r"});  // target is data: unknown
  b.node("Relu", "relu_r", {"r"}, {"reshaped"});
  b.node("Slice", "reverse", {"x", "starts", "ends", "axes", "steps"}, {"v"});  // same shape, reversed data
  b.node("Relu", "relu_v", {"v"}, {"reversed"});
  ir::infer_shapes(graph);
  passes::ShapeSimplification pass;
  EXPECT_EQ(run_pass(pass, graph).changes, 0u) << ir::print_graph(graph);
  EXPECT_EQ(graph.nodes.size(), 6u);
}

TEST(DeadCodeElimination, RemovesUnreadNodesAndInitializersButKeepsOutputsAndBranchReads) {
  ir::Graph graph;
  graph.name = "main";
  auto then_branch = std::make_shared<ir::Graph>();
  then_branch->name = "then";
  Builder(*then_branch).output("t");
  Builder(*then_branch).node("Add", "add_w", {"x", "w"}, {"t"});       // reads the outer initializer w
  Builder(*then_branch).node("Neg", "dead_in_branch", {"x"}, {"unused"});
  Builder builder(graph);
  builder.input("x", type(DType::Float32, {sym("num_nodes"), dim(2)}))
      .input("flag", type(DType::Bool, {}))
      .input("unused_input", type(DType::Float32, {dim(1)}))
      .initializer("w", make_tensor<float>({2}, {1, 2}))
      .initializer("junk", make_tensor<float>({2}, {3, 4}))
      .output("y")
      .output("direct");
  builder.node("Relu", "dead_1", {"x"}, {"d1"});
  builder.node("Neg", "dead_2", {"d1"}, {"d2"});
  builder.node("Relu", "direct", {"x"}, {"direct"});
  builder.if_node("if", "flag", {"y"}, then_branch, ir::test_graphs::branch_returning("Neg", "x", "e"));
  ir::infer_shapes(graph);
  passes::DeadCodeElimination pass;
  const passes::PassResult result = run_pass(pass, graph);
  EXPECT_EQ(result.summary, "removed 3 nodes and 1 initializer");
  EXPECT_FALSE(find_node(graph, "dead_1") || find_node(graph, "dead_2"));
  EXPECT_TRUE(find_node(graph, "direct")) << "it produces a graph output";
  EXPECT_TRUE(graph.initializers.count("w")) << "read inside a branch only";
  EXPECT_FALSE(graph.initializers.count("junk"));
  EXPECT_EQ(graph.inputs.size(), 3u) << "graph inputs are the user's: never removed";
  const ir::Graph& then_after = *find_node(graph, "if")->attributes.at("then_branch").g;
  EXPECT_EQ(then_after.nodes.size(), 1u);
  const auto outputs = run_graph(graph, {{"x", make_tensor<float>({1, 2}, {5, -6})},
                                         {"flag", make_tensor<bool>({}, {true})},
                                         {"unused_input", make_tensor<float>({1}, {0})}});
  EXPECT_EQ(values_of<float>(outputs.at("y")), (std::vector<float>{6, -4}));
}

// ---------------------------------------------------------------------------------------------
// The pass manager

TEST(PassManager, DisabledPassesLeaveTheGraphUnchanged) {
  ir::Graph graph = shape_graph();
  const std::string before = ir::print_graph(graph);
  passes::PassManagerOptions options;
  options.disabled_passes = passes::standard_pass_names();
  const passes::PassReport report = passes::optimize_graph(graph, options);
  EXPECT_EQ(ir::print_graph(graph), before);
  EXPECT_TRUE(report.applied_passes.empty());
  EXPECT_EQ(report.nodes_after, report.nodes_before);

  // Only constant folding off: Mul(a, b) of two initializers stays.
  ir::Graph partly = constant_and_input_graph();
  options.disabled_passes = {"constant_folding"};
  const passes::PassReport partial = passes::optimize_graph(partly, options);
  EXPECT_TRUE(find_node(partly, "mul_ab"));
  for (const std::string& name : partial.applied_passes) EXPECT_NE(name, "constant_folding");
}

TEST(PassManager, UnknownPassNamesAreTheUsersErrorListingTheKnownOnes) {
  ir::Graph graph = shape_graph();
  passes::PassManagerOptions options;
  options.disabled_passes = {"constant_folding", "fold_everything"};
  testing::expect_error(ErrorCode::InvalidInput, [&] { passes::optimize_graph(graph, options); },
                        {"fold_everything", "constant_folding, shape_simplification, dead_code_elimination"});
}

TEST(PassManager, VerboseLogSaysWhatEachPassDid) {
  ir::Graph graph = constant_and_input_graph();
  std::ostringstream log;
  passes::PassManagerOptions options;
  options.log = &log;
  options.disabled_passes = {"shape_simplification"};
  const passes::PassReport report = passes::optimize_graph(graph, options);
  const std::string text = log.str();
  EXPECT_NE(text.find("[pass] shape_simplification: disabled\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[pass] constant_folding: folded 1 node (2 -> 1 nodes)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[pass] dead_code_elimination: removed 0 nodes and 2 initializers (1 -> 1 nodes)\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(report.applied_passes, (std::vector<std::string>{"constant_folding", "dead_code_elimination"}));
  EXPECT_EQ(passes::describe_report(report),
            "2 -> 1 nodes in 2 rounds (applied: constant_folding, dead_code_elimination)");
  EXPECT_EQ(text.find("IR after"), std::string::npos) << "no IR dump unless asked";
}

TEST(PassManager, DumpsTheIrAfterEachPassThatChangedIt) {
  passes::PassManagerOptions options;
  std::ostringstream dump;
  options.dump_stream = &dump;
  options.dump_ir = true;
  ir::Graph graph = constant_and_input_graph();
  passes::optimize_graph(graph, options);
  EXPECT_NE(dump.str().find("[pass] IR after constant_folding (round 1):\ngraph main\n"), std::string::npos) << dump.str();
  EXPECT_NE(dump.str().find("initializer %ab : float32[3]"), std::string::npos) << dump.str();

  // The same from the environment, as GNNRT_DUMP_IR=1 gnnrt build ... does.
  std::ostringstream from_environment;
  options.dump_ir = false;
  options.dump_stream = &from_environment;
  ::setenv("GNNRT_DUMP_IR", "1", 1);
  ir::Graph again = constant_and_input_graph();
  passes::optimize_graph(again, options);
  ::unsetenv("GNNRT_DUMP_IR");
  EXPECT_NE(from_environment.str().find("[pass] IR after constant_folding"), std::string::npos);
}

// A pass that breaks the graph: removes the first node although its output is read.
class BreakingPass : public passes::Pass {
 public:
  std::string name() const override { return "breaking_pass"; }
  passes::PassResult run(ir::Graph& graph, passes::PassContext&) override {
    graph.nodes.erase(graph.nodes.begin());
    return {1, "removed a node that is still read"};
  }
};

TEST(PassManager, AGraphLeftInvalidIsAnInternalErrorNamingThePass) {
  ir::Graph graph = constant_and_input_graph();
  std::vector<std::unique_ptr<passes::Pass>> pipeline;
  pipeline.push_back(std::make_unique<BreakingPass>());
  passes::PassManager manager(std::move(pipeline), {});
  testing::expect_error(ErrorCode::Internal, [&] { manager.run(graph); }, {"breaking_pass", "'ab'"});
}

// ---------------------------------------------------------------------------------------------
// The builder and the command line

TEST(PassesInBuilder, TheEngineHoldsTheOptimisedGraphAndItsPasses) {
  const auto model_path = (testing::fixtures_dir() / "gcn_cora/torchscript/model.onnx").string();
  std::ostringstream log;
  builder::BuildOptions options;
  options.verbose_passes = true;
  const engine::EngineContents engine = builder::build_engine(onnx_import::import_onnx_file(model_path), options, &log);
  EXPECT_EQ(engine.applied_passes,
            (std::vector<std::string>{"constant_folding", "shape_simplification", "dead_code_elimination",
                                      "spmm_lifting", "gcn_normalization_folding", "spmm_epilogue_fusion",
                                      "linear_fusion"}));
  EXPECT_LT(passes::count_nodes(engine.model.graph), 117u);
  EXPECT_EQ(engine.kernel_choices.size(), engine.model.graph.nodes.size());
  EXPECT_NE(log.str().find("[pass] constant_folding: folded"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("[build] passes: 117 -> "), std::string::npos) << log.str();

  std::ostringstream quiet;
  options.verbose_passes = false;
  options.disabled_passes = passes::standard_pass_names();
  const engine::EngineContents unoptimized =
      builder::build_engine(onnx_import::import_onnx_file(model_path), options, &quiet);
  EXPECT_TRUE(unoptimized.applied_passes.empty());
  EXPECT_EQ(passes::count_nodes(unoptimized.model.graph), 117u);
  EXPECT_EQ(quiet.str().find("[pass]"), std::string::npos) << "pass details only under --verbose";
}

TEST(PassesCli, DisablePassAndVerbose) {
  using testing::quoted;
  const auto cora = testing::fixtures_dir() / "gcn_cora";
  const std::string model = quoted(cora / "torchscript" / "model.onnx");
  const std::string inputs = quoted(cora / "g0.inputs.npz");
  testing::TempDir dir;

  auto unknown = testing::run_gnnrt("build --device cpu --onnx " + model + " --save " + quoted(dir / "m.engine") +
                                    " --disable-pass constant_fold");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("--disable-pass constant_fold: no pass has this name; the passes are: constant_folding"),
            std::string::npos)
      << unknown.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "m.engine"));

  auto verbose = testing::run_gnnrt("run --device cpu --onnx " + model + " --inputs " + inputs + " --verbose --compare " +
                                    quoted(cora / "g0.expected.npz"));
  EXPECT_EQ(verbose.exit_code, 0) << verbose.output;
  EXPECT_NE(verbose.output.find("[pass] constant_folding: folded"), std::string::npos) << verbose.output;
  EXPECT_NE(verbose.output.find("[pass] shape_simplification: folded"), std::string::npos) << verbose.output;

  auto disabled = testing::run_gnnrt("run --device cpu --onnx " + model + " --inputs " + inputs +
                                     " --verbose --disable-pass constant_folding --disable-pass shape_simplification"
                                     " --disable-pass dead_code_elimination --compare " + quoted(cora / "g0.expected.npz"));
  EXPECT_EQ(disabled.exit_code, 0) << disabled.output;
  EXPECT_NE(disabled.output.find("[pass] constant_folding: disabled"), std::string::npos) << disabled.output;
  EXPECT_NE(disabled.output.find("[build] passes: 117 -> 117 nodes"), std::string::npos) << disabled.output;

  auto built = testing::run_gnnrt("build --device cpu --onnx " + model + " --save " + quoted(dir / "m.engine") +
                                  " --disable-pass dead_code_elimination");
  ASSERT_EQ(built.exit_code, 0) << built.output;
  EXPECT_EQ(built.output.find("[pass] constant_folding"), std::string::npos) << "details only under --verbose";
  auto with_engine = testing::run_gnnrt("run --engine " + quoted(dir / "m.engine") + " --inputs " + inputs +
                                        " --disable-pass constant_folding");
  EXPECT_EQ(with_engine.exit_code, 2) << with_engine.output;
  EXPECT_NE(with_engine.output.find("rebuild it with gnnrt build --disable-pass"), std::string::npos) << with_engine.output;
}

}  // namespace
}  // namespace gnnrt
