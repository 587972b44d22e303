// Tests of the CPU indexing kernels (index_ops.cpp): hand-computed cases, index validation,
// comparisons with naive loops, and bit-exact determinism across thread counts.
#include <gtest/gtest.h>
#include "core/openmp.h"

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <stdexcept>

#include "backends/cpu/kernel_registry.h"
#include "cpu_kernel_test_support.h"

using namespace gnnrt;
using namespace gnnrt::cpu;
using namespace gnnrt::cpu_kernel_test;

namespace {

Tensor i64(Dims shape, std::vector<int64_t> v) { return make<int64_t>(std::move(shape), std::move(v)); }

TEST(CpuIndexOps, GatherRowsWithNegativeIndex) {
  Tensor x = make<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor idx = i64({4}, {2, 0, -1, 1});
  Tensor y = run1("Gather", {&x, &idx});
  EXPECT_EQ(y.shape(), (Dims{4, 2}));
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{5, 6, 1, 2, 5, 6, 3, 4}));
}

TEST(CpuIndexOps, GatherAxisOneWith2DInt32Indices) {
  Tensor x = make<int64_t>({2, 3}, {10, 11, 12, 20, 21, 22});
  Tensor idx = make<int32_t>({2, 2}, {2, 0, -2, 2});
  Tensor y = run1("Gather", {&x, &idx}, {{"axis", int_attr(-1)}});
  EXPECT_EQ(y.shape(), (Dims{2, 2, 2}));
  EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{12, 10, 11, 12, 22, 20, 21, 22}));
  Tensor scalar = make<int64_t>({}, {1});
  Tensor row = run1("Gather", {&x, &scalar});
  EXPECT_EQ(row.shape(), (Dims{3}));
  EXPECT_EQ(values_of<int64_t>(row), (std::vector<int64_t>{20, 21, 22}));
  Tensor none(DType::Int64, {0});
  EXPECT_EQ(run1("Gather", {&x, &none}).shape(), (Dims{0, 3}));
}

TEST(CpuIndexOps, GatherOutOfRangeNamesValueAndRange) {
  Tensor x = make<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor idx = i64({3}, {0, 7, 1});
  std::string message = input_error([&] { run1("Gather", {&x, &idx}); });
  EXPECT_TRUE(contains(message, "index 7")) << message;
  EXPECT_TRUE(contains(message, "[-3, 2]")) << message;
  EXPECT_TRUE(contains(message, "Gather_under_test")) << message;
  Tensor low = make<int32_t>({1}, {-4});
  message = input_error([&] { run1("Gather", {&x, &low}); });
  EXPECT_TRUE(contains(message, "-4")) << message;
  Tensor empty(DType::Float32, {0, 2});
  Tensor zero = i64({1}, {0});
  input_error([&] { run1("Gather", {&empty, &zero}); });
  Tensor float_indices = make<float>({1}, {0});
  input_error([&] { run1("Gather", {&x, &float_indices}); });
}

TEST(CpuIndexOps, GatherLargeMatchesNaive) {
  // The GNN shape: E rows of x[N, F], big enough for the parallel path.
  const int64_t n = 500, f = 33, e = 4000;
  std::mt19937 rng(7);
  std::vector<float> xv(static_cast<size_t>(n * f));
  for (auto& v : xv) v = std::uniform_real_distribution<float>(-1, 1)(rng);
  std::vector<int64_t> iv(static_cast<size_t>(e));
  for (auto& v : iv) v = std::uniform_int_distribution<int64_t>(-n, n - 1)(rng);
  Tensor x = make<float>({n, f}, xv), idx = i64({e}, iv);
  Tensor y = run1("Gather", {&x, &idx});
  ASSERT_EQ(y.shape(), (Dims{e, f}));
  for (int64_t r = 0; r < e; ++r) {
    const int64_t src = iv[static_cast<size_t>(r)] < 0 ? iv[static_cast<size_t>(r)] + n : iv[static_cast<size_t>(r)];
    for (int64_t c = 0; c < f; ++c) ASSERT_EQ(y.data<float>()[r * f + c], xv[static_cast<size_t>(src * f + c)]);
  }
}

