// Tests of the CPU shape and data-movement kernels (shape_ops.cpp) against hand-computed values.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <stdexcept>

#include "backends/cpu/kernel_registry.h"
#include "cpu_kernel_test_support.h"

using namespace gnnrt;
using namespace gnnrt::cpu;
using namespace gnnrt::cpu_kernel_test;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Tensor i64(std::vector<int64_t> v) { return make<int64_t>({static_cast<int64_t>(v.size())}, v); }

TEST(CpuShapeOps, ShapeWithStartAndEnd) {
  Tensor x(DType::Float32, {2, 3, 4});
  Tensor s = run1("Shape", {&x});
  EXPECT_EQ(s.dtype(), DType::Int64);
  EXPECT_EQ(values_of<int64_t>(s), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(values_of<int64_t>(run1("Shape", {&x}, {{"start", int_attr(-2)}})), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(values_of<int64_t>(run1("Shape", {&x}, {{"start", int_attr(1)}, {"end", int_attr(-1)}})),
            (std::vector<int64_t>{3}));
  EXPECT_EQ(run1("Shape", {&x}, {{"start", int_attr(2)}, {"end", int_attr(1)}}).shape(), (Dims{0}));
  EXPECT_EQ(values_of<int64_t>(run1("Shape", {&x}, {{"start", int_attr(-10)}, {"end", int_attr(10)}})),
            (std::vector<int64_t>{2, 3, 4}));  // clamped
}

TEST(CpuShapeOps, SizeIsInt64Scalar) {
  Tensor x(DType::Int32, {2, 3, 5});
  Tensor s = run1("Size", {&x});
  EXPECT_EQ(s.shape(), Dims{});
  EXPECT_EQ(s.data<int64_t>()[0], 30);
}

TEST(CpuShapeOps, ReshapeInfersAndCopiesDims) {
  Tensor x = make<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor shape = i64({3, -1});
  Tensor y = run1("Reshape", {&x, &shape});
  EXPECT_EQ(y.shape(), (Dims{3, 2}));
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{1, 2, 3, 4, 5, 6}));

  Tensor z(DType::Int64, {2, 3, 4});
  Tensor copy_first = i64({0, -1});
  EXPECT_EQ(run1("Reshape", {&z, &copy_first}).shape(), (Dims{2, 12}));

  Tensor empty(DType::Float32, {0, 3});
  Tensor zero_dims = i64({0, 3});
  EXPECT_EQ(run1("Reshape", {&empty, &zero_dims}, {{"allowzero", int_attr(1)}}).shape(), (Dims{0, 3}));
  Tensor infer_from_empty = i64({-1, 3});
  EXPECT_EQ(run1("Reshape", {&empty, &infer_from_empty}).shape(), (Dims{0, 3}));
}

TEST(CpuShapeOps, ReshapeErrorsNameBothShapes) {
  Tensor x(DType::Float32, {2, 3});
  Tensor bad = i64({4, 2});
  const std::string message = input_error([&] { run1("Reshape", {&x, &bad}); });
  EXPECT_TRUE(contains(message, "[2, 3]")) << message;
  EXPECT_TRUE(contains(message, "[4, 2]")) << message;
  EXPECT_TRUE(contains(message, "Reshape_under_test")) << message;
  Tensor two_inferred = i64({-1, -1});
  input_error([&] { run1("Reshape", {&x, &two_inferred}); });
  Tensor not_divisible = i64({4, -1});
  input_error([&] { run1("Reshape", {&x, &not_divisible}); });
}

TEST(CpuShapeOps, FlattenNegativeAndZeroAxis) {
  Tensor x(DType::Float32, {2, 3, 4});
  EXPECT_EQ(run1("Flatten", {&x}).shape(), (Dims{2, 12}));
  EXPECT_EQ(run1("Flatten", {&x}, {{"axis", int_attr(-1)}}).shape(), (Dims{6, 4}));
  EXPECT_EQ(run1("Flatten", {&x}, {{"axis", int_attr(0)}}).shape(), (Dims{1, 24}));
  EXPECT_EQ(run1("Flatten", {&x}, {{"axis", int_attr(3)}}).shape(), (Dims{24, 1}));
  input_error([&] { run1("Flatten", {&x}, {{"axis", int_attr(4)}}); });
}

