#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "ir/shape_inference.h"
#include "ir/symbolic_dims.h"
#include "ir/verifier.h"
#include "ir_test_graphs.h"
#include "test_support.h"

#if __has_include("onnx/importer.h")
#include "onnx/importer.h"
#define GNNRT_TEST_HAVE_IMPORTER 1
#endif

using namespace gnnrt;
using namespace gnnrt::ir;
using namespace gnnrt::ir::test_graphs;

namespace {

// Expects infer_shapes to fail with InvalidInput and a message containing every fragment.
void expect_contradiction(Graph& graph, const std::vector<std::string>& fragments) {
  gnnrt::testing::expect_error(ErrorCode::InvalidInput, [&] { infer_shapes(graph); }, fragments);
}

// The shape inference tests build their graph in `g` through `b`.
class IrShapeInference : public ::testing::Test {
 protected:
  Graph g;
  Builder b{g};
};

}  // namespace

// ------------------------------------------------------------------------------------------
// SymInt: the canonical arithmetic behind symbolic dims.

TEST(IrSymInt, PrintsCanonicalFormAndParsesItBack) {
  const SymInt n = SymInt::symbol("num_nodes"), e = SymInt::symbol("num_edges");
  const SymInt sum = *SymInt::add(n, e);
  EXPECT_EQ(sum.to_string(), "num_edges + num_nodes");  // order does not depend on operand order
  EXPECT_EQ(SymInt::add(e, n)->to_string(), "num_edges + num_nodes");
  const SymInt scaled = *SymInt::multiply(n, SymInt::constant(16));
  EXPECT_EQ(scaled.to_string(), "16*num_nodes");
  const SymInt minus_one = *SymInt::subtract(n, SymInt::constant(1));
  EXPECT_EQ(minus_one.to_string(), "num_nodes - 1");
  const SymInt product = *SymInt::multiply(*SymInt::add(n, SymInt::constant(2)), e);
  EXPECT_EQ(product.to_string(), "num_edges*num_nodes + 2*num_edges");
  for (const SymInt& value : {sum, scaled, minus_one, product, SymInt::constant(-7)})
    EXPECT_EQ(SymInt::parse(value.to_string()), value) << value.to_string();
  // A name that is no expression stays one atomic symbol.
  EXPECT_EQ(SymInt::parse("batch size").to_string(), "batch size");
}

TEST(IrSymInt, EvaluatesWithGivenValuesAndAFallbackForMissingSymbols) {
  const SymInt n = SymInt::symbol("num_nodes"), e = SymInt::symbol("num_edges");
  const SymInt size = *SymInt::add(*SymInt::multiply(n, SymInt::constant(16)), *SymInt::subtract(e, SymInt::constant(3)));
  EXPECT_EQ(size.evaluate({{"num_nodes", 10}, {"num_edges", 100}}, 0), 16 * 10 + 100 - 3);
  EXPECT_EQ(size.evaluate({{"num_nodes", 10}}, 0), 16 * 10 - 3);   // num_edges missing: 0
  EXPECT_EQ(size.evaluate({{"num_nodes", 10}}, 5), 16 * 10 + 5 - 3);
  const SymInt square = *SymInt::multiply(n, n);
  EXPECT_EQ(square.evaluate({{"num_nodes", int64_t{1} << 31}}, 0), int64_t{1} << 62);
  EXPECT_EQ(square.evaluate({{"num_nodes", int64_t{1} << 32}}, 0), std::nullopt);  // overflows int64
}

TEST(IrSymInt, DividesOnlyWhenExact) {
  const SymInt n = SymInt::symbol("num_nodes");
  const SymInt total = *SymInt::multiply(n, SymInt::constant(16));
  EXPECT_EQ(SymInt::divide_exact(total, SymInt::constant(4))->to_string(), "4*num_nodes");
  EXPECT_EQ(SymInt::divide_exact(total, n)->to_string(), "16");
  EXPECT_FALSE(SymInt::divide_exact(total, SymInt::constant(3)).has_value());
  EXPECT_FALSE(SymInt::divide_exact(n, SymInt::symbol("num_edges")).has_value());
  EXPECT_FALSE(SymInt::divide_exact(n, SymInt::constant(0)).has_value());
}

TEST(IrSymInt, OverflowGivesNoValue) {
  const SymInt big = SymInt::constant(INT64_MAX);
  EXPECT_FALSE(SymInt::add(big, SymInt::constant(1)).has_value());
  EXPECT_FALSE(SymInt::multiply(big, SymInt::constant(2)).has_value());
  EXPECT_FALSE(dim_multiply(Dim::known(INT64_MAX), Dim::known(2)).is_known());
  EXPECT_EQ(dim_product({Dim{}, Dim::known(0)}).size, 0);  // zero elements whatever the unknown is
}

