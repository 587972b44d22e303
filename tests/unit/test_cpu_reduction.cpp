// Tests of the CPU reduction and normalisation kernels, against hand-computed values and an
// independent naive reduction loop.
#include <gtest/gtest.h>
#include "core/openmp.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "backends/cpu/kernel_registry.h"
#include "cpu_kernel_test_support.h"

using namespace gnnrt;
using namespace gnnrt::cpu_kernel_test;

namespace {

// Reduce node with keepdims and an optional axes input.
Tensor reduce(const std::string& op, const Tensor& data, const std::vector<int64_t>* axes, bool keepdims = true) {
  ir::Node node = make_node(op);
  node.attributes["keepdims"] = int_attr(keepdims ? 1 : 0);
  if (!axes) return run_node(node, {&data}).at(0);
  const Tensor axes_tensor = make<int64_t>({static_cast<int64_t>(axes->size())}, *axes);
  return run_node(node, {&data, &axes_tensor}).at(0);
}

// Independent reference: visits every input element, maps it to its output element and folds.
std::vector<double> naive_reduce(const Tensor& data, const std::vector<bool>& reduced,
                                 const std::function<double(double, double)>& fold, double init) {
  const Dims& shape = data.shape();
  Dims out_shape;
  for (size_t d = 0; d < shape.size(); ++d) out_shape.push_back(reduced[d] ? 1 : shape[d]);
  std::vector<double> out(static_cast<size_t>(element_count(out_shape)), init);
  for (int64_t i = 0; i < data.numel(); ++i) {
    int64_t rest = i, out_index = 0, out_stride = 1;
    for (size_t d = shape.size(); d-- > 0;) {
      const int64_t coordinate = rest % shape[d];
      rest /= shape[d];
      if (!reduced[d]) out_index += coordinate * out_stride;
      out_stride *= out_shape[d];
    }
    out[static_cast<size_t>(out_index)] = fold(out[static_cast<size_t>(out_index)], data.data<float>()[i]);
  }
  return out;
}

Tensor ramp(Dims shape) {
  Tensor t(DType::Float32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>((i * 7) % 23) - 11.0f + 0.125f * static_cast<float>(i % 5);
  return t;
}

}  // namespace

// ---------------------------------------------------------------- Reduce*

TEST(CpuReduction, ReduceSumAxesAndKeepdims) {
  const Tensor x = make<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  const std::vector<int64_t> axis1{1}, axis0{0}, last{-1};
  Tensor y = reduce("ReduceSum", x, &axis1);
  EXPECT_EQ(y.shape(), (Dims{2, 1}));
  expect_floats(y, {6, 15});
  y = reduce("ReduceSum", x, &axis1, false);
  EXPECT_EQ(y.shape(), (Dims{2}));
  expect_floats(y, {6, 15});
  y = reduce("ReduceSum", x, &axis0, false);
  expect_floats(y, {5, 7, 9});
  expect_floats(reduce("ReduceSum", x, &last), {6, 15});
  y = reduce("ReduceSum", x, nullptr);
  EXPECT_EQ(y.shape(), (Dims{1, 1}));
  expect_floats(y, {21});
  y = reduce("ReduceSum", x, nullptr, false);
  EXPECT_EQ(y.shape(), (Dims{}));
  expect_floats(y, {21});
}

TEST(CpuReduction, EmptyAxesReduceAllUnlessNoop) {
  const Tensor x = make<float>({2, 2}, {1, 2, 3, 4});
  const Tensor no_axes(DType::Int64, {0});
  ir::Node node = make_node("ReduceSum");
  expect_floats(run_node(node, {&x, &no_axes})[0], {10});
  node.attributes["noop_with_empty_axes"] = int_attr(1);
  const Tensor same = run_node(node, {&x, &no_axes})[0];
  EXPECT_EQ(same.shape(), (Dims{2, 2}));
  expect_floats(same, {1, 2, 3, 4});
  expect_floats(run_node(node, {&x})[0], {1, 2, 3, 4});
}

TEST(CpuReduction, BadAxesAreInputErrors) {
  const Tensor x = make<float>({2, 2}, {1, 2, 3, 4});
  const std::vector<int64_t> out_of_range{2}, duplicate{1, -1};
  input_error([&] { reduce("ReduceMax", x, &out_of_range); }, {"ReduceMax_under_test", "axis 2", "rank 2"});
  input_error([&] { reduce("ReduceMax", x, &duplicate); }, {"more than once"});
  const Tensor float_axes = make<float>({1}, {0});
  input_error([&] { run_node(make_node("ReduceSum"), {&x, &float_axes}); }, {"axes", "float32"});
}

TEST(CpuReduction, EveryReduceOpOnHandValues) {
  const Tensor x = make<float>({2, 3}, {1, -2, 3, 4, 0.5f, -6});
  const std::vector<int64_t> axis1{1};
  expect_floats(reduce("ReduceMean", x, &axis1), {2.0f / 3.0f, -0.5f});
  expect_floats(reduce("ReduceMax", x, &axis1), {3, 4});
  expect_floats(reduce("ReduceMin", x, &axis1), {-2, -6});
  expect_floats(reduce("ReduceProd", x, &axis1), {-6, -12});
  expect_floats(reduce("ReduceSumSquare", x, &axis1), {14, 52.25f});
  expect_floats(reduce("ReduceL2", x, &axis1), {std::sqrt(14.0f), std::sqrt(52.25f)});
}

TEST(CpuReduction, IntegerReductions) {
  const Tensor x = make<int64_t>({2, 3}, {1, -2, 3, 4, 5, -6});
  const std::vector<int64_t> axis0{0}, axis1{1};
  EXPECT_EQ(values_of<int64_t>(reduce("ReduceSum", x, &axis0, false)), (std::vector<int64_t>{5, 3, -3}));
  EXPECT_EQ(values_of<int64_t>(reduce("ReduceMax", x, &axis1, false)), (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(values_of<int64_t>(reduce("ReduceMin", x, &axis1, false)), (std::vector<int64_t>{-2, -6}));
  EXPECT_EQ(values_of<int64_t>(reduce("ReduceProd", x, &axis1, false)), (std::vector<int64_t>{-6, -120}));
  EXPECT_EQ(values_of<int64_t>(reduce("ReduceMean", x, &axis1, false)), (std::vector<int64_t>{0, 1}));
  const Tensor i32 = make<int32_t>({3}, {2000000000, 2000000000, -1000000000});
  // The mean is exact although the running sum leaves int32's range.
  EXPECT_EQ(values_of<int32_t>(reduce("ReduceMean", i32, nullptr, false)), (std::vector<int32_t>{1000000000}));
}

TEST(CpuReduction, MaxAndMinPropagateNaN) {
  const Tensor x = make<float>({2, 3}, {1, kNaN, 3, 4, 5, kNaN});
  const std::vector<int64_t> axis1{1}, axis0{0};
  expect_floats(reduce("ReduceMax", x, &axis1), {kNaN, kNaN});
  expect_floats(reduce("ReduceMin", x, &axis0), {1, kNaN, kNaN});
  expect_floats(reduce("ReduceSum", x, &axis0), {5, kNaN, kNaN});
}

TEST(CpuReduction, ReducingAnEmptyAxisGivesTheIdentity) {
  const Tensor x(DType::Float32, {3, 0});
  const std::vector<int64_t> axis1{1}, axis0{0};
  expect_floats(reduce("ReduceSum", x, &axis1), {0, 0, 0});
  expect_floats(reduce("ReduceProd", x, &axis1), {1, 1, 1});
  expect_floats(reduce("ReduceMax", x, &axis1), {-kInf, -kInf, -kInf});
  expect_floats(reduce("ReduceMin", x, &axis1), {kInf, kInf, kInf});
  expect_floats(reduce("ReduceMean", x, &axis1), {kNaN, kNaN, kNaN});
  const Tensor kept = reduce("ReduceSum", x, &axis0);
  EXPECT_EQ(kept.shape(), (Dims{1, 0}));
  const Tensor ints(DType::Int32, {0, 2});
  EXPECT_EQ(values_of<int32_t>(reduce("ReduceMax", ints, &axis0, false)),
            (std::vector<int32_t>{std::numeric_limits<int32_t>::lowest(), std::numeric_limits<int32_t>::lowest()}));
}

TEST(CpuReduction, EveryAxisSubsetMatchesNaiveLoop) {
  const Tensor x = ramp({3, 4, 5, 2});
  for (int mask = 0; mask < 16; ++mask) {
    std::vector<int64_t> axes;
    std::vector<bool> reduced(4);
    for (int d = 0; d < 4; ++d)
      if (mask & (1 << d)) {
        axes.push_back(d);
        reduced[static_cast<size_t>(d)] = true;
      }
    if (axes.empty()) reduced.assign(4, true);  // no axes: all
    const std::vector<double> sums = naive_reduce(x, reduced, [](double a, double b) { return a + b; }, 0.0);
    const std::vector<double> maxima =
        naive_reduce(x, reduced, [](double a, double b) { return std::max(a, b); }, -INFINITY);
    const Tensor sum = reduce("ReduceSum", x, &axes);
    const Tensor max = reduce("ReduceMax", x, &axes);
    ASSERT_EQ(sum.numel(), static_cast<int64_t>(sums.size())) << "mask " << mask;
    for (size_t i = 0; i < sums.size(); ++i) {
      EXPECT_NEAR(sum.data<float>()[i], sums[i], 1e-6 * std::fabs(sums[i]) + 1e-5) << "mask " << mask << " element " << i;
      EXPECT_EQ(max.data<float>()[i], static_cast<float>(maxima[i])) << "mask " << mask << " element " << i;
    }
  }
}

TEST(CpuReduction, LargeReductionsAreDeterministicAcrossThreadCounts) {
  const Tensor x = ramp({1031, 67});  // > the parallel threshold
  const int saved = omp_get_max_threads();
  for (const std::vector<int64_t>& axes : {std::vector<int64_t>{0}, std::vector<int64_t>{1}, std::vector<int64_t>{}}) {
    omp_set_num_threads(1);
    const Tensor one = reduce("ReduceSum", x, &axes);
    omp_set_num_threads(4);
    const Tensor four = reduce("ReduceSum", x, &axes);
    omp_set_num_threads(3);
    const Tensor three = reduce("ReduceMean", x, &axes);
    ASSERT_EQ(one.numel(), four.numel());
    EXPECT_EQ(std::memcmp(one.raw(), four.raw(), one.nbytes()), 0);
    std::vector<bool> reduced{axes.empty() || axes[0] == 0, axes.empty() || axes[0] == 1};
    const std::vector<double> sums = naive_reduce(x, reduced, [](double a, double b) { return a + b; }, 0.0);
    const double count = static_cast<double>(x.numel() / one.numel());
    for (size_t i = 0; i < sums.size(); ++i) {
      EXPECT_NEAR(one.data<float>()[i], sums[i], 1e-6 * std::fabs(sums[i]) + 1e-4);
      EXPECT_NEAR(three.data<float>()[i], sums[i] / count, 1e-5);
    }
  }
  omp_set_num_threads(saved);
}

// ---------------------------------------------------------------- ArgMax / ArgMin

TEST(CpuReduction, ArgMaxArgMinWithTiesAndKeepdims) {
  const Tensor x = make<float>({2, 4}, {1, 5, 5, 2, 7, -1, 7, -1});
  ir::Node argmax = make_node("ArgMax");
  argmax.attributes["axis"] = int_attr(1);
  Tensor y = run_node(argmax, {&x})[0];
  EXPECT_EQ(y.dtype(), DType::Int64);
  EXPECT_EQ(y.shape(), (Dims{2, 1}));
  EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{1, 0}));
  argmax.attributes["select_last_index"] = int_attr(1);
  EXPECT_EQ(values_of<int64_t>(run_node(argmax, {&x})[0]), (std::vector<int64_t>{2, 2}));
  ir::Node argmin = make_node("ArgMin");
  argmin.attributes["keepdims"] = int_attr(0);  // default axis 0
  y = run_node(argmin, {&x})[0];
  EXPECT_EQ(y.shape(), (Dims{4}));
  EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{0, 1, 0, 1}));
  argmin.attributes["axis"] = int_attr(-1);
  argmin.attributes["select_last_index"] = int_attr(1);
  EXPECT_EQ(values_of<int64_t>(run_node(argmin, {&x})[0]), (std::vector<int64_t>{0, 3}));
}