TEST(CpuShapeOps, SqueezeAndUnsqueeze) {
  Tensor x = make<int64_t>({1, 3, 1}, {7, 8, 9});
  Tensor last = i64({-1});
  Tensor y = run1("Squeeze", {&x, &last});
  EXPECT_EQ(y.shape(), (Dims{1, 3}));
  EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(run1("Squeeze", {&x}).shape(), (Dims{3}));
  Tensor middle = i64({1});
  const std::string message = input_error([&] { run1("Squeeze", {&x, &middle}); });
  EXPECT_TRUE(contains(message, "size is 3")) << message;

  Tensor v = make<int64_t>({3}, {7, 8, 9});
  Tensor axes = i64({0, -1});
  Tensor u = run1("Unsqueeze", {&v, &axes});
  EXPECT_EQ(u.shape(), (Dims{1, 3, 1}));
  EXPECT_EQ(values_of<int64_t>(u), (std::vector<int64_t>{7, 8, 9}));
  Tensor scalar = make<float>({}, {2.5f});
  Tensor zero = i64({0});
  EXPECT_EQ(run1("Unsqueeze", {&scalar, &zero}).shape(), (Dims{1}));
  Tensor duplicate = i64({0, 0});
  input_error([&] { run1("Unsqueeze", {&v, &duplicate}); });
  Tensor out_of_range = i64({3});
  input_error([&] { run1("Unsqueeze", {&v, &out_of_range}); });
}

TEST(CpuShapeOps, ConcatNegativeAxisAndEmptyInputs) {
  Tensor a = make<float>({2, 1}, {1, 2});
  Tensor b = make<float>({2, 2}, {3, 4, 5, 6});
  Tensor y = run1("Concat", {&a, &b}, {{"axis", int_attr(-1)}});
  EXPECT_EQ(y.shape(), (Dims{2, 3}));
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{1, 3, 4, 2, 5, 6}));

  Tensor c = make<int64_t>({1, 2}, {1, 2});
  Tensor empty(DType::Int64, {0, 2});
  Tensor d = make<int64_t>({2, 2}, {3, 4, 5, 6});
  Tensor z = run1("Concat", {&c, &empty, &d}, {{"axis", int_attr(0)}});
  EXPECT_EQ(z.shape(), (Dims{3, 2}));
  EXPECT_EQ(values_of<int64_t>(z), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));

  Tensor legacy_empty(DType::Int64, {0});  // torch.cat's legacy 1-D empty tensor
  EXPECT_EQ(values_of<int64_t>(run1("Concat", {&legacy_empty, &c}, {{"axis", int_attr(0)}})),
            (std::vector<int64_t>{1, 2}));

  Tensor wrong = make<int64_t>({1, 3}, {0, 0, 0});
  const std::string message = input_error([&] { run1("Concat", {&c, &wrong}, {{"axis", int_attr(0)}}); });
  EXPECT_TRUE(contains(message, "int64[1, 3]")) << message;
  Tensor other_type = make<int32_t>({1, 2}, {0, 0});
  input_error([&] { run1("Concat", {&c, &other_type}, {{"axis", int_attr(0)}}); });
}