TEST(IrSymInt, ExpressionSizeIsCapped) {
  SymInt value = SymInt::symbol("n");
  for (int i = 0; i < 3; ++i) value = *SymInt::multiply(value, value);  // n^8
  EXPECT_EQ(value.to_string(), "n*n*n*n*n*n*n*n");
  EXPECT_FALSE(SymInt::multiply(value, SymInt::symbol("n")).has_value());
  // Squaring a shape value in a chain ends in an unknown dim, not a huge symbol.
  Graph g;
  Builder b(g);
  b.input("x", type(DType::Float32, {sym("n")}));
  b.node("Shape", "s", {"x"}, {"v0"});
  for (int i = 0; i < 6; ++i)
    b.node("Mul", "sq" + std::to_string(i), {"v" + std::to_string(i), "v" + std::to_string(i)}, {"v" + std::to_string(i + 1)});
  b.node("ConstantOfShape", "big", {"v6"}, {"big"});
  b.node("ConstantOfShape", "ok", {"v3"}, {"ok"});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "ok"), "float32[n*n*n*n*n*n*n*n]");
  EXPECT_EQ(type_text(g, "big"), "float32[?]");
}

// ------------------------------------------------------------------------------------------
// A GCN-like layer as the TorchScript exporter writes it.

TEST_F(IrShapeInference, GcnLayerGetsSymbolicShapes) {
  b.input("x", type(DType::Float32, {sym("num_nodes"), dim(1433)}))
      .input("edge_index", type(DType::Int64, {dim(2), sym("num_edges")}))
      .input("edge_weight", type(DType::Float32, {sym("num_edges")}))
      .initializer("W", float_tensor({1433, 16}))
      .initializer("bias", float_tensor({16}))
      .initializer("zero", int64_tensor({0}, true))
      .initializer("one", int64_tensor({1}, true))
      .initializer("axes1", int64_tensor({1}));
  b.node("MatMul", "lin", {"x", "W"}, {"h"});
  b.node("Gather", "row_of", {"edge_index", "zero"}, {"row"}, {{"axis", int_attr(0)}});
  b.node("Gather", "col_of", {"edge_index", "one"}, {"col"}, {{"axis", int_attr(0)}});
  b.node("Gather", "x_j", {"h", "row"}, {"xj"}, {{"axis", int_attr(0)}});
  b.node("Unsqueeze", "w_col", {"edge_weight", "axes1"}, {"w"});
  b.node("Mul", "message", {"xj", "w"}, {"msg"});
  b.node("Shape", "shape_h", {"h"}, {"h_shape"});
  b.node("ConstantOfShape", "zeros", {"h_shape"}, {"zeros"}, {{"value", tensor_attr(float_tensor({1}, 0.0f))}});
  b.node("Unsqueeze", "col_col", {"col", "axes1"}, {"col2"});
  b.node("Shape", "shape_msg", {"msg"}, {"msg_shape"});
  b.node("Expand", "col_expand", {"col2", "msg_shape"}, {"index"});
  b.node("ScatterElements", "aggregate", {"zeros", "index", "msg"}, {"agg"},
         {{"axis", int_attr(0)}, {"reduction", string_attr("add")}});
  b.node("Add", "add_bias", {"agg", "bias"}, {"out"});
  b.output("out");

  const ShapeInferenceReport report = infer_shapes(g);
  EXPECT_EQ(type_text(g, "h"), "float32[num_nodes, 16]");
  EXPECT_EQ(type_text(g, "row"), "int64[num_edges]");
  EXPECT_EQ(type_text(g, "xj"), "float32[num_edges, 16]");
  EXPECT_EQ(type_text(g, "w"), "float32[num_edges, 1]");
  EXPECT_EQ(type_text(g, "msg"), "float32[num_edges, 16]");
  EXPECT_EQ(type_text(g, "h_shape"), "int64[2]");
  EXPECT_EQ(type_text(g, "zeros"), "float32[num_nodes, 16]");
  EXPECT_EQ(type_text(g, "index"), "int64[num_edges, 16]");
  EXPECT_EQ(type_text(g, "agg"), "float32[num_nodes, 16]");
  EXPECT_EQ(type_text(g, "out"), "float32[num_nodes, 16]");
  EXPECT_EQ(g.outputs[0].type.to_string(), "float32[num_nodes, 16]");
  EXPECT_EQ(report.inferred, 13u);
  EXPECT_EQ(report.unknown, 0u);
}