TEST(CpuReduction, ArgMaxPicksNaNLikeNumpy) {
  const Tensor x = make<float>({4}, {1, kNaN, 9, kNaN});
  EXPECT_EQ(values_of<int64_t>(run_node(make_node("ArgMax"), {&x})[0]), (std::vector<int64_t>{1}));
  EXPECT_EQ(values_of<int64_t>(run_node(make_node("ArgMin"), {&x})[0]), (std::vector<int64_t>{1}));
  const Tensor ints = make<int32_t>({3}, {4, 9, 9});
  EXPECT_EQ(values_of<int64_t>(run_node(make_node("ArgMax"), {&ints})[0]), (std::vector<int64_t>{1}));
}

TEST(CpuReduction, ArgMaxOverEmptyAxisIsInputError) {
  const Tensor x(DType::Float32, {0, 3});
  input_error([&] { run_node(make_node("ArgMax"), {&x}); }, {"ArgMax_under_test", "size 0"});
  ir::Node other_axis = make_node("ArgMax");
  other_axis.attributes["axis"] = int_attr(1);
  EXPECT_EQ(run_node(other_axis, {&x})[0].shape(), (Dims{0, 1}));  // nothing to compute
}

// ---------------------------------------------------------------- Softmax / LogSoftmax

TEST(CpuReduction, SoftmaxLastAxisHandValuesAndStability) {
  const Tensor x = make<float>({2, 3}, {1, 2, 3, 1000, 1001, 1002});
  const double denominator = 1 + std::exp(1.0) + std::exp(2.0);
  const std::vector<float> expected{static_cast<float>(1 / denominator), static_cast<float>(std::exp(1.0) / denominator),
                                    static_cast<float>(std::exp(2.0) / denominator)};
  expect_floats(run_node(make_node("Softmax"), {&x})[0],
                {expected[0], expected[1], expected[2], expected[0], expected[1], expected[2]});
  const float log_denominator = static_cast<float>(std::log(denominator));
  expect_floats(run_node(make_node("LogSoftmax"), {&x})[0],
                {-log_denominator, 1 - log_denominator, 2 - log_denominator, -log_denominator, 1 - log_denominator,
                 2 - log_denominator},
                1e-5f);
}

