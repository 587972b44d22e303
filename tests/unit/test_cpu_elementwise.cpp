// Tests of the CPU element-wise kernels and the broadcasting helper, against values computed by
// hand or by an independent naive loop.
#include <gtest/gtest.h>
#include "core/openmp.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "backends/cpu/broadcast.h"
#include "backends/cpu/kernel_registry.h"
#include "cpu_kernel_test_support.h"

using namespace gnnrt;
using namespace gnnrt::cpu_kernel_test;

namespace {

Tensor make_bool(Dims shape, std::vector<int> values) {
  Tensor t(DType::Bool, std::move(shape));
  EXPECT_EQ(t.numel(), static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) t.data<bool>()[i] = values[i] != 0;
  return t;
}

std::vector<int> bools_of(const Tensor& t) {
  std::vector<int> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.data<bool>()[i] ? 1 : 0);
  return out;
}

// Naive numpy broadcasting: the flat offset in `input_shape` of output multi-index `index`.
int64_t naive_offset(const Dims& input_shape, const Dims& output_shape, int64_t flat) {
  Dims index(output_shape.size());
  for (size_t d = output_shape.size(); d-- > 0;) {
    index[d] = flat % output_shape[d];
    flat /= output_shape[d];
  }
  const size_t lead = output_shape.size() - input_shape.size();
  int64_t offset = 0;
  for (size_t d = 0; d < input_shape.size(); ++d)
    offset = offset * input_shape[d] + (input_shape[d] == 1 ? 0 : index[lead + d]);
  return offset;
}

}  // namespace

// ---------------------------------------------------------------- broadcasting helper

TEST(CpuBroadcast, OutputShapes) {
  EXPECT_EQ(cpu::broadcast_shapes({{3, 1}, {1, 4}}, "t"), (Dims{3, 4}));
  EXPECT_EQ(cpu::broadcast_shapes({{2, 3, 4}, {4}}, "t"), (Dims{2, 3, 4}));
  EXPECT_EQ(cpu::broadcast_shapes({{}, {2}}, "t"), (Dims{2}));
  EXPECT_EQ(cpu::broadcast_shapes({{}, {}}, "t"), (Dims{}));
  EXPECT_EQ(cpu::broadcast_shapes({{0}, {1}}, "t"), (Dims{0}));
  EXPECT_EQ(cpu::broadcast_shapes({{5, 1, 1}, {1, 6, 1}, {7}}, "t"), (Dims{5, 6, 7}));
}

TEST(CpuBroadcast, IncompatibleShapesNameBothShapes) {
  input_error([] { cpu::broadcast_shapes({{3, 2}, {4}}, "node 'x'"); }, {"node 'x'", "[3, 2]", "[4]"});
  input_error([] { cpu::broadcast_shapes({{0}, {3}}, "t"); }, {"[0]", "[3]"});
}

// Every output element is visited exactly once, with the input offsets numpy would use, for
// any split of the output range (as threads split it).
TEST(CpuBroadcast, SegmentsMatchNaiveIndexingForAnySplit) {
  const std::vector<std::vector<Dims>> cases = {
      {{2, 1, 3, 1}, {1, 4, 3, 5}, {5}},
      {{3, 1}, {1, 4}},
      {{6, 4}, {4}},
      {{6, 4}, {6, 1}},
      {{}, {2, 3}},
      {{2, 3}, {2, 3}},
      {{1, 1, 7}, {2, 1, 1}},
      {{4, 1, 2}, {1, 3, 1}, {4, 3, 2}},
  };
  for (const auto& shapes : cases) {
    const cpu::BroadcastPlan plan(shapes, "t");
    const Dims& out_shape = plan.output_shape();
    const int64_t total = plan.output_numel();
    for (int64_t pieces : {1, 2, 3, 7}) {
      std::vector<int> visits(static_cast<size_t>(total), 0);
      for (int64_t p = 0; p < pieces; ++p) {
        const int64_t begin = total * p / pieces, end = total * (p + 1) / pieces;
        plan.for_each_segment(begin, end, [&](int64_t out_offset, const int64_t* in_offsets, int64_t count) {
          for (int64_t j = 0; j < count; ++j) {
            ++visits[static_cast<size_t>(out_offset + j)];
            for (size_t k = 0; k < shapes.size(); ++k)
              EXPECT_EQ(in_offsets[k] + j * plan.inner_stride(k), naive_offset(shapes[k], out_shape, out_offset + j))
                  << "input " << k << " of case " << shape_to_string(out_shape);
          }
        });
      }
      for (int v : visits) EXPECT_EQ(v, 1);
    }
    for (int64_t i = 0; i < total; ++i)
      for (size_t k = 0; k < shapes.size(); ++k) EXPECT_EQ(plan.input_offset(k, i), naive_offset(shapes[k], out_shape, i));
  }
}