TEST_F(IrShapeInference, ShapeValuesFlowThroughGatherUnsqueezeConcatCast) {
  // zeros(x.size(0), 16) the TorchScript way: Shape -> Gather -> Unsqueeze -> Concat -> ConstantOfShape.
  b.input("x", type(DType::Float32, {sym("num_nodes"), dim(1433)}))
      .initializer("zero", int64_tensor({0}, true))
      .initializer("axes0", int64_tensor({0}))
      .initializer("sixteen", int64_tensor({16}))
      .initializer("minus_one_four", int64_tensor({-1, 4}));
  b.node("Shape", "s", {"x"}, {"shape"});
  b.node("Gather", "n", {"shape", "zero"}, {"n"}, {{"axis", int_attr(0)}});
  b.node("Unsqueeze", "n1", {"n", "axes0"}, {"n1"});
  b.node("Concat", "dims", {"n1", "sixteen"}, {"dims"}, {{"axis", int_attr(0)}});
  b.node("Cast", "dims64", {"dims"}, {"dims64"}, {{"to", int_attr(7)}});
  b.node("ConstantOfShape", "zeros", {"dims64"}, {"zeros"});
  b.node("Reshape", "r", {"zeros", "minus_one_four"}, {"r"});
  b.node("Size", "numel", {"zeros"}, {"numel"});
  b.node("Unsqueeze", "numel1", {"numel", "axes0"}, {"numel1"});
  b.node("Reshape", "flat2", {"zeros", "numel1"}, {"flat2"});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "n"), "int64[]");
  EXPECT_EQ(type_text(g, "dims"), "int64[2]");
  EXPECT_EQ(type_text(g, "zeros"), "float32[num_nodes, 16]");
  EXPECT_EQ(type_text(g, "r"), "float32[4*num_nodes, 4]");
  EXPECT_EQ(type_text(g, "numel"), "int64[]");
  EXPECT_EQ(type_text(g, "flat2"), "float32[16*num_nodes]");
}

TEST_F(IrShapeInference, NonZeroGetsFreshSymbolThatFlowsIntoConcat) {
  // remove_self_loops + add_self_loops: edge_index[:, mask] then concat with [2, num_nodes] loops.
  b.input("edge_index", type(DType::Int64, {dim(2), sym("num_edges")}))
      .input("mask", type(DType::Bool, {sym("num_edges")}))
      .input("loops", type(DType::Int64, {dim(2), sym("num_nodes")}))
      .initializer("zero", int64_tensor({0}, true));
  b.node("NonZero", "/conv1/NonZero", {"mask"}, {"nz"});
  b.node("Gather", "keep_idx", {"nz", "zero"}, {"keep"}, {{"axis", int_attr(0)}});
  b.node("Gather", "kept", {"edge_index", "keep"}, {"kept"}, {{"axis", int_attr(1)}});
  b.node("Concat", "with_loops", {"kept", "loops"}, {"all"}, {{"axis", int_attr(1)}});
  b.node("Shape", "all_shape", {"all"}, {"all_shape"});
  b.node("Slice", "edge_count", {"all_shape", "one_v", "two_v"}, {"edge_count"});
  g.initializers["one_v"] = int64_tensor({1});
  g.initializers["two_v"] = int64_tensor({2});
  b.node("ConstantOfShape", "ones", {"edge_count"}, {"ones"}, {{"value", tensor_attr(float_tensor({1}, 1.0f))}});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "nz"), "int64[1, nonzero_conv1_NonZero]");
  EXPECT_EQ(type_text(g, "keep"), "int64[nonzero_conv1_NonZero]");
  EXPECT_EQ(type_text(g, "kept"), "int64[2, nonzero_conv1_NonZero]");
  EXPECT_EQ(type_text(g, "all"), "int64[2, nonzero_conv1_NonZero + num_nodes]");
  EXPECT_EQ(type_text(g, "ones"), "float32[nonzero_conv1_NonZero + num_nodes]");
}

TEST_F(IrShapeInference, FreshSymbolsAreDistinctPerComputation) {
  b.input("a", type(DType::Float32, {sym("n")})).input("c", type(DType::Float32, {sym("n")}));
  b.node("NonZero", "nz", {"a"}, {"p"});
  b.node("NonZero", "nz.", {"c"}, {"q"});     // sanitises to the same base name
  b.node("NonZero", "again", {"a"}, {"r"});   // the same mask again: the same count
  b.node("Concat", "both", {"p", "r"}, {"pr"}, {{"axis", int_attr(0)}});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "p"), "int64[1, nonzero_nz]");
  EXPECT_EQ(type_text(g, "q"), "int64[1, nonzero_nz_2]");
  EXPECT_EQ(type_text(g, "r"), "int64[1, nonzero_nz]");
  EXPECT_EQ(type_text(g, "pr"), "int64[2, nonzero_nz]");
}

// ------------------------------------------------------------------------------------------
// Broadcasting rules.

TEST_F(IrShapeInference, BroadcastingOfSymbols) {
  b.input("n16", type(DType::Float32, {sym("n"), dim(16)}))
      .input("n1", type(DType::Float32, {sym("n"), dim(1)}))
      .input("one16", type(DType::Float32, {dim(1), dim(16)}))
      .input("m16", type(DType::Float32, {sym("m"), dim(16)}))
      .input("q", type(DType::Float32, {Dim{}, dim(16)}))
      .input("k", type(DType::Float32, {dim(7), sym("n")}))
      .input("flag", type(DType::Bool, {sym("n"), dim(1)}));
  b.node("Add", "a1", {"n16", "n1"}, {"same"});
  b.node("Mul", "a2", {"one16", "n1"}, {"outer"});
  b.node("Sub", "a3", {"n16", "m16"}, {"two_symbols"});
  b.node("Div", "a4", {"q", "n16"}, {"with_unknown"});
  b.node("Add", "a5", {"k", "n16"}, {"known_wins"});  // [7, n] + [n, 16] -> [7, 16]
  b.node("Where", "w", {"flag", "n16", "one16"}, {"chosen"});
  b.node("Equal", "eq", {"n16", "n1"}, {"eq"});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "same"), "float32[n, 16]");
  EXPECT_EQ(type_text(g, "outer"), "float32[n, 16]");
  EXPECT_EQ(type_text(g, "two_symbols"), "float32[?, 16]");
  EXPECT_EQ(type_text(g, "with_unknown"), "float32[?, 16]");
  EXPECT_EQ(type_text(g, "known_wins"), "float32[7, 16]");
  EXPECT_EQ(type_text(g, "chosen"), "float32[n, 16]");
  EXPECT_EQ(type_text(g, "eq"), "bool[n, 16]");
}