TEST(CpuReduction, SoftmaxOverLeadingAxis) {
  const Tensor x = make<float>({2, 2}, {0, 5, std::log(3.0f), 5});
  ir::Node node = make_node("Softmax");
  node.attributes["axis"] = int_attr(0);
  expect_floats(run_node(node, {&x})[0], {0.25f, 0.5f, 0.75f, 0.5f});
  const Tensor with_nan = make<float>({2}, {kNaN, 1});
  expect_floats(run_node(make_node("Softmax"), {&with_nan})[0], {kNaN, kNaN});
}

// ---------------------------------------------------------------- CumSum

TEST(CpuReduction, CumSumExclusiveReverse) {
  const Tensor x = make<float>({4}, {1, 2, 3, 4});
  const Tensor axis = make<int64_t>({}, {0});
  ir::Node node = make_node("CumSum");
  expect_floats(run_node(node, {&x, &axis})[0], {1, 3, 6, 10});
  node.attributes["exclusive"] = int_attr(1);
  expect_floats(run_node(node, {&x, &axis})[0], {0, 1, 3, 6});
  node.attributes["reverse"] = int_attr(1);
  expect_floats(run_node(node, {&x, &axis})[0], {9, 7, 4, 0});
  node.attributes["exclusive"] = int_attr(0);
  expect_floats(run_node(node, {&x, &axis})[0], {10, 9, 7, 4});
}