TEST(CpuShapeOps, SplitBySizesCountAndEvenly) {
  Tensor x = make<int64_t>({5}, {1, 2, 3, 4, 5});
  Tensor sizes = i64({2, 3});
  auto parts = run_op("Split", {&x, &sizes}, {}, 2);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(values_of<int64_t>(parts[0]), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(values_of<int64_t>(parts[1]), (std::vector<int64_t>{3, 4, 5}));

  parts = run_op("Split", {&x}, {{"num_outputs", int_attr(2)}}, 2);
  EXPECT_EQ(values_of<int64_t>(parts[0]), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(values_of<int64_t>(parts[1]), (std::vector<int64_t>{4, 5}));

  Tensor m = make<float>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  parts = run_op("Split", {&m}, {{"axis", int_attr(-1)}}, 2);
  EXPECT_EQ(parts[0].shape(), (Dims{2, 2}));
  EXPECT_EQ(values_of<float>(parts[0]), (std::vector<float>{1, 2, 5, 6}));
  EXPECT_EQ(values_of<float>(parts[1]), (std::vector<float>{3, 4, 7, 8}));

  Tensor with_empty = i64({0, 4});
  parts = run_op("Split", {&m, &with_empty}, {{"axis", int_attr(1)}}, 2);
  EXPECT_EQ(parts[0].shape(), (Dims{2, 0}));
  EXPECT_EQ(values_of<float>(parts[1]), values_of<float>(m));

  Tensor bad_sum = i64({2, 2});
  const std::string message = input_error([&] { run_op("Split", {&x, &bad_sum}, {}, 2); });
  EXPECT_TRUE(contains(message, "sum to 4")) << message;
  input_error([&] { run_op("Split", {&x}, {}, 2); });  // 5 does not split evenly in 2
}

TEST(CpuShapeOps, SliceAsTorchWritesIt) {
  std::vector<int64_t> ten{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  Tensor x = make<int64_t>({10}, ten);
  Tensor starts = i64({2}), ends = i64({kMax});
  EXPECT_EQ(values_of<int64_t>(run1("Slice", {&x, &starts, &ends})), (std::vector<int64_t>{2, 3, 4, 5, 6, 7, 8, 9}));

  Tensor rstart = i64({-1}), rend = i64({kMin}), axes = i64({0}), rstep = i64({-1});
  EXPECT_EQ(values_of<int64_t>(run1("Slice", {&x, &rstart, &rend, &axes, &rstep})),
            (std::vector<int64_t>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));

  Tensor s2 = i64({-3}), e2 = i64({-100}), step2 = i64({-3});  // 7, 4, 1
  EXPECT_EQ(values_of<int64_t>(run1("Slice", {&x, &s2, &e2, &axes, &step2})), (std::vector<int64_t>{7, 4, 1}));

  Tensor s3 = i64({-100}), e3 = i64({3});  // clamped start
  EXPECT_EQ(values_of<int64_t>(run1("Slice", {&x, &s3, &e3})), (std::vector<int64_t>{0, 1, 2}));

  Tensor s4 = i64({6}), e4 = i64({2});
  EXPECT_EQ(run1("Slice", {&x, &s4, &e4}).shape(), (Dims{0}));

  // 2-D: every second column from the back, rows 1.. (axis -1 then axis 0).
  Tensor m = make<float>({3, 4}, {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23});
  Tensor ms = i64({-1, 1}), me = i64({kMin, kMax}), maxes = i64({-1, 0}), msteps = i64({-2, 1});
  Tensor y = run1("Slice", {&m, &ms, &me, &maxes, &msteps});
  EXPECT_EQ(y.shape(), (Dims{2, 2}));
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{13, 11, 23, 21}));

  Tensor nothing(DType::Float32, {0, 3});  // empty axis, reversed: still empty
  EXPECT_EQ(run1("Slice", {&nothing, &rstart, &rend, &axes, &rstep}).shape(), (Dims{0, 3}));

  Tensor zero_step = i64({0});
  input_error([&] { run1("Slice", {&x, &starts, &ends, &axes, &zero_step}); });
  Tensor bad_axis = i64({1});
  input_error([&] { run1("Slice", {&x, &starts, &ends, &bad_axis}); });
}

TEST(CpuShapeOps, SliceMatchesNaiveOnLargeInput) {
  // Large enough for the parallel path; checked against direct indexing.
  const int64_t rows = 300, cols = 200;
  std::vector<float> v(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.5f;
  Tensor x = make<float>({rows, cols}, v);
  Tensor starts = i64({5, 190}), ends = i64({290, 3}), axes = i64({0, 1}), steps = i64({3, -7});
  Tensor y = run1("Slice", {&x, &starts, &ends, &axes, &steps});
  ASSERT_EQ(y.shape(), (Dims{95, 27}));
  for (int64_t r = 0; r < 95; ++r)
    for (int64_t c = 0; c < 27; ++c)
      ASSERT_EQ(y.data<float>()[r * 27 + c], v[static_cast<size_t>((5 + 3 * r) * cols + (190 - 7 * c))]);
}

TEST(CpuShapeOps, TileRepeatsEachAxis) {
  Tensor x = make<int64_t>({2, 2}, {1, 2, 3, 4});
  Tensor reps = i64({2, 3});
  Tensor y = run1("Tile", {&x, &reps});
  EXPECT_EQ(y.shape(), (Dims{4, 6}));
  EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4,  //
                                                      1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}));
  Tensor zero = i64({0, 1});
  EXPECT_EQ(run1("Tile", {&x, &zero}).shape(), (Dims{0, 2}));
  Tensor wrong_length = i64({2});
  input_error([&] { run1("Tile", {&x, &wrong_length}); });
}