// ------------------------------------------------------------------------------------------
// Contradictions.

TEST_F(IrShapeInference, MatMulInnerDimMismatchNamesNodeAndShapes) {
  b.input("x", type(DType::Float32, {sym("num_nodes"), dim(1433)})).initializer("W", float_tensor({1432, 16}));
  b.node("MatMul", "conv1_lin", {"x", "W"}, {"h"});
  expect_contradiction(g, {"conv1_lin", "1433", "1432", "float32[num_nodes, 1433]", "float32[1432, 16]"});
}

TEST_F(IrShapeInference, ConcatRankMismatchNamesBothRanks) {
  b.input("a", type(DType::Float32, {sym("n"), dim(4)})).input("c", type(DType::Float32, {sym("n"), dim(4), dim(1)}));
  b.node("Concat", "cat0", {"a", "c"}, {"y"}, {{"axis", int_attr(0)}});
  expect_contradiction(g, {"cat0", "ranks 2 and 3"});
}

TEST_F(IrShapeInference, ConcatOtherAxisMismatch) {
  b.input("a", type(DType::Float32, {sym("n"), dim(4)})).input("c", type(DType::Float32, {sym("m"), dim(5)}));
  b.node("Concat", "cat1", {"a", "c"}, {"y"}, {{"axis", int_attr(0)}});
  expect_contradiction(g, {"cat1", "float32[n, 4]", "float32[m, 5]"});
}

TEST_F(IrShapeInference, BroadcastMismatchNamesBothInputs) {
  b.input("a", type(DType::Float32, {sym("n"), dim(16)})).input("c", type(DType::Float32, {sym("n"), dim(8)}));
  b.node("Add", "add0", {"a", "c"}, {"y"});
  expect_contradiction(g, {"add0", "16", "8", "'a'", "'c'"});
}

TEST_F(IrShapeInference, AxisOutOfRange) {
  b.input("a", type(DType::Float32, {sym("n"), dim(16)}));
  b.node("Softmax", "sm", {"a"}, {"y"}, {{"axis", int_attr(2)}});
  expect_contradiction(g, {"sm", "axis 2", "rank 2"});
}

TEST_F(IrShapeInference, BadReshape) {
  b.input("a", type(DType::Float32, {dim(10), dim(3)})).initializer("shape", int64_tensor({-1, 4}));
  b.node("Reshape", "rs", {"a", "shape"}, {"y"});
  expect_contradiction(g, {"rs", "30 elements"});
}

TEST_F(IrShapeInference, ShapeValueIndexOutOfRange) {
  b.input("a", type(DType::Float32, {sym("n"), dim(16)})).initializer("idx", int64_tensor({5}, true));
  b.node("Shape", "s", {"a"}, {"s"});
  b.node("Gather", "g", {"s", "idx"}, {"y"});
  expect_contradiction(g, {"'g'", "index 5"});
}

TEST_F(IrShapeInference, InferenceWinsOverAWrongDeclaredType) {
  // Exporters' value_info can be wrong; inference is what the ops compute.
  b.input("a", type(DType::Float32, {sym("n"), dim(16)}));
  b.node("Relu", "act", {"a"}, {"y"});
  b.node("Sigmoid", "sig", {"a"}, {"z"});
  b.output("y", type(DType::Float32, {sym("n"), dim(8)}));
  g.value_types["z"] = type(DType::Float32, {sym("Sigmoid_dim_0")});
  infer_shapes(g);
  EXPECT_EQ(g.outputs[0].type.to_string(), "float32[n, 16]");
  EXPECT_EQ(type_text(g, "z"), "float32[n, 16]");
}

TEST_F(IrShapeInference, DeclaredTypeFillsWhatInferenceCannotKnow) {
  b.input("a", type(DType::Float32, {sym("n"), dim(16)}));
  b.node("MysteryOp", "mystery", {"a"}, {"y"});
  b.node("Relu", "act", {"y"}, {"z"});
  g.value_types["y"] = type(DType::Float32, {sym("n"), dim(4)});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "z"), "float32[n, 4]");
}

// ------------------------------------------------------------------------------------------
// Unknown ops.

