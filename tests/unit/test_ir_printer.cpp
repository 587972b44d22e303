#include <gtest/gtest.h>

#include <string>

#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "ir_test_graphs.h"

using namespace gnnrt;
using namespace gnnrt::ir;
using namespace gnnrt::ir::test_graphs;

namespace {

void expect_line(const std::string& text, const std::string& line) {
  EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << "missing line:\n" << line << "\nin:\n" << text;
}

}  // namespace

TEST(IrPrinter, PrintsInputsInitializersNodesAndOutputs) {
  Graph g;
  g.name = "gcn";
  Builder b(g);
  b.input("x", type(DType::Float32, {sym("num_nodes"), dim(1433)}))
      .input("edge_index", type(DType::Int64, {dim(2), sym("num_edges")}))
      .initializer("W", float_tensor({1433, 16}))
      .initializer("zero", int64_tensor({0}, true));
  b.node("MatMul", "mm", {"x", "W"}, {"h"});
  b.node("Gather", "row_of", {"edge_index", "zero"}, {"row"}, {{"axis", int_attr(0)}});
  b.node("LeakyRelu", "act", {"h"}, {"a"}, {{"alpha", float_attr(0.2f)}});
  b.node("Split", "halves", {"a"}, {"p", "q"}, {{"axis", int_attr(1)}, {"num_outputs", int_attr(2)}});
  b.node("Clip", "clip", {"p", "", "zero"}, {"c"});
  b.node("Constant", "k", {}, {"k"}, {{"value", tensor_attr(int64_tensor({-1, 8}))}});
  b.output("q");
  infer_shapes(g);
  const std::string text = print_graph(g);
  EXPECT_EQ(text.rfind("graph gcn\n", 0), 0u) << text;
  expect_line(text, "  input %x : float32[num_nodes, 1433]");
  expect_line(text, "  input %edge_index : int64[2, num_edges]");
  expect_line(text, "  initializer %W : float32[1433, 16]");
  expect_line(text, "  initializer %zero : int64[]");
  expect_line(text, "  %h = MatMul(%x, %W)  # mm : float32[num_nodes, 16]");
  expect_line(text, "  %row = Gather[axis=0](%edge_index, %zero)  # row_of : int64[num_edges]");
  expect_line(text, "  %a = LeakyRelu[alpha=0.2](%h)  # act : float32[num_nodes, 16]");
  expect_line(text,
              "  %p, %q = Split[axis=1, num_outputs=2](%a)  # halves : float32[num_nodes, 8], float32[num_nodes, 8]");
  expect_line(text, "  %c = Clip(%p, %_, %zero)  # clip : float32[num_nodes, 8]");
  expect_line(text, "  %k = Constant[value=tensor(int64[2] {-1, 8})]()  # k : int64[2]");
  expect_line(text, "  output %q : float32[num_nodes, 8]");
  // Initializer values are not printed.
  EXPECT_EQ(text.find("0.5"), std::string::npos);
}

TEST(IrPrinter, IndentsIfBranchesAndMarksUnknownTypes) {
  Graph g;
  g.name = "main";
  Builder b(g);
  b.input("x", type(DType::Float32, {sym("n"), dim(4)})).input("cond", type(DType::Bool, {}));
  auto then_branch = std::make_shared<Graph>(), else_branch = std::make_shared<Graph>();
  Builder(*then_branch).output("t").node("Relu", "t_relu", {"x"}, {"t"});
  Builder(*else_branch).output("x");  // returns the outer value directly
  b.if_node("choose", "cond", {"y"}, then_branch, else_branch);
  Node& fused = b.node("Spmm", "fused", {"y"}, {"z"});
  fused.domain = "gnnrt";
  b.output("z");
  infer_shapes(g);
  const std::string text = print_graph(g);
  expect_line(text, "  %y = If(%cond)  # choose : float32[n, 4]");
  expect_line(text, "    then_branch:");
  expect_line(text, "      %t = Relu(%x)  # t_relu : float32[n, 4]");
  expect_line(text, "      output %t : float32[n, 4]");
  expect_line(text, "    else_branch:");
  expect_line(text, "      output %x : float32[n, 4]");
  expect_line(text, "  %z = gnnrt.Spmm(%y)  # fused : ?");
  expect_line(text, "  output %z : ?");
  // else_branch comes before then_branch (attributes print sorted), both after the If line.
  EXPECT_LT(text.find("choose"), text.find("else_branch:"));
  EXPECT_LT(text.find("else_branch:"), text.find("then_branch:"));
}