TEST(CpuShapeOps, ExpandBroadcastsBothWays) {
  Tensor x = make<float>({3, 1}, {1, 2, 3});
  Tensor shape = i64({2, 1, 4});
  Tensor y = run1("Expand", {&x, &shape});
  EXPECT_EQ(y.shape(), (Dims{2, 3, 4}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t c = 0; c < 4; ++c) EXPECT_EQ(y.data<float>()[(b * 3 + r) * 4 + c], static_cast<float>(r + 1));

  Tensor m = make<int64_t>({2, 2}, {1, 2, 3, 4});
  Tensor ones = i64({1, 1});  // a smaller target keeps the data's shape (bidirectional)
  Tensor z = run1("Expand", {&m, &ones});
  EXPECT_EQ(z.shape(), (Dims{2, 2}));
  EXPECT_EQ(values_of<int64_t>(z), (std::vector<int64_t>{1, 2, 3, 4}));

  Tensor v = make<int64_t>({3}, {1, 2, 3});
  Tensor bad = i64({4});
  const std::string message = input_error([&] { run1("Expand", {&v, &bad}); });
  EXPECT_TRUE(contains(message, "int64[3]")) << message;
  Tensor to_empty = i64({0, 3});
  EXPECT_EQ(run1("Expand", {&v, &to_empty}).shape(), (Dims{0, 3}));
}

TEST(CpuShapeOps, TransposeDefaultAndPermuted) {
  Tensor x = make<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor y = run1("Transpose", {&x});
  EXPECT_EQ(y.shape(), (Dims{3, 2}));
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{1, 4, 2, 5, 3, 6}));

  const int64_t a = 4, b = 50, c = 70;  // large enough for the parallel path
  std::vector<int64_t> v(static_cast<size_t>(a * b * c));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(i * 7 + 1);
  Tensor t = make<int64_t>({a, b, c}, v);
  Tensor p = run1("Transpose", {&t}, {{"perm", ints_attr({2, 0, 1})}});
  ASSERT_EQ(p.shape(), (Dims{c, a, b}));
  for (int64_t k = 0; k < c; ++k)
    for (int64_t i = 0; i < a; ++i)
      for (int64_t j = 0; j < b; ++j)
        ASSERT_EQ(p.data<int64_t>()[(k * a + i) * b + j], v[static_cast<size_t>((i * b + j) * c + k)]);
  input_error([&] { run1("Transpose", {&t}, {{"perm", ints_attr({0, 0, 1})}}); });
}

TEST(CpuShapeOps, ConstantOfShapeValueAndDefault) {
  Tensor shape = i64({2, 3});
  Tensor zeros = run1("ConstantOfShape", {&shape});
  EXPECT_EQ(zeros.dtype(), DType::Float32);
  EXPECT_EQ(zeros.shape(), (Dims{2, 3}));
  Tensor seven = make<int64_t>({1}, {7});
  Tensor y = run1("ConstantOfShape", {&shape}, {{"value", tensor_attr(seven)}});
  EXPECT_EQ(y.dtype(), DType::Int64);
  EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>(6, 7)));
  Tensor no_dims(DType::Int64, {0});
  Tensor scalar = run1("ConstantOfShape", {&no_dims}, {{"value", tensor_attr(make<float>({1}, {1.5f}))}});
  EXPECT_EQ(scalar.shape(), Dims{});
  EXPECT_EQ(scalar.data<float>()[0], 1.5f);
  Tensor negative = i64({-2});
  input_error([&] { run1("ConstantOfShape", {&negative}); });
}