TEST_F(IrShapeInference, UnknownOpIsLeftUnknownNotAnError) {
  b.input("a", type(DType::Float32, {sym("n"), dim(16)}));
  b.node("FancyNewOp", "fancy", {"a"}, {"y"});
  b.node("Relu", "act", {"y"}, {"z"});
  Node& fused = b.node("FusedSpmm", "fused", {"a"}, {"w"});
  fused.domain = "gnnrt";
  const ShapeInferenceReport report = infer_shapes(g);
  EXPECT_EQ(type_text(g, "y"), "<none>");
  EXPECT_EQ(type_text(g, "z"), "<none>");
  EXPECT_EQ(type_text(g, "w"), "<none>");
  EXPECT_EQ(report.inferred, 0u);
  EXPECT_EQ(report.unknown, 3u);
}

// ------------------------------------------------------------------------------------------
// Op coverage.

TEST_F(IrShapeInference, LinearAlgebra) {
  b.input("x", type(DType::Float32, {sym("n"), dim(8)}))
      .input("batched", type(DType::Float32, {dim(3), sym("n"), dim(8)}))
      .input("v", type(DType::Float32, {dim(8)}))
      .initializer("W", float_tensor({16, 8}))
      .initializer("c", float_tensor({16}));
  b.node("Gemm", "gemm", {"x", "W", "c"}, {"y"}, {{"transB", int_attr(1)}});
  b.node("MatMul", "mv", {"x", "v"}, {"xv"});
  b.node("MatMul", "vm", {"v", "batched"}, {"vb"});  // [8] x [3, n, 8]: inner dims 8 vs n, fine
  b.node("MatMul", "bm", {"batched", "v"}, {"bv"});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "y"), "float32[n, 16]");
  EXPECT_EQ(type_text(g, "xv"), "float32[n]");
  EXPECT_EQ(type_text(g, "vb"), "float32[3, 8]");
  EXPECT_EQ(type_text(g, "bv"), "float32[3, n]");
}

TEST_F(IrShapeInference, GemmInnerMismatch) {
  b.input("x", type(DType::Float32, {sym("n"), dim(8)})).initializer("W", float_tensor({8, 16}));
  b.node("Gemm", "gemm", {"x", "W"}, {"y"}, {{"transB", int_attr(1)}});
  expect_contradiction(g, {"gemm", "8", "16", "transB"});
}

TEST_F(IrShapeInference, IndexOps) {
  b.input("data", type(DType::Float32, {sym("n"), dim(4), dim(5)}))
      .input("idx", type(DType::Int64, {sym("e"), dim(2)}))
      .input("elem_idx", type(DType::Int64, {sym("e"), dim(4), dim(5)}))
      .input("edges", type(DType::Int64, {dim(2), sym("e")}));
  b.node("Gather", "g1", {"data", "idx"}, {"g1"}, {{"axis", int_attr(1)}});
  b.node("GatherND", "gnd", {"data", "idx"}, {"gnd"});
  b.node("GatherElements", "ge", {"data", "elem_idx"}, {"ge"}, {{"axis", int_attr(0)}});
  b.node("ScatterND", "snd", {"data", "idx", "gnd"}, {"snd"});
  b.node("NonZero", "nz", {"data"}, {"nz"});
  b.node("Transpose", "tr", {"edges"}, {"tr"});
  b.node("Transpose", "tr2", {"data"}, {"tr2"}, {{"perm", ints_attr({2, 0, 1})}});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "g1"), "float32[n, e, 2, 5]");
  EXPECT_EQ(type_text(g, "gnd"), "float32[e, 5]");
  EXPECT_EQ(type_text(g, "ge"), "float32[e, 4, 5]");
  EXPECT_EQ(type_text(g, "snd"), "float32[n, 4, 5]");
  EXPECT_EQ(type_text(g, "nz"), "int64[3, nonzero_nz]");
  EXPECT_EQ(type_text(g, "tr"), "int64[e, 2]");
  EXPECT_EQ(type_text(g, "tr2"), "float32[5, n, 4]");
}

TEST_F(IrShapeInference, ReshapeFlattenSqueezeUnsqueeze) {
  b.input("x", type(DType::Float32, {sym("n"), dim(1), dim(6)}))
      .initializer("to_n_2_3", int64_tensor({0, 0, 2, 3}))
      .initializer("axes1", int64_tensor({1}))
      .initializer("axes_neg", int64_tensor({-1, 0}));
  b.node("Reshape", "rs", {"x", "to_n_2_3"}, {"rs"});
  b.node("Flatten", "fl", {"x"}, {"fl"}, {{"axis", int_attr(2)}});
  b.node("Flatten", "fl0", {"x"}, {"fl0"}, {{"axis", int_attr(0)}});
  b.node("Squeeze", "sq", {"x", "axes1"}, {"sq"});
  b.node("Unsqueeze", "usq", {"x", "axes_neg"}, {"usq"});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "rs"), "float32[n, 1, 2, 3]");
  EXPECT_EQ(type_text(g, "fl"), "float32[n, 6]");
  EXPECT_EQ(type_text(g, "fl0"), "float32[1, 6*n]");
  EXPECT_EQ(type_text(g, "sq"), "float32[n, 6]");
  EXPECT_EQ(type_text(g, "usq"), "float32[1, n, 1, 6, 1]");
}

