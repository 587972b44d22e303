#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "ir_test_graphs.h"
#include "test_support.h"

using namespace gnnrt;
using namespace gnnrt::ir;
using namespace gnnrt::ir::test_graphs;

namespace {

// A valid two-node graph: y = Relu(x @ W).
Graph valid_graph() {
  Graph g;
  g.name = "main";
  Builder b(g);
  b.input("x", type(DType::Float32, {sym("n"), dim(4)})).initializer("W", float_tensor({4, 2}));
  b.node("MatMul", "mm", {"x", "W"}, {"h"});
  b.node("Relu", "act", {"h"}, {"y"});
  b.output("y");
  return g;
}

// Expects verify_graph to fail with InvalidInput and a message containing every fragment.
std::string expect_invalid(const Graph& graph, const std::vector<std::string>& fragments) {
  return gnnrt::testing::expect_error(ErrorCode::InvalidInput, [&] { verify_graph(graph); }, fragments);
}

}  // namespace

TEST(IrVerifier, AcceptsValidGraph) { EXPECT_NO_THROW(verify_graph(valid_graph())); }

TEST(IrVerifier, UndefinedInput) {
  Graph g = valid_graph();
  g.nodes[1].inputs[0] = "nowhere";
  expect_invalid(g, {"node 'act' (Relu)", "input 0 'nowhere' is not defined"});
}

TEST(IrVerifier, UseBeforeDefinition) {
  Graph g = valid_graph();
  std::swap(g.nodes[0], g.nodes[1]);
  expect_invalid(g, {"node 'act' (Relu)", "'h' is used before it is defined", "'mm'"});
}

TEST(IrVerifier, DuplicateDefinition) {
  Graph g = valid_graph();
  Builder(g).node("Sigmoid", "again", {"x"}, {"h"});
  expect_invalid(g, {"node 'again' (Sigmoid)", "'h' is assigned more than once", "node 'mm'"});
}

TEST(IrVerifier, NodeOutputThatShadowsAGraphInput) {
  Graph g = valid_graph();
  Builder(g).node("Sigmoid", "sig", {"h"}, {"x"});
  expect_invalid(g, {"'x' is assigned more than once", "graph input"});
}

TEST(IrVerifier, MissingGraphOutput) {
  Graph g = valid_graph();
  Builder(g).output("logits");
  expect_invalid(g, {"graph output 'logits' is not produced"});
}

TEST(IrVerifier, DuplicateNodeNames) {
  Graph g = valid_graph();
  g.nodes[1].name = "mm";
  expect_invalid(g, {"node name 'mm' is used by more than one node"});
}

TEST(IrVerifier, MissingRequiredInputAndAttribute) {
  Graph g = valid_graph();
  Builder b(g);
  b.node("Gather", "gather1", {"h"}, {"g1"});
  b.node("Where", "where1", {"", "h", "h"}, {"w1"});
  b.node("Cast", "cast1", {"h"}, {"c1"});
  b.node("Concat", "cat1", {"h", "h"}, {"cat"});
  expect_invalid(g, {"node 'gather1' (Gather): required input 1 is missing", "node 'where1' (Where): required input 0",
                     "node 'cast1' (Cast): required attribute 'to'", "node 'cat1' (Concat): required attribute 'axis'",
                     "4 problems"});
}

TEST(IrVerifier, DtypeDisagreement) {
  Graph g = valid_graph();
  Builder b(g);
  b.input("ids", type(DType::Int64, {sym("n"), dim(2)}));
  b.node("Add", "bad_add", {"y", "ids"}, {"sum"});
  infer_shapes(g);  // the verifier checks the dtypes it knows: intermediate ones come from inference
  expect_invalid(g, {"node 'bad_add' (Add)", "input 0 'y' is float32 but input 1 'ids' is int64"});
}

TEST(IrVerifier, DtypeOfConditionAndIndices) {
  Graph g = valid_graph();
  Builder b(g);
  b.input("fidx", type(DType::Float32, {sym("e")}));
  b.node("Where", "w", {"h", "h", "h"}, {"w"});
  b.node("Gather", "g", {"h", "fidx"}, {"g"});
  infer_shapes(g);
  expect_invalid(g, {"node 'w' (Where): input 0 'h' is float32, expected bool",
                     "node 'g' (Gather): input 1 'fidx' is float32, expected int32 or int64"});
}

TEST(IrVerifier, OuterScopeReferenceInsideIfIsAllowed) {
  Graph g = valid_graph();
  Builder b(g);
  b.input("cond", type(DType::Bool, {}));
  b.if_node("branch", "cond", {"z"}, branch_returning("Relu", "h", "t"), branch_returning("Sigmoid", "x", "e"));
  b.output("z");
  EXPECT_NO_THROW(verify_graph(g));
}

TEST(IrVerifier, UndefinedValueInsideIfBranchIsNamedWithItsBranch) {
  Graph g = valid_graph();
  Builder b(g);
  b.input("cond", type(DType::Bool, {}));
  // 'later' is defined after the If in the outer graph: not visible inside the branch.
  b.if_node("branch", "cond", {"z"}, branch_returning("Relu", "later", "t"), branch_returning("Sigmoid", "x", "e"));
  b.node("Relu", "late", {"y"}, {"later"});
  expect_invalid(g, {"in then_branch of node 'branch' (If): node 't_node' (Relu): input 0 'later' is not defined"});
}

TEST(IrVerifier, BranchRedefiningAnOuterValue) {
  Graph g = valid_graph();
  Builder b(g);
  b.input("cond", type(DType::Bool, {}));
  b.if_node("branch", "cond", {"z"}, branch_returning("Relu", "x", "h"),  // 'h' exists outside
            branch_returning("Sigmoid", "x", "e"));
  expect_invalid(g, {"in then_branch", "'h' redefines a value of the enclosing graph"});
}

TEST(IrVerifier, IfBranchOutputCountMismatchAndMissingBranch) {
  Graph g = valid_graph();
  Builder b(g);
  b.input("cond", type(DType::Bool, {}));
  b.if_node("two_out", "cond", {"z1", "z2"}, branch_returning("Relu", "x", "t"), branch_returning("Sigmoid", "x", "e"));
  b.node("If", "no_else", {"cond"}, {"z3"}, {{"then_branch", graph_attr(branch_returning("Relu", "x", "t3"))}});
  expect_invalid(g, {"node 'two_out' (If): then_branch has 1 outputs but the node has 2",
                     "node 'no_else' (If): required attribute 'else_branch' is missing"});
}

TEST(IrVerifier, ListsOnlyTheFirstProblems) {
  Graph g = valid_graph();
  for (int i = 0; i < 15; ++i) Builder(g).node("Relu", "r" + std::to_string(i), {"missing" + std::to_string(i)}, {"o" + std::to_string(i)});
  const std::string message = expect_invalid(g, {"15 problems", "missing0", "missing9", "... and 5 more"});
  EXPECT_EQ(message.find("missing10"), std::string::npos);
}
