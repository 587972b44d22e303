// Tests of the CPU If kernel (control_flow.cpp) with a fake subgraph runner.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <stdexcept>

#include "backends/cpu/kernel_registry.h"

namespace {
const gnnrt::cpu::KernelRegistry& test_registry() {
  static const gnnrt::cpu::KernelRegistry registry = [] {
    gnnrt::cpu::KernelRegistry r;
    gnnrt::cpu::register_control_flow_kernels(r);
    return r;
  }();
  return registry;
}
}  // namespace

namespace {

using namespace gnnrt;
using namespace gnnrt::cpu;

template <typename T>
Tensor make(Dims shape, std::vector<T> values) {
  Tensor t(dtype_of<T>(), std::move(shape));
  EXPECT_EQ(t.numel(), static_cast<int64_t>(values.size())) << "test bug: value count";
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.numel(); ++i) t.data<T>()[i] = values[i];
  return t;
}

template <typename T>
std::vector<T> values(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

[[maybe_unused]] ir::Attribute int_attr(int64_t v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Int;
  a.i = v;
  return a;
}
[[maybe_unused]] ir::Attribute ints_attr(std::vector<int64_t> v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Ints;
  a.ints = std::move(v);
  return a;
}
[[maybe_unused]] ir::Attribute float_attr(float v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Float;
  a.f = v;
  return a;
}
[[maybe_unused]] ir::Attribute string_attr(std::string v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::String;
  a.s = std::move(v);
  return a;
}
[[maybe_unused]] ir::Attribute tensor_attr(Tensor v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Tensor;
  a.t = std::move(v);
  return a;
}

// A node named "<op>_test" whose inputs are named where the test passes a tensor and "" where it passes nullptr.
ir::Node make_node(const std::string& op, const KernelInputs& inputs, size_t output_count,
                   std::map<std::string, ir::Attribute> attributes = {}) {
  ir::Node node;
  node.name = op + "_test";
  node.op_type = op;
  for (size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back(inputs[i] ? "in" + std::to_string(i) : "");
  for (size_t i = 0; i < output_count; ++i) node.outputs.push_back("out" + std::to_string(i));
  node.attributes = std::move(attributes);
  return node;
}

std::vector<Tensor> run_op(const std::string& op, const KernelInputs& inputs,
                           std::map<std::string, ir::Attribute> attributes = {}, size_t output_count = 1) {
  const ir::Node node = make_node(op, inputs, output_count, std::move(attributes));
  const KernelFn* kernel = test_registry().find(op);
  if (!kernel) throw std::runtime_error("no kernel for " + op);
  KernelContext context;
  return (*kernel)(node, inputs, context);
}

[[maybe_unused]] Tensor run1(const std::string& op, const KernelInputs& inputs, std::map<std::string, ir::Attribute> attributes = {}) {
  auto outputs = run_op(op, inputs, std::move(attributes));
  EXPECT_EQ(outputs.size(), 1u);
  return outputs.at(0);
}

// Runs `body`, expects an InvalidInput error, and returns its message.
template <typename Body>
std::string input_error(Body&& body) {
  try {
    body();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected an InvalidInput error";
  return {};
}

[[maybe_unused]] bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

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
      "If", inputs, node_outputs,
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
  result.outputs = (*test_registry().find("If"))(node, inputs, context);
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
  ir::Node missing = make_node("If", inputs, 1, {{"else_branch", graph_attr("else_graph", 1)}});
  KernelContext context;
  context.run_subgraph = [](const ir::Graph&) { return std::vector<Tensor>{}; };
  input_error([&] { (*test_registry().find("If"))(missing, inputs, context); });
}

TEST(CpuControlFlow, IfWithoutExecutorCallbackIsInternalError) {
  Tensor yes = make<bool>({}, {true});
  const KernelInputs inputs{&yes};
  ir::Node node = make_node("If", inputs, 1,
                            {{"then_branch", graph_attr("t", 1)}, {"else_branch", graph_attr("e", 1)}});
  KernelContext context;  // no run_subgraph
  try {
    (*test_registry().find("If"))(node, inputs, context);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
  }
}

}  // namespace