TEST(CpuBroadcast, ElementwiseDetection) {
  EXPECT_TRUE(cpu::BroadcastPlan({{2, 3}, {2, 3}}, "t").is_elementwise());
  EXPECT_TRUE(cpu::BroadcastPlan({{2, 3}, {1, 2, 3}}, "t").is_elementwise());
  EXPECT_FALSE(cpu::BroadcastPlan({{2, 3}, {3}}, "t").is_elementwise());
}

TEST(CpuBroadcast, BroadcastToMaterialisesAndRejectsShrinking) {
  const Tensor row = make<int32_t>({3}, {1, 2, 3});
  const Tensor expanded = cpu::broadcast_to(row, {2, 3}, "t");
  EXPECT_EQ(expanded.shape(), (Dims{2, 3}));
  EXPECT_EQ(values_of<int32_t>(expanded), (std::vector<int32_t>{1, 2, 3, 1, 2, 3}));
  const Tensor column = make<float>({2, 1}, {5, 6});
  EXPECT_EQ(values_of<float>(cpu::broadcast_to(column, {2, 2}, "t")), (std::vector<float>{5, 5, 6, 6}));
  input_error([&] { cpu::broadcast_to(row, {2, 1}, "target"); }, {"target", "[3]", "[2, 1]"});
}

// ---------------------------------------------------------------- binary arithmetic

TEST(CpuElementwise, AddColumnWithRow) {
  const Tensor a = make<float>({3, 1}, {1, 2, 3});
  const Tensor b = make<float>({1, 4}, {10, 20, 30, 40});
  const Tensor y = run1("Add", {&a, &b});
  EXPECT_EQ(y.shape(), (Dims{3, 4}));
  expect_floats(y, {11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43});
}

TEST(CpuElementwise, SubRowVectorFromMatrixInt64) {
  const Tensor a = make<int64_t>({2, 3}, {10, 20, 30, 40, 50, 60});
  const Tensor b = make<int64_t>({3}, {1, 2, 3});
  const Tensor y = run1("Sub", {&a, &b});
  EXPECT_EQ(y.dtype(), DType::Int64);
  EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{9, 18, 27, 39, 48, 57}));
  const Tensor reversed = run1("Sub", {&b, &a});
  EXPECT_EQ(values_of<int64_t>(reversed), (std::vector<int64_t>{-9, -18, -27, -39, -48, -57}));
}

TEST(CpuElementwise, MulByRankZeroScalar) {
  const Tensor a = make<float>({2, 2}, {1, -2, 3, 0.5f});
  const Tensor s = make<float>({}, {3});
  const Tensor y = run1("Mul", {&s, &a});
  EXPECT_EQ(y.shape(), (Dims{2, 2}));
  expect_floats(y, {3, -6, 9, 1.5f});
  const Tensor scalar_result = run1("Mul", {&s, &s});
  EXPECT_EQ(scalar_result.shape(), (Dims{}));
  expect_floats(scalar_result, {9});
}