TEST(CpuIndexOps, GatherElementsSpecExamples) {
  Tensor data = make<float>({2, 2}, {1, 2, 3, 4});
  Tensor idx = i64({2, 2}, {0, 0, 1, 0});
  EXPECT_EQ(values_of<float>(run1("GatherElements", {&data, &idx}, {{"axis", int_attr(1)}})),
            (std::vector<float>{1, 1, 4, 3}));
  Tensor d3 = make<int64_t>({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor idx2 = i64({2, 3}, {1, 2, 0, 2, 0, -3});
  Tensor y = run1("GatherElements", {&d3, &idx2});
  EXPECT_EQ(y.shape(), (Dims{2, 3}));
  EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{4, 8, 3, 7, 2, 3}));
  Tensor bad = i64({2, 3}, {1, 2, 0, 2, 3, 0});
  const std::string message = input_error([&] { run1("GatherElements", {&d3, &bad}); });
  EXPECT_TRUE(contains(message, "index 3")) << message;
  EXPECT_TRUE(contains(message, "[1, 1]")) << message;  // where in indices
  Tensor too_wide = i64({1, 4}, {0, 0, 0, 0});
  input_error([&] { run1("GatherElements", {&d3, &too_wide}); });
}

TEST(CpuIndexOps, GatherNDSpecExamples) {
  Tensor d = make<int32_t>({2, 2}, {0, 1, 2, 3});
  Tensor full = i64({2, 2}, {0, 0, 1, 1});
  EXPECT_EQ(values_of<int32_t>(run1("GatherND", {&d, &full})), (std::vector<int32_t>{0, 3}));
  Tensor rows = i64({2, 1}, {1, 0});
  Tensor y = run1("GatherND", {&d, &rows});
  EXPECT_EQ(y.shape(), (Dims{2, 2}));
  EXPECT_EQ(values_of<int32_t>(y), (std::vector<int32_t>{2, 3, 0, 1}));

  Tensor d3 = make<float>({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  Tensor batched = i64({2, 1}, {1, 0});
  Tensor z = run1("GatherND", {&d3, &batched}, {{"batch_dims", int_attr(1)}});
  EXPECT_EQ(z.shape(), (Dims{2, 2}));
  EXPECT_EQ(values_of<float>(z), (std::vector<float>{2, 3, 4, 5}));
  Tensor negative = i64({1, 2}, {-1, -2});
  EXPECT_EQ(values_of<int32_t>(run1("GatherND", {&d, &negative})), (std::vector<int32_t>{2}));
  Tensor bad = i64({1, 2}, {0, 2});
  const std::string message = input_error([&] { run1("GatherND", {&d, &bad}); });
  EXPECT_TRUE(contains(message, "index 2")) << message;
}

TEST(CpuIndexOps, ScatterElementsNoneAndNegativeAxis) {
  Tensor data = make<float>({1, 5}, {1, 2, 3, 4, 5});
  Tensor idx = i64({1, 2}, {1, 3});
  Tensor upd = make<float>({1, 2}, {1.1f, 2.1f});
  EXPECT_EQ(values_of<float>(run1("ScatterElements", {&data, &idx, &upd}, {{"axis", int_attr(-1)}})),
            (std::vector<float>{1, 1.1f, 3, 2.1f, 5}));
  EXPECT_EQ(values_of<float>(data), (std::vector<float>{1, 2, 3, 4, 5}));  // input untouched

  Tensor d2 = make<int64_t>({3, 3}, {0, 0, 0, 0, 0, 0, 0, 0, 0});
  Tensor i2 = i64({2, 3}, {1, 0, 2, 0, 2, -2});
  Tensor u2 = i64({2, 3}, {10, 11, 12, 20, 21, 22});
  EXPECT_EQ(values_of<int64_t>(run1("ScatterElements", {&d2, &i2, &u2})),
            (std::vector<int64_t>{20, 11, 0, 10, 0, 22, 0, 21, 12}));
}

TEST(CpuIndexOps, ScatterElementsReductionsWithDuplicates) {
  Tensor data = make<float>({4}, {1, 2, 3, 4});
  Tensor idx = make<int32_t>({5}, {0, 2, 0, -1, 0});
  Tensor upd = make<float>({5}, {10, 20, 30, 40, -5});
  EXPECT_EQ(values_of<float>(run1("ScatterElements", {&data, &idx, &upd}, {{"reduction", string_attr("add")}})),
            (std::vector<float>{36, 2, 23, 44}));
  EXPECT_EQ(values_of<float>(run1("ScatterElements", {&data, &idx, &upd}, {{"reduction", string_attr("mul")}})),
            (std::vector<float>{-1500, 2, 60, 160}));
  EXPECT_EQ(values_of<float>(run1("ScatterElements", {&data, &idx, &upd}, {{"reduction", string_attr("max")}})),
            (std::vector<float>{30, 2, 20, 40}));
  EXPECT_EQ(values_of<float>(run1("ScatterElements", {&data, &idx, &upd}, {{"reduction", string_attr("min")}})),
            (std::vector<float>{-5, 2, 3, 4}));
  // none with duplicates: the last update in index order wins.
  EXPECT_EQ(values_of<float>(run1("ScatterElements", {&data, &idx, &upd})), (std::vector<float>{-5, 2, 20, 40}));

  Tensor ints = make<int32_t>({2}, {1, 1});
  Tensor ii = i64({3}, {1, 1, 0});
  Tensor iu = make<int32_t>({3}, {5, 6, 7});
  EXPECT_EQ(values_of<int32_t>(run1("ScatterElements", {&ints, &ii, &iu}, {{"reduction", string_attr("add")}})),
            (std::vector<int32_t>{8, 12}));
  input_error([&] { run1("ScatterElements", {&data, &idx, &upd}, {{"reduction", string_attr("mean")}}); });
}

TEST(CpuIndexOps, ScatterElementsOutOfRangeNamesValue) {
  Tensor data = make<float>({3, 2}, {0, 0, 0, 0, 0, 0});
  Tensor idx = i64({2, 2}, {0, 1, 2, 3});
  Tensor upd = make<float>({2, 2}, {1, 2, 3, 4});
  const std::string message =
      input_error([&] { run1("ScatterElements", {&data, &idx, &upd}, {{"reduction", string_attr("add")}}); });
  EXPECT_TRUE(contains(message, "index 3")) << message;
  EXPECT_TRUE(contains(message, "[-3, 2]")) << message;
  Tensor wrong_updates = make<float>({2, 1}, {1, 2});
  input_error([&] { run1("ScatterElements", {&data, &idx, &wrong_updates}); });
  Tensor empty_idx(DType::Int64, {0, 2});
  Tensor empty_upd(DType::Float32, {0, 2});
  EXPECT_EQ(run1("ScatterElements", {&data, &empty_idx, &empty_upd}).shape(), (Dims{3, 2}));
}

// The PyG message-passing pattern: updates [E, F] added into zeros [N, F] at rows given by an
// index expanded to [E, F]. Checked against a naive loop in index order: bit-identical.
std::vector<float> naive_scatter_add_rows(const std::vector<float>& base, const std::vector<int64_t>& rows,
                                          const std::vector<float>& updates, int64_t f) {
  std::vector<float> out = base;
  for (size_t e = 0; e < rows.size(); ++e)
    for (int64_t c = 0; c < f; ++c)
      out[static_cast<size_t>(rows[e] * f + c)] += updates[e * static_cast<size_t>(f) + static_cast<size_t>(c)];
  return out;
}

struct ScatterCase {
  Tensor data, index, updates;
  std::vector<float> base, updates_values;
  std::vector<int64_t> rows;
};

ScatterCase random_scatter_case(int64_t n, int64_t f, int64_t e, unsigned seed) {
  std::mt19937 rng(seed);
  ScatterCase c;
  c.base.resize(static_cast<size_t>(n * f));
  for (auto& v : c.base) v = std::uniform_real_distribution<float>(-1, 1)(rng);
  // Heavy duplicates: most edges hit a handful of hub nodes; magnitudes vary so order matters.
  c.rows.resize(static_cast<size_t>(e));
  for (auto& r : c.rows)
    r = rng() % 4 == 0 ? std::uniform_int_distribution<int64_t>(0, n - 1)(rng) : static_cast<int64_t>(rng() % 3);
  c.updates_values.resize(static_cast<size_t>(e * f));
  for (auto& v : c.updates_values)
    v = std::uniform_real_distribution<float>(-1, 1)(rng) * std::pow(10.0f, static_cast<float>(rng() % 7) - 3.0f);
  std::vector<int64_t> expanded(static_cast<size_t>(e * f));
  for (int64_t i = 0; i < e; ++i)
    for (int64_t j = 0; j < f; ++j) expanded[static_cast<size_t>(i * f + j)] = c.rows[static_cast<size_t>(i)];
  c.data = make<float>({n, f}, c.base);
  c.index = make<int64_t>({e, f}, expanded);
  c.updates = make<float>({e, f}, c.updates_values);
  return c;
}

TEST(CpuIndexOps, ScatterElementsAddMatchesIndexOrderSum) {
  for (int64_t f : {1, 7, 16, 300}) {
    ScatterCase c = random_scatter_case(50, f, 3000, static_cast<unsigned>(f));
    Tensor y = run1("ScatterElements", {&c.data, &c.index, &c.updates}, {{"reduction", string_attr("add")}});
    const auto expected = naive_scatter_add_rows(c.base, c.rows, c.updates_values, f);
    ASSERT_EQ(y.numel(), static_cast<int64_t>(expected.size()));
    EXPECT_EQ(std::memcmp(y.raw(), expected.data(), y.nbytes()), 0) << "F=" << f;
  }
}

TEST(CpuIndexOps, ScatterElementsAddIsDeterministicAcrossThreadCounts) {
  ScatterCase c = random_scatter_case(200, 64, 20000, 11);
  const int saved = omp_get_max_threads();
  std::vector<Tensor> results;
  for (int threads : {1, 2, 3, 4}) {
    omp_set_num_threads(threads);
    results.push_back(
        run1("ScatterElements", {&c.data, &c.index, &c.updates}, {{"reduction", string_attr("add")}}));
  }
  omp_set_num_threads(saved);
  for (size_t i = 1; i < results.size(); ++i)
    EXPECT_EQ(std::memcmp(results[0].raw(), results[i].raw(), results[0].nbytes()), 0)
        << "thread count " << i + 1 << " differs from 1 thread";
  const auto expected = naive_scatter_add_rows(c.base, c.rows, c.updates_values, 64);
  EXPECT_EQ(std::memcmp(results[0].raw(), expected.data(), results[0].nbytes()), 0);
}

TEST(CpuIndexOps, ScatterNDSpecExampleAndReductions) {
  Tensor data = make<float>({8}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor idx = i64({4, 1}, {4, 3, 1, 7});
  Tensor upd = make<float>({4}, {9, 10, 11, 12});
  EXPECT_EQ(values_of<float>(run1("ScatterND", {&data, &idx, &upd})), (std::vector<float>{1, 11, 3, 10, 9, 6, 7, 12}));

  Tensor m = make<int64_t>({3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor rows = i64({3, 1}, {2, -3, 2});
  Tensor slices = i64({3, 2}, {10, 20, 30, 40, 50, 60});
  EXPECT_EQ(values_of<int64_t>(run1("ScatterND", {&m, &rows, &slices}, {{"reduction", string_attr("add")}})),
            (std::vector<int64_t>{31, 42, 3, 4, 65, 86}));
  EXPECT_EQ(values_of<int64_t>(run1("ScatterND", {&m, &rows, &slices}, {{"reduction", string_attr("mul")}})),
            (std::vector<int64_t>{30, 80, 3, 4, 2500, 7200}));
  Tensor bad = i64({3, 1}, {2, 3, 0});
  const std::string message = input_error([&] { run1("ScatterND", {&m, &bad, &slices}); });
  EXPECT_TRUE(contains(message, "index 3")) << message;
  EXPECT_TRUE(contains(message, "[-3, 2]")) << message;
  Tensor wrong_shape = i64({3}, {1, 2, 3});
  input_error([&] { run1("ScatterND", {&m, &rows, &wrong_shape}); });
}

TEST(CpuIndexOps, ScatterNDLargeSlicesWithDuplicatesMatchNaive) {
  const int64_t n = 10, f = 4096, t = 25;
  std::mt19937 rng(3);
  std::vector<float> base(static_cast<size_t>(n * f)), updates(static_cast<size_t>(t * f));
  for (auto& v : base) v = std::uniform_real_distribution<float>(-1, 1)(rng);
  for (auto& v : updates) v = std::uniform_real_distribution<float>(-100, 100)(rng);
  std::vector<int64_t> rows(static_cast<size_t>(t));
  for (auto& r : rows) r = static_cast<int64_t>(rng() % 3);
  Tensor data = make<float>({n, f}, base), idx = i64({t, 1}, rows), upd = make<float>({t, f}, updates);
  Tensor y = run1("ScatterND", {&data, &idx, &upd}, {{"reduction", string_attr("add")}});
  EXPECT_EQ(std::memcmp(y.raw(), naive_scatter_add_rows(base, rows, updates, f).data(), y.nbytes()), 0);
}

TEST(CpuIndexOps, NonZeroCoordinates) {
  Tensor x = make<int64_t>({2, 2}, {1, 0, 1, 1});
  Tensor y = run1("NonZero", {&x});
  EXPECT_EQ(y.dtype(), DType::Int64);
  EXPECT_EQ(y.shape(), (Dims{2, 3}));
  EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{0, 1, 1, 0, 0, 1}));
  Tensor b = make<bool>({4}, {false, true, false, true});
  EXPECT_EQ(values_of<int64_t>(run1("NonZero", {&b})), (std::vector<int64_t>{1, 3}));
  Tensor f = make<float>({3}, {-0.0f, 0.5f, 0.0f});
  EXPECT_EQ(values_of<int64_t>(run1("NonZero", {&f})), (std::vector<int64_t>{1}));
  Tensor empty(DType::Float32, {0, 3});
  EXPECT_EQ(run1("NonZero", {&empty}).shape(), (Dims{2, 0}));
  Tensor scalar = make<int32_t>({}, {5});
  EXPECT_EQ(run1("NonZero", {&scalar}).shape(), (Dims{1, 1}));
}

}  // namespace