TEST(CpuReduction, CumSumAlongEachAxisOfMatrix) {
  const Tensor x = make<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor axis0 = make<int32_t>({1}, {0});
  const Tensor axis1 = make<int64_t>({}, {-1});
  EXPECT_EQ(values_of<int64_t>(run_node(make_node("CumSum"), {&x, &axis0})[0]), (std::vector<int64_t>{1, 2, 3, 5, 7, 9}));
  EXPECT_EQ(values_of<int64_t>(run_node(make_node("CumSum"), {&x, &axis1})[0]), (std::vector<int64_t>{1, 3, 6, 4, 9, 15}));
  const Tensor bad_axis = make<int64_t>({}, {2});
  input_error([&] { run_node(make_node("CumSum"), {&x, &bad_axis}); }, {"axis 2"});
}

// ---------------------------------------------------------------- normalisations

TEST(CpuReduction, BatchNormalizationInference) {
  // X [N=1, C=2, 2]
  const Tensor x = make<float>({1, 2, 2}, {1, 3, 10, 20});
  const Tensor scale = make<float>({2}, {2, 0.5f});
  const Tensor bias = make<float>({2}, {1, -1});
  const Tensor mean = make<float>({2}, {2, 10});
  const Tensor var = make<float>({2}, {4, 25});
  ir::Node node = make_node("BatchNormalization");
  node.attributes["epsilon"] = float_attr(0.0f);
  // channel 0: (x-2)/2*2+1 ; channel 1: (x-10)/5*0.5-1
  expect_floats(run_node(node, {&x, &scale, &bias, &mean, &var})[0], {0, 2, -1, 0}, 1e-6f);
  node.attributes["training_mode"] = int_attr(1);
  input_error([&] { run_node(node, {&x, &scale, &bias, &mean, &var}); }, {"training_mode"});
  const Tensor short_scale = make<float>({1}, {1});
  input_error([&] { run_node(make_node("BatchNormalization"), {&x, &short_scale, &bias, &mean, &var}); },
                     {"scale", "[2]", "float32[1]"});
}