TEST(CpuElementwise, IntegerArithmeticWrapsInsteadOfOverflowing) {
  const Tensor a = make<int32_t>({2}, {std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()});
  const Tensor one = make<int32_t>({}, {1});
  EXPECT_EQ(values_of<int32_t>(run1("Add", {&a, &one})),
            (std::vector<int32_t>{std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::min() + 1}));
  const Tensor b = make<uint8_t>({2}, {200, 3});
  EXPECT_EQ(values_of<uint8_t>(run1("Mul", {&b, &b})), (std::vector<uint8_t>{static_cast<uint8_t>(40000 % 256), 9}));
}

TEST(CpuElementwise, IntegerDivisionTruncatesTowardZero) {
  const Tensor a = make<int64_t>({4}, {7, -7, 7, -7});
  const Tensor b = make<int64_t>({4}, {2, 2, -2, -2});
  EXPECT_EQ(values_of<int64_t>(run1("Div", {&a, &b})), (std::vector<int64_t>{3, -3, -3, 3}));
  const Tensor lowest = make<int64_t>({1}, {std::numeric_limits<int64_t>::min()});
  const Tensor minus_one = make<int64_t>({1}, {-1});
  EXPECT_EQ(values_of<int64_t>(run1("Div", {&lowest, &minus_one})), (std::vector<int64_t>{std::numeric_limits<int64_t>::min()}));
}

TEST(CpuElementwise, IntegerDivisionByZeroIsInputErrorNamingNode) {
  const Tensor a = make<int32_t>({3}, {1, 2, 3});
  const Tensor b = make<int32_t>({3}, {1, 0, 1});
  input_error([&] { run_node(make_node("Div"), {&a, &b}); }, {"Div_under_test", "division by zero", "index 1"});
  input_error([&] { run_node(make_node("Mod"), {&a, &b}); }, {"Mod_under_test", "division by zero"});
}

TEST(CpuElementwise, FloatDivisionByZeroFollowsIeee) {
  const Tensor a = make<float>({3}, {1, -1, 0});
  const Tensor b = make<float>({}, {0});
  expect_floats(run1("Div", {&a, &b}), {kInf, -kInf, kNaN});
  const Tensor c = make<double>({2}, {1, 3});
  const Tensor d = make<double>({2}, {4, 8});
  EXPECT_EQ(values_of<double>(run1("Div", {&c, &d})), (std::vector<double>{0.25, 0.375}));
}

TEST(CpuElementwise, ModFollowsDivisorSignUnlessFmod) {
  const Tensor a = make<int32_t>({4}, {-7, 7, -7, 7});
  const Tensor b = make<int32_t>({4}, {3, -3, -3, 3});
  EXPECT_EQ(values_of<int32_t>(run1("Mod", {&a, &b})), (std::vector<int32_t>{2, -2, -1, 1}));
  ir::Node fmod = make_node("Mod");
  fmod.attributes["fmod"] = int_attr(1);
  EXPECT_EQ(values_of<int32_t>(run_node(fmod, {&a, &b})[0]), (std::vector<int32_t>{-1, 1, -1, 1}));
  const Tensor x = make<float>({2}, {-7.5f, 7.5f});
  const Tensor m = make<float>({}, {2});
  expect_floats(run_node(fmod, {&x, &m})[0], {-1.5f, 1.5f});
  expect_floats(run1("Mod", {&x, &m}), {0.5f, 1.5f});
}