TEST_F(IrShapeInference, SqueezeOfSizeOtherThanOneIsAnError) {
  b.input("x", type(DType::Float32, {sym("n"), dim(3)})).initializer("axes1", int64_tensor({1}));
  b.node("Squeeze", "sq", {"x", "axes1"}, {"y"});
  expect_contradiction(g, {"sq", "size 3"});
}

TEST_F(IrShapeInference, SliceConstantAndSymbolic) {
  b.input("x", type(DType::Float32, {sym("n"), dim(10)}))
      .initializer("s1", int64_tensor({1}))
      .initializer("to_end", int64_tensor({INT64_MAX}))
      .initializer("ax0", int64_tensor({0}))
      .initializer("ax1", int64_tensor({1}))
      .initializer("s_neg", int64_tensor({-3}))
      .initializer("step2", int64_tensor({2}))
      .initializer("rev_start", int64_tensor({-1}))
      .initializer("rev_end", int64_tensor({INT64_MIN}))
      .initializer("minus1", int64_tensor({-1}));
  b.node("Slice", "drop_first", {"x", "s1", "to_end", "ax0"}, {"a"});
  b.node("Slice", "last3", {"x", "s_neg", "to_end", "ax1"}, {"b"});
  b.node("Slice", "odd", {"x", "s1", "to_end", "ax1", "step2"}, {"c"});
  b.node("Slice", "reverse", {"x", "rev_start", "rev_end", "ax1", "minus1"}, {"d"});
  b.node("Slice", "unknown_bounds", {"x", "s1", "data_end", "ax1"}, {"e"});
  b.input("data_end", type(DType::Int64, {dim(1)}));
  // Slicing a shape value: shape[:-1].
  b.node("Shape", "shp", {"x"}, {"shape"});
  g.initializers["zero_v"] = int64_tensor({0});
  b.node("Slice", "head", {"shape", "zero_v", "minus1"}, {"head"});
  b.node("ConstantOfShape", "zeros", {"head"}, {"zeros"});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "a"), "float32[n - 1, 10]");
  EXPECT_EQ(type_text(g, "b"), "float32[n, 3]");
  EXPECT_EQ(type_text(g, "c"), "float32[n, 5]");
  EXPECT_EQ(type_text(g, "d"), "float32[n, 10]");
  EXPECT_EQ(type_text(g, "e"), "float32[n, ?]");
  EXPECT_EQ(type_text(g, "zeros"), "float32[n]");
}

TEST_F(IrShapeInference, SplitTileExpandPadRange) {
  b.input("x", type(DType::Float32, {sym("n"), dim(10)}))
      .input("count", type(DType::Int64, {}))
      .initializer("split", int64_tensor({4, 6}))
      .initializer("repeats", int64_tensor({2, 1}))
      .initializer("expand_to", int64_tensor({3, 1, 10}))
      .initializer("pads", int64_tensor({1, 0, 2, 3}))
      .initializer("start", int64_tensor({0}, true))
      .initializer("delta", int64_tensor({1}, true))
      .initializer("limit5", int64_tensor({5}, true));
  b.node("Split", "split", {"x", "split"}, {"p", "q"}, {{"axis", int_attr(1)}});
  b.node("Split", "halves", {"x"}, {"h1", "h2"}, {{"axis", int_attr(1)}, {"num_outputs", int_attr(2)}});
  b.node("Tile", "tile", {"x", "repeats"}, {"tiled"});
  b.node("Expand", "expand", {"x", "expand_to"}, {"expanded"});
  b.node("Pad", "pad", {"x", "pads"}, {"padded"});
  b.node("Range", "range_n", {"start", "count", "delta"}, {"r_data"});
  b.node("Range", "range5", {"start", "limit5", "delta"}, {"r5"});
  b.node("Shape", "shape", {"x"}, {"shape"});
  b.node("Gather", "n_of", {"shape", "start"}, {"n"});
  b.node("Range", "arange_n", {"start", "n", "delta"}, {"r_n"});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "p"), "float32[n, 4]");
  EXPECT_EQ(type_text(g, "q"), "float32[n, 6]");
  EXPECT_EQ(type_text(g, "h2"), "float32[n, 5]");
  EXPECT_EQ(type_text(g, "tiled"), "float32[2*n, 10]");
  EXPECT_EQ(type_text(g, "expanded"), "float32[3, n, 10]");
  EXPECT_EQ(type_text(g, "padded"), "float32[n + 3, 13]");
  EXPECT_EQ(type_text(g, "r_data"), "int64[range_range_n]");
  EXPECT_EQ(type_text(g, "r5"), "int64[5]");
  EXPECT_EQ(type_text(g, "r_n"), "int64[n]");
}

