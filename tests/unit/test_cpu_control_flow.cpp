// Tests of the CPU If kernel (control_flow.cpp) with a fake subgraph runner.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <stdexcept>

#include "backends/cpu/kernel_registry.h"
#include "cpu_kernel_test_support.h"

using namespace gnnrt;
using namespace gnnrt::cpu;
using namespace gnnrt::cpu_kernel_test;

namespace {

ir::Attribute graph_attr(const std::string& name, size_t output_count) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Graph;
  a.g = std::make_shared<ir::Graph>();
  a.g->name = name;
  for (size_t i = 0; i < output_count; ++i) a.g->outputs.push_back({name + "_out" + std::to_string(i), {}});
  return a;
}

// Runs If with a fake executor callback that records which branch ran and returns one int64
// tensor per branch output holding 1 (then) or 2 (else).
struct IfRun {
  std::vector<Tensor> outputs;
  std::vector<std::string> branches_run;
};

IfRun run_if(const Tensor& condition, size_t node_outputs, size_t then_outputs = 1, size_t else_outputs = 1) {
  const KernelInputs inputs{&condition};
  const ir::Node node = make_node(
      "If", node_outputs,
      {{"then_branch", graph_attr("then_graph", then_outputs)}, {"else_branch", graph_attr("else_graph", else_outputs)}});
  IfRun result;
  KernelContext context;
  context.run_subgraph = [&](const ir::Graph& graph) {
    result.branches_run.push_back(graph.name);
    std::vector<Tensor> outs;
    for (size_t i = 0; i < graph.outputs.size(); ++i)
      outs.push_back(make<int64_t>({1}, {graph.name == "then_graph" ? 1 : 2}));
    return outs;
  };
  result.outputs = run_node(node, inputs, context);
  return result;
}

TEST(CpuControlFlow, IfRunsOnlyTheChosenBranch) {
  Tensor yes = make<bool>({}, {true}), no = make<bool>({1}, {false});
  IfRun then_run = run_if(yes, 1);
  EXPECT_EQ(then_run.branches_run, (std::vector<std::string>{"then_graph"}));
  ASSERT_EQ(then_run.outputs.size(), 1u);
  EXPECT_EQ(then_run.outputs[0].data<int64_t>()[0], 1);
  IfRun else_run = run_if(no, 2, 2, 2);
  EXPECT_EQ(else_run.branches_run, (std::vector<std::string>{"else_graph"}));
  ASSERT_EQ(else_run.outputs.size(), 2u);
  EXPECT_EQ(else_run.outputs[1].data<int64_t>()[0], 2);
}

TEST(CpuControlFlow, IfRejectsBadConditionsAndBranches) {
  Tensor not_bool = make<int64_t>({}, {1});
  std::string message = input_error([&] { run_if(not_bool, 1); });
  EXPECT_TRUE(contains(message, "int64[]")) << message;
  Tensor two = make<bool>({2}, {true, false});
  input_error([&] { run_if(two, 1); });
  Tensor yes = make<bool>({}, {true});
  message = input_error([&] { run_if(yes, 1, 2, 1); });
  EXPECT_TRUE(contains(message, "then_branch")) << message;
  EXPECT_TRUE(contains(message, "produced 2")) << message;

  const KernelInputs inputs{&yes};
  ir::Node missing = make_node("If", 1, {{"else_branch", graph_attr("else_graph", 1)}});
  KernelContext context;
  context.run_subgraph = [](const ir::Graph&) { return std::vector<Tensor>{}; };
  input_error([&] { run_node(missing, inputs, context); });
}

TEST(CpuControlFlow, IfWithoutExecutorCallbackIsInternalError) {
  Tensor yes = make<bool>({}, {true});
  const KernelInputs inputs{&yes};
  ir::Node node = make_node("If", 1,
                            {{"then_branch", graph_attr("t", 1)}, {"else_branch", graph_attr("e", 1)}});
  KernelContext context;  // no run_subgraph
  try {
    run_node(node, inputs, context);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
  }
}

}  // namespace
