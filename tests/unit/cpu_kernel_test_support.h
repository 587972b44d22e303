// Helpers shared by the CPU kernel tests (tests/unit/test_cpu_*.cpp): building tensors, nodes
// and attributes, running one kernel of the CPU registry, and checking its results and errors.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "backends/cpu/kernel_registry.h"
#include "gnnrt/error.h"
#include "gnnrt/tensor.h"
#include "ir/graph.h"
#include "ir_test_graphs.h"
#include "test_support.h"

namespace gnnrt::cpu_kernel_test {

inline constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
inline constexpr float kInf = std::numeric_limits<float>::infinity();

// ---------------------------------------------------------------- tensors

using testing::values_of;

// testing::make_tensor, shortened for the many small tensors the kernel tests write inline.
template <typename T>
Tensor make(Dims shape, const std::vector<T>& values) {
  return testing::make_tensor<T>(std::move(shape), values);
}

// ---------------------------------------------------------------- attributes

using ir::test_graphs::float_attr;
using ir::test_graphs::int_attr;
using ir::test_graphs::ints_attr;
using ir::test_graphs::string_attr;
using ir::test_graphs::tensor_attr;

// ---------------------------------------------------------------- running kernels

// A node named "<op>_under_test" with `output_count` outputs and the given attributes; its
// inputs are named when it runs (run_node).
ir::Node make_node(const std::string& op, size_t output_count = 1,
                   std::map<std::string, ir::Attribute> attributes = {});

// Runs the kernel that cpu::kernel_registry() holds for node.op_type on `inputs` (nullptr for an
// omitted optional input). The node's inputs are named "in<i>" where the test passes a tensor and
// "" where it passes nullptr, as the importer names them. Throws std::runtime_error when there is
// no kernel for the op.
std::vector<Tensor> run_node(const ir::Node& node, const cpu::KernelInputs& inputs, cpu::KernelContext& context);
std::vector<Tensor> run_node(const ir::Node& node, const cpu::KernelInputs& inputs);

// make_node + run_node.
std::vector<Tensor> run_op(const std::string& op, const cpu::KernelInputs& inputs,
                           std::map<std::string, ir::Attribute> attributes = {}, size_t output_count = 1);
// run_op for an op with one output; expects exactly one.
Tensor run1(const std::string& op, const cpu::KernelInputs& inputs, std::map<std::string, ir::Attribute> attributes = {});

// ---------------------------------------------------------------- checks

bool contains(const std::string& text, const std::string& part);

// Runs `body`, expects an InvalidInput error whose message contains every one of `parts`, and
// returns the message.
template <typename Body>
std::string input_error(Body&& body, const std::vector<std::string>& parts = {}) {
  return testing::expect_error(ErrorCode::InvalidInput, std::forward<Body>(body), parts);
}

// `t` is float32 and holds `expected`: NaN where NaN is expected, infinities exactly, other
// values within `tolerance`, relative to max(1, |expected|).
void expect_floats(const Tensor& t, const std::vector<float>& expected, float tolerance = 1e-6f);

}  // namespace gnnrt::cpu_kernel_test