TEST_F(IrShapeInference, ReductionsAndNormalisations) {
  b.input("x", type(DType::Float32, {sym("n"), dim(16)}))
      .input("scale", type(DType::Float32, {dim(16)}))
      .input("stats", type(DType::Float32, {dim(16)}))
      .initializer("axis1", int64_tensor({1}));
  b.node("ReduceSum", "rsum", {"x", "axis1"}, {"rsum"}, {{"keepdims", int_attr(0)}});
  b.node("ReduceMax", "rmax", {"x"}, {"rmax"}, {{"axes", ints_attr({0})}});  // opset 13 attribute form
  b.node("ReduceMean", "rall", {"x"}, {"rall"}, {{"keepdims", int_attr(0)}});
  b.node("ArgMax", "amax", {"x"}, {"amax"}, {{"axis", int_attr(1)}, {"keepdims", int_attr(0)}});
  b.node("LogSoftmax", "lsm", {"x"}, {"lsm"}, {{"axis", int_attr(-1)}});
  b.node("CumSum", "cs", {"x", "axis1"}, {"cs"});
  b.node("LayerNormalization", "ln", {"x", "scale", "stats"}, {"ln", "mean", "inv_std"});
  b.node("BatchNormalization", "bn", {"x", "scale", "stats", "stats", "stats"}, {"bn"});
  b.node("Clip", "clip", {"x"}, {"clip"});
  b.node("Dropout", "drop", {"x"}, {"drop", "mask"});
  b.node("Cast", "cast", {"x"}, {"as_half"}, {{"to", int_attr(10)}});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "rsum"), "float32[n]");
  EXPECT_EQ(type_text(g, "rmax"), "float32[1, 16]");
  EXPECT_EQ(type_text(g, "rall"), "float32[]");
  EXPECT_EQ(type_text(g, "amax"), "int64[n]");
  EXPECT_EQ(type_text(g, "lsm"), "float32[n, 16]");
  EXPECT_EQ(type_text(g, "cs"), "float32[n, 16]");
  EXPECT_EQ(type_text(g, "ln"), "float32[n, 16]");
  EXPECT_EQ(type_text(g, "mean"), "float32[n, 1]");
  EXPECT_EQ(type_text(g, "bn"), "float32[n, 16]");
  EXPECT_EQ(type_text(g, "clip"), "float32[n, 16]");
  EXPECT_EQ(type_text(g, "mask"), "bool[n, 16]");
  EXPECT_EQ(type_text(g, "as_half"), "float16[n, 16]");
}

TEST_F(IrShapeInference, TorchScriptExpandWithMinusOneMask) {
  // The TorchScript exporter's expand(size): Where(Equal(size, -1 * ones), ones, size).
  b.input("x", type(DType::Float32, {sym("n"), dim(1)}))
      .input("y", type(DType::Float32, {sym("n"), dim(16)}))
      .initializer("minus_one", int64_tensor({-1}, true));
  b.node("Shape", "size", {"y"}, {"size"});
  b.node("Shape", "size_len", {"size"}, {"size_len"});
  b.node("ConstantOfShape", "ones", {"size_len"}, {"ones"}, {{"value", tensor_attr(int64_tensor({1}))}});
  b.node("Mul", "neg_ones", {"ones", "minus_one"}, {"neg_ones"});
  b.node("Equal", "is_neg", {"size", "neg_ones"}, {"is_neg"});
  b.node("Where", "fixed", {"is_neg", "ones", "size"}, {"fixed"});
  b.node("Expand", "expand", {"x", "fixed"}, {"expanded"});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "ones"), "int64[2]");
  EXPECT_EQ(type_text(g, "expanded"), "float32[n, 16]");
}

TEST_F(IrShapeInference, ConstantNodeFeedsShapeValues) {
  b.input("x", type(DType::Float32, {sym("n"), dim(16)}));
  b.node("Constant", "c", {}, {"target"}, {{"value", tensor_attr(int64_tensor({-1, 8}))}});
  b.node("Constant", "ci", {}, {"axes"}, {{"value_ints", ints_attr({0})}});
  b.node("Reshape", "rs", {"x", "target"}, {"y"});
  b.node("Unsqueeze", "us", {"x", "axes"}, {"z"});
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "target"), "int64[2]");
  EXPECT_EQ(type_text(g, "y"), "float32[2*n, 8]");
  EXPECT_EQ(type_text(g, "z"), "float32[1, n, 16]");
}

