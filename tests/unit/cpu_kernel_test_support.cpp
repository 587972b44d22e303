#include "cpu_kernel_test_support.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gnnrt::cpu_kernel_test {

ir::Node make_node(const std::string& op, size_t output_count, std::map<std::string, ir::Attribute> attributes) {
  ir::Node node;
  node.name = op + "_under_test";
  node.op_type = op;
  for (size_t i = 0; i < output_count; ++i) node.outputs.push_back("out" + std::to_string(i));
  node.attributes = std::move(attributes);
  return node;
}

std::vector<Tensor> run_node(const ir::Node& node, const cpu::KernelInputs& inputs, cpu::KernelContext& context) {
  const cpu::KernelFn* kernel = cpu::kernel_registry().find(node.op_type);
  if (!kernel) throw std::runtime_error("no CPU kernel for " + node.op_type);
  ir::Node named = node;
  named.inputs.clear();
  for (size_t i = 0; i < inputs.size(); ++i) named.inputs.push_back(inputs[i] ? "in" + std::to_string(i) : "");
  return (*kernel)(named, inputs, context);
}

std::vector<Tensor> run_node(const ir::Node& node, const cpu::KernelInputs& inputs) {
  cpu::KernelContext context;
  return run_node(node, inputs, context);
}

std::vector<Tensor> run_op(const std::string& op, const cpu::KernelInputs& inputs,
                           std::map<std::string, ir::Attribute> attributes, size_t output_count) {
  return run_node(make_node(op, output_count, std::move(attributes)), inputs);
}

Tensor run1(const std::string& op, const cpu::KernelInputs& inputs, std::map<std::string, ir::Attribute> attributes) {
  std::vector<Tensor> outputs = run_op(op, inputs, std::move(attributes));
  EXPECT_EQ(outputs.size(), 1u);
  return outputs.at(0);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void expect_floats(const Tensor& t, const std::vector<float>& expected, float tolerance) {
  ASSERT_EQ(t.dtype(), DType::Float32);
  ASSERT_EQ(t.numel(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    const float got = t.data<float>()[i];
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(got)) << "element " << i << " is " << got;
    } else if (std::isinf(expected[i])) {
      EXPECT_EQ(got, expected[i]) << "element " << i;
    } else {
      EXPECT_NEAR(got, expected[i], tolerance * std::max(1.0f, std::fabs(expected[i]))) << "element " << i;
    }
  }
}

}  // namespace gnnrt::cpu_kernel_test