TEST(CpuReduction, LayerNormalizationLastAxis) {
  const Tensor x = make<float>({2, 4}, {1, 2, 3, 4, -2, -2, 2, 2});
  const Tensor scale = make<float>({4}, {1, 2, 1, 1});
  const Tensor bias = make<float>({4}, {0, 0, 0, 10});
  ir::Node node = make_node("LayerNormalization", 3);
  node.attributes["epsilon"] = float_attr(0.0f);
  const auto outputs = run_node(node, {&x, &scale, &bias});
  ASSERT_EQ(outputs.size(), 3u);
  const float s = 1 / std::sqrt(1.25f);  // row 0: mean 2.5, variance 1.25
  expect_floats(outputs[0], {-1.5f * s, -0.5f * s * 2, 0.5f * s, 1.5f * s + 10, -1, -2, 1, 11}, 1e-5f);
  EXPECT_EQ(outputs[1].shape(), (Dims{2, 1}));
  expect_floats(outputs[1], {2.5f, 0});
  expect_floats(outputs[2], {s, 0.5f}, 1e-5f);
}

TEST(CpuReduction, LayerNormalizationOverTrailingBlockWithBroadcastScale) {
  const Tensor x = make<float>({1, 2, 2}, {1, 2, 3, 4});
  const Tensor scale = make<float>({1}, {3});  // broadcasts to the normalised shape [2, 2]
  ir::Node node = make_node("LayerNormalization");
  node.attributes["axis"] = int_attr(1);
  node.attributes["epsilon"] = float_attr(0.0f);
  const auto outputs = run_node(node, {&x, &scale});
  ASSERT_EQ(outputs.size(), 1u);
  const float s = 3 / std::sqrt(1.25f);
  expect_floats(outputs[0], {-1.5f * s, -0.5f * s, 0.5f * s, 1.5f * s}, 1e-5f);
  const Tensor wrong = make<float>({3}, {1, 1, 1});
  input_error([&] { run_node(node, {&x, &wrong}); }, {"Scale", "[3]", "[2, 2]"});
}