TEST(CpuShapeOps, RangeIntegerAndFloat) {
  Tensor s = make<int64_t>({}, {0}), l = make<int64_t>({}, {5}), d = make<int64_t>({}, {2});
  EXPECT_EQ(values_of<int64_t>(run1("Range", {&s, &l, &d})), (std::vector<int64_t>{0, 2, 4}));
  Tensor s32 = make<int32_t>({}, {10}), l32 = make<int32_t>({}, {4}), d32 = make<int32_t>({}, {-3});
  EXPECT_EQ(values_of<int32_t>(run1("Range", {&s32, &l32, &d32})), (std::vector<int32_t>{10, 7}));
  Tensor sf = make<float>({}, {1.0f}), lf = make<float>({}, {0.0f}), df = make<float>({}, {-0.25f});
  EXPECT_EQ(values_of<float>(run1("Range", {&sf, &lf, &df})), (std::vector<float>{1.0f, 0.75f, 0.5f, 0.25f}));
  Tensor backwards = make<int64_t>({}, {-1});
  EXPECT_EQ(run1("Range", {&l, &s, &d}).shape(), (Dims{0}));
  EXPECT_EQ(values_of<int64_t>(run1("Range", {&l, &s, &backwards})), (std::vector<int64_t>{5, 4, 3, 2, 1}));
  Tensor zero = make<int64_t>({}, {0});
  input_error([&] { run1("Range", {&s, &l, &zero}); });
  input_error([&] { run1("Range", {&s, &lf, &d}); });  // mixed dtypes
}

TEST(CpuShapeOps, PadConstantEdgeReflect) {
  Tensor x = make<float>({2, 2}, {1, 2, 3, 4});
  Tensor pads = i64({1, 0, 0, 1});  // one row before, one column after
  Tensor nine = make<float>({}, {9});
  Tensor y = run1("Pad", {&x, &pads, &nine});
  EXPECT_EQ(y.shape(), (Dims{3, 3}));
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{9, 9, 9, 1, 2, 9, 3, 4, 9}));
  EXPECT_EQ(values_of<float>(run1("Pad", {&x, &pads})), (std::vector<float>{0, 0, 0, 1, 2, 0, 3, 4, 0}));

  Tensor v = make<int64_t>({3}, {1, 2, 3});
  Tensor two = i64({2, 2});
  EXPECT_EQ(values_of<int64_t>(run1("Pad", {&v, &two}, {{"mode", string_attr("reflect")}})),
            (std::vector<int64_t>{3, 2, 1, 2, 3, 2, 1}));
  EXPECT_EQ(values_of<int64_t>(run1("Pad", {&v, &two}, {{"mode", string_attr("edge")}})),
            (std::vector<int64_t>{1, 1, 1, 2, 3, 3, 3}));
  Tensor crop = i64({-1, 1});
  EXPECT_EQ(values_of<int64_t>(run1("Pad", {&v, &crop})), (std::vector<int64_t>{2, 3, 0}));
  Tensor axes = i64({-1});
  Tensor col_pads = i64({1, 1});
  EXPECT_EQ(values_of<float>(run1("Pad", {&x, &col_pads, nullptr, &axes})),
            (std::vector<float>{0, 1, 2, 0, 0, 3, 4, 0}));
  Tensor too_few = i64({1});
  input_error([&] { run1("Pad", {&x, &too_few}); });
}

TEST(CpuShapeOps, IdentityAndDropoutPassThrough) {
  Tensor x = make<float>({3}, {1, -2, 3});
  EXPECT_EQ(values_of<float>(run1("Identity", {&x})), (std::vector<float>{1, -2, 3}));
  auto outputs = run_op("Dropout", {&x}, {}, 2);
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(values_of<float>(outputs[0]), (std::vector<float>{1, -2, 3}));
  EXPECT_EQ(outputs[1].dtype(), DType::Bool);
  EXPECT_EQ(values_of<bool>(outputs[1]), (std::vector<bool>{true, true, true}));
  Tensor ratio = make<float>({}, {0.5f});
  Tensor training = make<bool>({}, {true});
  input_error([&] { run_op("Dropout", {&x, &ratio, &training}, {}, 1); });
}

}  // namespace