TEST_F(IrShapeInference, IfMergesAgreeingBranchesAndSeesOuterValues) {
  b.input("x", type(DType::Float32, {sym("n"), dim(16)})).input("cond", type(DType::Bool, {}));
  b.node("Relu", "act", {"x"}, {"h"});
  auto then_branch = std::make_shared<Graph>();
  then_branch->name = "then";
  Builder tb(*then_branch);
  tb.output("t_out").output("t_other");
  tb.node("Sigmoid", "sig", {"h"}, {"t_out"});  // outer value 'h'
  tb.node("Tanh", "tanh", {"h"}, {"t_other"});
  auto else_branch = std::make_shared<Graph>();
  else_branch->name = "else";
  Builder eb(*else_branch);
  eb.output("e_out").output("e_other");
  eb.node("Identity", "id", {"x"}, {"e_out"});
  eb.initializer("axes0", int64_tensor({0}));
  eb.node("Unsqueeze", "us", {"x", "axes0"}, {"e_other"});
  b.if_node("branch", "cond", {"y", "y_other"}, then_branch, else_branch);
  const ShapeInferenceReport report = infer_shapes(g);
  EXPECT_EQ(type_text(*then_branch, "t_out"), "float32[n, 16]");
  EXPECT_EQ(type_text(g, "y"), "float32[n, 16]");
  EXPECT_EQ(type_text(g, "y_other"), "float32[?rank]");  // ranks 2 and 3 disagree: dtype only
  EXPECT_EQ(report.inferred, 6u);  // h, t_out, t_other, e_out, e_other, y
  EXPECT_EQ(report.unknown, 1u);   // y_other
}

TEST_F(IrShapeInference, IfWithConditionKnownFromShapesTakesOneBranch) {
  // The TorchScript exporter's "if x.dim() == 0" test: Equal(Size(Shape(x)), 0) is known false.
  b.input("x", type(DType::Float32, {sym("n"), dim(2)})).initializer("zero", int64_tensor({0}, true));
  b.node("Shape", "shape", {"x"}, {"shape"});
  b.node("Size", "rank", {"shape"}, {"rank"});
  b.node("Equal", "is_scalar", {"rank", "zero"}, {"is_scalar"});
  const auto then_branch = branch_returning("Flatten", "x", "flat", {{"axis", int_attr(0)}});
  b.if_node("maybe_flatten", "is_scalar", {"y"}, then_branch, branch_returning("Identity", "x", "same"));
  infer_shapes(g);
  EXPECT_EQ(type_text(g, "rank"), "int64[]");
  EXPECT_EQ(type_text(*then_branch, "flat"), "float32[1, 2*n]");
  EXPECT_EQ(type_text(g, "y"), "float32[n, 2]");  // else_branch only; merging would give [?, ?]
}

TEST_F(IrShapeInference, IfBranchesWithDifferentDtypesIsAnError) {
  b.input("x", type(DType::Float32, {sym("n")})).input("i", type(DType::Int64, {sym("n")}));
  b.input("cond", type(DType::Bool, {}));
  b.if_node("pick", "cond", {"y"}, branch_returning("Identity", "x", "a"), branch_returning("Identity", "i", "c"));
  expect_contradiction(g, {"pick", "float32[n]", "int64[n]"});
}

// ------------------------------------------------------------------------------------------
// Real exports: every fixture model imports, verifies, and gets typed outputs.

TEST_F(IrShapeInference, FixtureModelsGetTypedOutputs) {
#ifndef GNNRT_TEST_HAVE_IMPORTER
  GTEST_SKIP() << "the ONNX importer is not built yet";
#else
  namespace fs = std::filesystem;
  const fs::path fixtures = GNNRT_FIXTURES_DIR;
  std::vector<fs::path> models;
  if (fs::is_directory(fixtures))
    for (const auto& entry : fs::directory_iterator(fixtures))
      for (const char* exporter : {"torchscript", "dynamo"})
        if (fs::path model = entry.path() / exporter / "model.onnx"; fs::exists(model)) models.push_back(model);
  if (models.empty()) GTEST_SKIP() << "no fixtures under " << fixtures;
  std::sort(models.begin(), models.end());
  // Whether a file imports is the importer's tests' business; this test checks what comes after.
  size_t imported = 0;
  for (const fs::path& path : models) {
    SCOPED_TRACE(path.string());
    ir::Model model;
    try {
      model = onnx_import::import_onnx_file(path.string());
    } catch (const Error& error) {
      std::cout << "[ NOTE     ] not imported, skipped: " << path.string() << ": " << error.what() << "\n";
      continue;
    }
    ++imported;
    ASSERT_NO_THROW(verify_graph(model.graph));
    ShapeInferenceReport report;
    ASSERT_NO_THROW(report = infer_shapes(model.graph));
    ASSERT_NO_THROW(verify_graph(model.graph));
    EXPECT_GT(report.inferred, 0u);
    // Every value of the main graph gets a dtype and rank (a branch that never runs may not:
    // Squeeze without axes of symbolic dims has no known rank).
    for (const Node& node : model.graph.nodes)
      for (const std::string& value : node.outputs) {
        if (value.empty()) continue;
        const auto value_type = model.graph.type_of(value);
        EXPECT_TRUE(value_type && value_type->dtype != DType::Undefined && value_type->shape)
            << node.describe() << ": '" << value << "' has no dtype and rank";
      }
    for (const ValueInfo& output : model.graph.outputs) {
      const auto output_type = model.graph.type_of(output.name);
      ASSERT_TRUE(output_type.has_value()) << output.name;
      EXPECT_NE(output_type->dtype, DType::Undefined) << output.name;
      EXPECT_TRUE(output_type->shape.has_value()) << output.name << ": " << output_type->to_string();
    }
  }
  EXPECT_GT(imported, 0u) << "no fixture model imported";
#endif
}