TEST(CpuElementwise, PowFloatIntAndMixedExponents) {
  const Tensor degree = make<float>({3}, {4, 0, 9});
  const Tensor half = make<float>({}, {-0.5f});
  expect_floats(run1("Pow", {&degree, &half}), {0.5f, kInf, 1.0f / 3.0f});
  const Tensor base = make<float>({2}, {2, 3});
  const Tensor int_exponent = make<int64_t>({2}, {3, 2});
  const Tensor y = run1("Pow", {&base, &int_exponent});
  EXPECT_EQ(y.dtype(), DType::Float32);
  expect_floats(y, {8, 9});
  const Tensor int_base = make<int64_t>({5}, {2, 3, -2, -1, 5});
  const Tensor exponents = make<int64_t>({5}, {10, 3, 3, -3, -1});
  EXPECT_EQ(values_of<int64_t>(run1("Pow", {&int_base, &exponents})), (std::vector<int64_t>{1024, 27, -8, -1, 0}));
}

TEST(CpuElementwise, MaxMinPropagateNaNInEitherPosition) {
  const Tensor a = make<float>({3}, {1, kNaN, 3});
  const Tensor b = make<float>({3}, {2, 2, kNaN});
  expect_floats(run1("Max", {&a, &b}), {2, kNaN, kNaN});
  expect_floats(run1("Max", {&b, &a}), {2, kNaN, kNaN});
  expect_floats(run1("Min", {&a, &b}), {1, kNaN, kNaN});
  expect_floats(run1("Min", {&b, &a}), {1, kNaN, kNaN});
}

TEST(CpuElementwise, VariadicOpsBroadcastAcrossAllInputs) {
  const Tensor a = make<int64_t>({2}, {1, 5});
  const Tensor b = make<int64_t>({2, 1}, {3, 0});
  const Tensor c = make<int64_t>({}, {2});
  const Tensor max = run1("Max", {&a, &b, &c});
  EXPECT_EQ(max.shape(), (Dims{2, 2}));
  EXPECT_EQ(values_of<int64_t>(max), (std::vector<int64_t>{3, 5, 2, 5}));
  EXPECT_EQ(values_of<int64_t>(run1("Min", {&a, &b, &c})), (std::vector<int64_t>{1, 2, 0, 0}));
  EXPECT_EQ(values_of<int64_t>(run1("Sum", {&a, &b, &c})), (std::vector<int64_t>{6, 10, 3, 7}));

  const Tensor f1 = make<float>({2}, {1, 2});
  const Tensor f2 = make<float>({2}, {3, 4});
  const Tensor f3 = make<float>({2}, {5, 12});
  expect_floats(run1("Mean", {&f1, &f2, &f3}), {3, 6});
}

TEST(CpuElementwise, VariadicWithOneInputCopies) {
  const Tensor a = make<float>({2}, {1, 2});
  const Tensor y = run1("Sum", {&a});
  expect_floats(y, {1, 2});
  EXPECT_NE(y.raw(), a.raw());
  expect_floats(run1("Mean", {&a}), {1, 2});
}

TEST(CpuElementwise, MismatchedDtypesAreInputErrors) {
  const Tensor a = make<float>({2}, {1, 2});
  const Tensor b = make<int64_t>({2}, {1, 2});
  input_error([&] { run1("Add", {&a, &b}); }, {"Add_under_test", "float32[2]", "int64[2]"});
  const Tensor c = make<float>({2}, {1, 2});
  input_error([&] { run1("Sum", {&a, &c, &b}); }, {"input 2", "int64"});
}

TEST(CpuElementwise, ShapesThatDoNotBroadcastNameBothShapes) {
  const Tensor a = make<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  const Tensor b = make<float>({4}, {1, 2, 3, 4});
  input_error([&] { run1("Mul", {&a, &b}); }, {"Mul_under_test", "[3, 2]", "[4]"});
}

TEST(CpuElementwise, EmptyTensorsBroadcast) {
  const Tensor a(DType::Float32, {0, 3});
  const Tensor b = make<float>({3}, {1, 2, 3});
  const Tensor y = run1("Add", {&a, &b});
  EXPECT_EQ(y.shape(), (Dims{0, 3}));
  EXPECT_EQ(y.numel(), 0);
  const Tensor e(DType::Int64, {0});
  const Tensor zero = make<int64_t>({1}, {0});
  EXPECT_EQ(run1("Div", {&e, &zero}).shape(), (Dims{0}));  // no element divides by the zero
  EXPECT_EQ(run1("Relu", {&a}).shape(), (Dims{0, 3}));
}

TEST(CpuElementwise, LargeBroadcastMatchesNaiveLoop) {
  const int64_t rows = 300, cols = 257;  // > the parallel threshold
  Tensor a(DType::Float32, {rows, cols});
  Tensor b(DType::Float32, {cols});
  for (int64_t i = 0; i < a.numel(); ++i) a.data<float>()[i] = static_cast<float>((i * 37) % 101) - 50.0f;
  for (int64_t j = 0; j < cols; ++j) b.data<float>()[j] = 0.25f * static_cast<float>(j % 13);
  const Tensor y = run1("Mul", {&a, &b});
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      ASSERT_EQ(y.data<float>()[i * cols + j], a.data<float>()[i * cols + j] * b.data<float>()[j]);
  const Tensor column(DType::Float32, {rows, 1});
  const Tensor z = run1("Sub", {&a, &column});
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(z.data<float>()[i], a.data<float>()[i]);
}

// ---------------------------------------------------------------- comparisons and logic

TEST(CpuElementwise, ComparisonsGiveBool) {
  const Tensor a = make<int64_t>({2, 2}, {1, 2, 3, 4});
  const Tensor b = make<int64_t>({2}, {2, 2});
  const Tensor eq = run1("Equal", {&a, &b});
  EXPECT_EQ(eq.dtype(), DType::Bool);
  EXPECT_EQ(eq.shape(), (Dims{2, 2}));
  EXPECT_EQ(bools_of(eq), (std::vector<int>{0, 1, 0, 0}));
  EXPECT_EQ(bools_of(run1("Less", {&a, &b})), (std::vector<int>{1, 0, 0, 0}));
  EXPECT_EQ(bools_of(run1("LessOrEqual", {&a, &b})), (std::vector<int>{1, 1, 0, 0}));
  EXPECT_EQ(bools_of(run1("Greater", {&a, &b})), (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(bools_of(run1("GreaterOrEqual", {&a, &b})), (std::vector<int>{0, 1, 1, 1}));
}

TEST(CpuElementwise, ComparisonsWithNaNAreFalse) {
  const Tensor a = make<float>({3}, {kNaN, 1, kNaN});
  const Tensor b = make<float>({3}, {kNaN, kNaN, 1});
  EXPECT_EQ(bools_of(run1("Equal", {&a, &b})), (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(bools_of(run1("Less", {&a, &b})), (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(bools_of(run1("GreaterOrEqual", {&a, &b})), (std::vector<int>{0, 0, 0}));
}

TEST(CpuElementwise, EqualOnBoolAndLogicOps) {
  const Tensor a = make_bool({4}, {0, 0, 1, 1});
  const Tensor b = make_bool({4}, {0, 1, 0, 1});
  EXPECT_EQ(bools_of(run1("Equal", {&a, &b})), (std::vector<int>{1, 0, 0, 1}));
  EXPECT_EQ(bools_of(run1("And", {&a, &b})), (std::vector<int>{0, 0, 0, 1}));
  EXPECT_EQ(bools_of(run1("Or", {&a, &b})), (std::vector<int>{0, 1, 1, 1}));
  EXPECT_EQ(bools_of(run1("Xor", {&a, &b})), (std::vector<int>{0, 1, 1, 0}));
  EXPECT_EQ(bools_of(run1("Not", {&a})), (std::vector<int>{1, 1, 0, 0}));
  const Tensor column = make_bool({2, 1}, {1, 0});
  const Tensor row = make_bool({1, 2}, {1, 0});
  EXPECT_EQ(bools_of(run1("Or", {&column, &row})), (std::vector<int>{1, 1, 1, 0}));
  const Tensor ints = make<int32_t>({4}, {0, 1, 0, 1});
  input_error([&] { run1("And", {&a, &ints}); }, {"input 1", "bool", "int32"});
  input_error([&] { run1("Not", {&ints}); }, {"Not_under_test", "bool"});
  input_error([&] { run1("Less", {&a, &b}); }, {"bool"});
}

TEST(CpuElementwise, PReluSlopeBroadcastsOverChannels) {
  const Tensor x = make<float>({2, 3}, {-1, 2, -3, 4, -5, -6});
  const Tensor slope = make<float>({3}, {0.1f, 0.2f, 0.3f});
  expect_floats(run1("PRelu", {&x, &slope}), {-0.1f, 2, -0.9f, 4, -1.0f, -1.8f});
  const Tensor too_big = make<float>({2, 2, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  input_error([&] { run1("PRelu", {&x, &too_big}); }, {"[2, 2, 3]", "[2, 3]"});
}

// ---------------------------------------------------------------- unary ops

TEST(CpuElementwise, NegAbsSignOnIntsAndFloats) {
  const Tensor i = make<int32_t>({4}, {-3, 0, 5, std::numeric_limits<int32_t>::min()});
  EXPECT_EQ(values_of<int32_t>(run1("Neg", {&i})), (std::vector<int32_t>{3, 0, -5, std::numeric_limits<int32_t>::min()}));
  EXPECT_EQ(values_of<int32_t>(run1("Abs", {&i})), (std::vector<int32_t>{3, 0, 5, std::numeric_limits<int32_t>::min()}));
  EXPECT_EQ(values_of<int32_t>(run1("Sign", {&i})), (std::vector<int32_t>{-1, 0, 1, -1}));
  const Tensor f = make<float>({4}, {-2.5f, 0, 3, kNaN});
  expect_floats(run1("Neg", {&f}), {2.5f, 0, -3, kNaN});
  expect_floats(run1("Abs", {&f}), {2.5f, 0, 3, kNaN});
  expect_floats(run1("Sign", {&f}), {-1, 0, 1, kNaN});
}

TEST(CpuElementwise, MathFunctions) {
  const Tensor x = make<float>({3}, {0.25f, 1, 4});
  expect_floats(run1("Exp", {&x}), {std::exp(0.25f), std::exp(1.0f), std::exp(4.0f)});
  expect_floats(run1("Log", {&x}), {std::log(0.25f), 0, std::log(4.0f)});
  expect_floats(run1("Sqrt", {&x}), {0.5f, 1, 2});
  expect_floats(run1("Reciprocal", {&x}), {4, 1, 0.25f});
  expect_floats(run1("Tanh", {&x}), {std::tanh(0.25f), std::tanh(1.0f), std::tanh(4.0f)});
  expect_floats(run1("Erf", {&x}), {0.276326390f, 0.842700793f, 0.999999985f});
  const Tensor edge = make<float>({3}, {0, -1, kInf});
  expect_floats(run1("Log", {&edge}), {-kInf, kNaN, kInf});
  expect_floats(run1("Sqrt", {&edge}), {0, kNaN, kInf});
  const Tensor d = make<double>({2}, {1, 2});
  const Tensor ed = run1("Exp", {&d});
  EXPECT_EQ(ed.dtype(), DType::Float64);
  EXPECT_DOUBLE_EQ(ed.data<double>()[1], std::exp(2.0));
  const Tensor ints = make<int64_t>({1}, {1});
  input_error([&] { run1("Exp", {&ints}); }, {"Exp_under_test", "int64"});
}

TEST(CpuElementwise, ReluFamily) {
  const Tensor x = make<float>({5}, {-2, -0.5f, 0, 3, kNaN});
  expect_floats(run1("Relu", {&x}), {0, 0, 0, 3, kNaN});
  expect_floats(run1("LeakyRelu", {&x}), {-0.02f, -0.005f, 0, 3, kNaN});
  ir::Node leaky = make_node("LeakyRelu");
  leaky.attributes["alpha"] = float_attr(0.2f);
  expect_floats(run_node(leaky, {&x})[0], {-0.4f, -0.1f, 0, 3, kNaN});
  expect_floats(run1("Elu", {&x}), {std::expm1(-2.0f), std::expm1(-0.5f), 0, 3, kNaN});
  const float alpha = 1.67326319217681884765625f, gamma = 1.05070102214813232421875f;
  expect_floats(run1("Selu", {&x}),
                {gamma * (alpha * std::exp(-2.0f) - alpha), gamma * (alpha * std::exp(-0.5f) - alpha), 0, gamma * 3, kNaN});
  const Tensor ints = make<int64_t>({3}, {-4, 0, 4});
  EXPECT_EQ(values_of<int64_t>(run1("Relu", {&ints})), (std::vector<int64_t>{0, 0, 4}));
}

TEST(CpuElementwise, SigmoidSoftplusAreStableAtExtremes) {
  const Tensor x = make<float>({5}, {-1000, -1, 0, 1, 1000});
  expect_floats(run1("Sigmoid", {&x}), {0, 1 / (1 + std::exp(1.0f)), 0.5f, 1 / (1 + std::exp(-1.0f)), 1});
  expect_floats(run1("Softplus", {&x}), {0, std::log1p(std::exp(-1.0f)), std::log(2.0f), 1 + std::log1p(std::exp(-1.0f)), 1000});
  expect_floats(run1("Softsign", {&x}), {-1000.0f / 1001.0f, -0.5f, 0, 0.5f, 1000.0f / 1001.0f});
  expect_floats(run1("HardSigmoid", {&x}), {0, 0.3f, 0.5f, 0.7f, 1});
  const Tensor nan = make<float>({1}, {kNaN});
  expect_floats(run1("HardSigmoid", {&nan}), {kNaN});
  expect_floats(run1("Sigmoid", {&nan}), {kNaN});
}

TEST(CpuElementwise, GeluExactAndTanhApproximation) {
  const Tensor x = make<float>({4}, {-2, -0.5f, 0.5f, 3});
  std::vector<float> exact, approximate;
  for (double v : {-2.0, -0.5, 0.5, 3.0}) {
    exact.push_back(static_cast<float>(0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))));
    approximate.push_back(static_cast<float>(0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)))));
  }
  expect_floats(run1("Gelu", {&x}), exact, 1e-5f);
  ir::Node tanh_gelu = make_node("Gelu");
  tanh_gelu.attributes["approximate"] = string_attr("tanh");
  expect_floats(run_node(tanh_gelu, {&x})[0], approximate, 1e-5f);
  EXPECT_NE(exact[1], approximate[1]);
  ir::Node bad = make_node("Gelu");
  bad.attributes["approximate"] = string_attr("fast");
  input_error([&] { run_node(bad, {&x}); }, {"approximate", "fast"});
}

TEST(CpuElementwise, FloorCeilRoundHalfToEven) {
  const Tensor x = make<float>({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f, 2.6f});
  expect_floats(run1("Round", {&x}), {0, 2, 2, -0.0f, -2, 2, -3, 3});
  expect_floats(run1("Floor", {&x}), {0, 1, 2, -1, -2, 2, -3, 2});
  expect_floats(run1("Ceil", {&x}), {1, 2, 3, -0.0f, -1, 3, -2, 3});
}

TEST(CpuElementwise, IsNaNAndIsInf) {
  const Tensor x = make<float>({4}, {1, kNaN, kInf, -kInf});
  EXPECT_EQ(bools_of(run1("IsNaN", {&x})), (std::vector<int>{0, 1, 0, 0}));
  EXPECT_EQ(bools_of(run1("IsInf", {&x})), (std::vector<int>{0, 0, 1, 1}));
  ir::Node positive_only = make_node("IsInf");
  positive_only.attributes["detect_negative"] = int_attr(0);
  EXPECT_EQ(bools_of(run_node(positive_only, {&x})[0]), (std::vector<int>{0, 0, 1, 0}));
}

TEST(CpuElementwise, ClipWithOptionalBounds) {
  const Tensor x = make<float>({5}, {-3, -1, 0.5f, 4, kNaN});
  const Tensor low = make<float>({}, {-1.5f});
  const Tensor high = make<float>({1}, {2});
  expect_floats(run1("Clip", {&x, &low, &high}), {-1.5f, -1, 0.5f, 2, kNaN});
  expect_floats(run1("Clip", {&x, nullptr, &high}), {-3, -1, 0.5f, 2, kNaN});
  expect_floats(run1("Clip", {&x, &low}), {-1.5f, -1, 0.5f, 4, kNaN});
  const Tensor counts = make<int64_t>({3}, {0, 5, 100});
  const Tensor one = make<int64_t>({}, {1});
  EXPECT_EQ(values_of<int64_t>(run1("Clip", {&counts, &one})), (std::vector<int64_t>{1, 5, 100}));
  const Tensor not_scalar = make<float>({2}, {0, 1});
  input_error([&] { run1("Clip", {&x, &not_scalar}); }, {"min", "scalar", "[2]"});
}

TEST(CpuElementwise, CastAndCastLike) {
  const Tensor x = make<float>({4}, {2.7f, -1.5f, 0, 3});
  ir::Node to_int = make_node("Cast");
  to_int.attributes["to"] = int_attr(7);  // INT64
  const Tensor i = run_node(to_int, {&x})[0];
  EXPECT_EQ(i.dtype(), DType::Int64);
  EXPECT_EQ(values_of<int64_t>(i), (std::vector<int64_t>{2, -1, 0, 3}));
  ir::Node to_bool = make_node("Cast");
  to_bool.attributes["to"] = int_attr(9);  // BOOL
  EXPECT_EQ(bools_of(run_node(to_bool, {&x})[0]), (std::vector<int>{1, 1, 0, 1}));
  const Tensor like = make<double>({}, {0});
  const Tensor d = run1("CastLike", {&x, &like});
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_EQ(values_of<double>(d), (std::vector<double>{2.7f, -1.5f, 0, 3}));
  ir::Node to_string = make_node("Cast");
  to_string.attributes["to"] = int_attr(8);  // STRING
  input_error([&] { run_node(to_string, {&x}); }, {"Cast_under_test", "8"});
  input_error([&] { run1("Cast", {&x}); }, {"'to'"});
}

TEST(CpuElementwise, WhereBroadcastsAllThreeInputs) {
  const Tensor condition = make_bool({2, 1}, {1, 0});
  const Tensor x = make<float>({1, 3}, {1, 2, 3});
  const Tensor y = make<float>({}, {-1});
  const Tensor out = run1("Where", {&condition, &x, &y});
  EXPECT_EQ(out.shape(), (Dims{2, 3}));
  expect_floats(out, {1, 2, 3, -1, -1, -1});
  // The GCN pattern: Where(IsInf(d), 0, d).
  const Tensor degree = make<float>({3}, {kInf, 0.5f, kInf});
  const Tensor is_inf = run1("IsInf", {&degree});
  const Tensor zero = make<float>({}, {0});
  expect_floats(run1("Where", {&is_inf, &zero, &degree}), {0, 0.5f, 0});
  const Tensor ints = make<int64_t>({2}, {1, 0});
  input_error([&] { run1("Where", {&ints, &x, &y}); }, {"input 0", "bool"});
  const Tensor other = make<int64_t>({}, {0});
  input_error([&] { run1("Where", {&condition, &x, &other}); }, {"same dtype"});
}
