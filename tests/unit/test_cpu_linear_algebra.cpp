// Tests of the CPU MatMul and Gemm kernels (linear_algebra.cpp) against hand-computed values
// and an independent naive loop.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <stdexcept>

#include "backends/cpu/blas_core.h"
#include "backends/cpu/blas_gemm.h"
#include "core/openmp.h"
#include "backends/cpu/kernel_registry.h"
#include "cpu_kernel_test_support.h"

using namespace gnnrt;
using namespace gnnrt::cpu;
using namespace gnnrt::cpu_kernel_test;

namespace {

// Reference numpy matmul: broadcast batch dims by direct index arithmetic, accumulate in double
// (or wrapping uint64 for integers).
template <typename T>
std::vector<T> naive_matmul(const std::vector<T>& a, Dims as, const std::vector<T>& b, Dims bs, Dims* out_shape) {
  const bool av = as.size() == 1, bv = bs.size() == 1;
  if (av) as.insert(as.begin(), 1);
  if (bv) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  const size_t br = std::max(as.size(), bs.size()) - 2;
  Dims batch(br);
  auto dim_of = [&](const Dims& s, size_t i) {  // batch dim i of s, right-aligned, 1 if absent
    const size_t own = s.size() - 2;
    return i + own >= br ? s[i + own - br] : int64_t{1};
  };
  for (size_t i = 0; i < br; ++i) batch[i] = std::max(dim_of(as, i), dim_of(bs, i));
  *out_shape = batch;
  if (!av) out_shape->push_back(m);
  if (!bv) out_shape->push_back(n);
  int64_t count = 1;
  for (int64_t d : batch) count *= d;
  std::vector<T> out(static_cast<size_t>(count * m * n));
  for (int64_t bi = 0; bi < count; ++bi) {
    int64_t rest = bi, a_off = 0, b_off = 0, a_mul = m * k, b_mul = k * n;
    for (size_t i = br; i-- > 0;) {
      const int64_t coord = rest % batch[i];
      rest /= batch[i];
      const int64_t da = dim_of(as, i), db = dim_of(bs, i);
      a_off += (da == 1 ? 0 : coord) * a_mul;
      b_off += (db == 1 ? 0 : coord) * b_mul;
      a_mul *= da;
      b_mul *= db;
    }
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        if constexpr (std::is_integral_v<T>) {
          uint64_t acc = 0;
          for (int64_t p = 0; p < k; ++p)
            acc += static_cast<uint64_t>(a[static_cast<size_t>(a_off + i * k + p)]) *
                   static_cast<uint64_t>(b[static_cast<size_t>(b_off + p * n + j)]);
          out[static_cast<size_t>((bi * m + i) * n + j)] = static_cast<T>(acc);
        } else {
          double acc = 0;
          for (int64_t p = 0; p < k; ++p)
            acc += static_cast<double>(a[static_cast<size_t>(a_off + i * k + p)]) *
                   static_cast<double>(b[static_cast<size_t>(b_off + p * n + j)]);
          out[static_cast<size_t>((bi * m + i) * n + j)] = static_cast<T>(acc);
        }
      }
  }
  return out;
}

template <typename T>
std::vector<T> random_values(int64_t count, std::mt19937& rng) {
  std::vector<T> v(static_cast<size_t>(count));
  for (auto& x : v) {
    if constexpr (std::is_integral_v<T>) x = static_cast<T>(std::uniform_int_distribution<int>(-9, 9)(rng));
    else x = static_cast<T>(std::uniform_real_distribution<double>(-1, 1)(rng));
  }
  return v;
}

template <typename T>
void check_matmul_against_naive(Dims as, Dims bs, std::mt19937& rng) {
  int64_t an = 1, bn = 1;
  for (int64_t d : as) an *= d;
  for (int64_t d : bs) bn *= d;
  const auto av = random_values<T>(an, rng), bv = random_values<T>(bn, rng);
  Tensor a = make<T>(as, av), b = make<T>(bs, bv);
  Tensor y = run1("MatMul", {&a, &b});
  Dims expected_shape;
  const auto expected = naive_matmul(av, as, bv, bs, &expected_shape);
  ASSERT_EQ(y.shape(), expected_shape) << shape_to_string(as) << " @ " << shape_to_string(bs);
  const int64_t k = as.back();
  for (size_t i = 0; i < expected.size(); ++i) {
    if constexpr (std::is_integral_v<T>) {
      ASSERT_EQ(y.data<T>()[i], expected[i]);
    } else {
      // Each output sums k products of values in [-1, 1]; BLAS reorders the sum.
      const double tolerance = (std::is_same_v<T, float> ? 1e-6 : 1e-13) * static_cast<double>(k + 1) * 4;
      ASSERT_NEAR(y.data<T>()[i], expected[i], tolerance) << shape_to_string(as) << " @ " << shape_to_string(bs);
    }
  }
}

// OpenBLAS 0.3.21 falls back to SSE3 (Prescott) kernels on CPUs newer than it knows; with AVX2 or
// AVX-512 present, gnnrt has it use those (blas_core.h). The random-size tests below then check
// the reselected kernels' results.
TEST(CpuLinearAlgebra, BlasUsesTheCpusVectorKernels) {
  const std::string core = cpu::blas_core_name();
  if (core == "unknown") GTEST_SKIP() << "not OpenBLAS";
  if (std::getenv("OPENBLAS_CORETYPE")) GTEST_SKIP() << "OPENBLAS_CORETYPE is set: the user's choice";
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "no AVX2 on this CPU";
  EXPECT_NE(core, "Prescott");
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl"))
    EXPECT_NE(core, "Haswell") << "AVX-512 present but AVX2 kernels in use";
}

// Batch invariance (blas_gemm.h): each row of a product is byte for byte the row multiplied alone,
// whatever the number of rows around it, its position among them and the thread count; shapes of
// the fixtures' layers, windows of every size class at offsets that move rows across block
// positions. Plain OpenBLAS fails this (Skylake-X kernels: from K 32 with N 1 or 7 on).
template <typename T>
void expect_rows_equal_each_row_alone(bool trans_b, int64_t n, int64_t k, T beta) {
  SCOPED_TRACE("n " + std::to_string(n) + ", k " + std::to_string(k) + (trans_b ? ", B transposed" : "") +
               ", beta " + std::to_string(beta));
  constexpr int64_t kRows = 300;
  std::mt19937 rng(static_cast<uint32_t>(n * 7919 + k));
  const auto a = random_values<T>(kRows * k, rng), b = random_values<T>(k * n, rng), c = random_values<T>(kRows * n, rng);
  std::vector<T> alone(static_cast<size_t>(kRows * n));
  std::copy(c.begin(), c.end(), alone.begin());
  for (int64_t row = 0; row < kRows; ++row)
    cpu::blas_gemm(trans_b, 1, n, k, T{1}, a.data() + row * k, b.data(), beta, alone.data() + row * n);
  const int64_t block = cpu::gemm_block_rows(n, k);
  const int threads_before = omp_get_max_threads();
  for (const int threads : {1, threads_before}) {
    omp_set_num_threads(threads);
    for (const int64_t offset : {int64_t{0}, int64_t{1}, int64_t{7}, block - 1, block + 3})
      for (const int64_t m : {int64_t{1}, int64_t{2}, int64_t{5}, int64_t{17}, block - 1, block, block + 1,
                              2 * block + 5, kRows - offset}) {
        if (offset + m > kRows) continue;
        std::vector<T> batched(c.begin() + offset * n, c.begin() + (offset + m) * n);
        cpu::blas_gemm(trans_b, m, n, k, T{1}, a.data() + offset * k, b.data(), beta, batched.data());
        for (int64_t row = 0; row < m; ++row)
          ASSERT_EQ(std::memcmp(batched.data() + row * n, alone.data() + (offset + row) * n, sizeof(T) * n), 0)
              << "row " << row << " of " << m << " at offset " << offset << ", " << threads << " thread(s)";
      }
  }
  omp_set_num_threads(threads_before);
}

TEST(CpuLinearAlgebra, GemmRowsEqualEachRowAloneBitForBit) {
  if (!cpu::blas_rows_are_invariant()) GTEST_SKIP() << "OpenBLAS kernels " << cpu::blas_core_name() << " (blas_gemm.h)";
  for (const int64_t k : {8, 16, 32, 64, 1433})
    for (const int64_t n : {1, 7, 8, 16, 64})
      for (const bool trans_b : {false, true}) expect_rows_equal_each_row_alone<float>(trans_b, n, k, 0.0f);
  // beta != 0: the short last block carries its rows of C through the scratch block too.
  expect_rows_equal_each_row_alone<float>(false, 16, 32, 1.0f);
  expect_rows_equal_each_row_alone<double>(true, 7, 64, 0.5);
}

TEST(CpuLinearAlgebra, MatMulHandComputed) {
  Tensor a = make<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = make<float>({3, 2}, {7, 8, 9, 10, 11, 12});
  Tensor y = run1("MatMul", {&a, &b});
  EXPECT_EQ(y.shape(), (Dims{2, 2}));
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{58, 64, 139, 154}));
  Tensor v = make<int64_t>({3}, {1, -2, 3});
  Tensor m = make<int64_t>({3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor vm = run1("MatMul", {&v, &m});
  EXPECT_EQ(vm.shape(), (Dims{2}));
  EXPECT_EQ(values_of<int64_t>(vm), (std::vector<int64_t>{10, 12}));
  Tensor dot = run1("MatMul", {&v, &v});
  EXPECT_EQ(dot.shape(), Dims{});
  EXPECT_EQ(dot.data<int64_t>()[0], 14);
}

TEST(CpuLinearAlgebra, MatMulRandomSizesMatchNaiveLoop) {
  std::mt19937 rng(42);
  auto size = [&](int lo, int hi) { return static_cast<int64_t>(std::uniform_int_distribution<int>(lo, hi)(rng)); };
  for (int trial = 0; trial < 12; ++trial) {
    const int64_t m = size(1, 40), k = size(1, 70), n = size(1, 30);
    check_matmul_against_naive<float>({m, k}, {k, n}, rng);
    check_matmul_against_naive<double>({m, k}, {k, n}, rng);
    check_matmul_against_naive<int64_t>({m, k}, {k, n}, rng);
    check_matmul_against_naive<int32_t>({m, k}, {k, n}, rng);
  }
}

TEST(CpuLinearAlgebra, MatMulBatchedBroadcastAndVectors) {
  std::mt19937 rng(5);
  check_matmul_against_naive<float>({3, 4, 5}, {5, 6}, rng);         // shared B: one tall product
  check_matmul_against_naive<float>({4, 5}, {3, 5, 6}, rng);         // shared A
  check_matmul_against_naive<float>({2, 1, 4, 5}, {3, 5, 2}, rng);   // broadcast both ways
  check_matmul_against_naive<double>({2, 3, 4, 5}, {2, 3, 5, 7}, rng);
  check_matmul_against_naive<int64_t>({2, 1, 3, 4}, {1, 2, 4, 2}, rng);
  check_matmul_against_naive<float>({5}, {2, 5, 3}, rng);            // 1-D A, batched B
  check_matmul_against_naive<float>({2, 3, 5}, {5}, rng);            // batched A, 1-D B
  check_matmul_against_naive<int32_t>({7}, {7}, rng);                // dot product
  check_matmul_against_naive<float>({1, 200}, {200, 1}, rng);
}

TEST(CpuLinearAlgebra, MatMulEmptyDimensions) {
  Tensor a(DType::Float32, {2, 0}), b(DType::Float32, {0, 3});
  Tensor y = run1("MatMul", {&a, &b});
  EXPECT_EQ(y.shape(), (Dims{2, 3}));
  for (float v : values_of<float>(y)) EXPECT_EQ(v, 0.0f);
  Tensor no_rows(DType::Float32, {0, 4}), w = make<float>({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(run1("MatMul", {&no_rows, &w}).shape(), (Dims{0, 2}));
  Tensor empty_batch(DType::Float64, {0, 3, 4}), wd(DType::Float64, {4, 2});
  EXPECT_EQ(run1("MatMul", {&empty_batch, &wd}).shape(), (Dims{0, 3, 2}));
}

TEST(CpuLinearAlgebra, MatMulErrors) {
  Tensor a(DType::Float32, {2, 3}), b(DType::Float32, {4, 2});
  std::string message = input_error([&] { run1("MatMul", {&a, &b}); });
  EXPECT_TRUE(contains(message, "float32[2, 3]")) << message;
  EXPECT_TRUE(contains(message, "float32[4, 2]")) << message;
  Tensor c(DType::Float64, {3, 2});
  input_error([&] { run1("MatMul", {&a, &c}); });
  Tensor x(DType::Float32, {2, 2, 3}), y(DType::Float32, {3, 3, 2});
  input_error([&] { run1("MatMul", {&x, &y}); });
  Tensor flags(DType::Bool, {2, 2});
  input_error([&] { run1("MatMul", {&flags, &flags}); });
}

TEST(CpuLinearAlgebra, MatMulFloat16ComputesInFloat) {
  Tensor a = make<float>({2, 2}, {1, 2, 3, 4}), b = make<float>({2, 2}, {0.5f, -1, 2, 0.25f});
  Tensor ah = cast_tensor(a, DType::Float16), bh = cast_tensor(b, DType::Float16);
  Tensor y = run1("MatMul", {&ah, &bh});
  EXPECT_EQ(y.dtype(), DType::Float16);
  EXPECT_EQ(values_of<float>(cast_tensor(y, DType::Float32)), (std::vector<float>{4.5f, -0.5f, 9.5f, -2.0f}));
}

TEST(CpuLinearAlgebra, GemmTransposesAlphaBetaAndBias) {
  // A^T with A stored [K=3, M=2]; B^T with B stored [N=2, K=3].
  Tensor a = make<float>({3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor b = make<float>({2, 3}, {7, 9, 11, 8, 10, 12});
  Tensor bias = make<float>({2}, {1, -1});
  Tensor y = run1("Gemm", {&a, &b, &bias},
                  {{"transA", int_attr(1)}, {"transB", int_attr(1)}, {"alpha", float_attr(2)}, {"beta", float_attr(3)}});
  EXPECT_EQ(y.shape(), (Dims{2, 2}));
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{2 * 58 + 3, 2 * 64 - 3, 2 * 139 + 3, 2 * 154 - 3}));

  Tensor a2 = make<double>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b2 = make<double>({3, 2}, {7, 8, 9, 10, 11, 12});
  Tensor column = make<double>({2, 1}, {100, 200});
  EXPECT_EQ(values_of<double>(run1("Gemm", {&a2, &b2, &column})), (std::vector<double>{158, 164, 339, 354}));
  Tensor scalar = make<double>({}, {0.5});
  EXPECT_EQ(values_of<double>(run1("Gemm", {&a2, &b2, &scalar})), (std::vector<double>{58.5, 64.5, 139.5, 154.5}));
  Tensor full = make<double>({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(values_of<double>(run1("Gemm", {&a2, &b2, &full}, {{"beta", float_attr(-1)}})),
            (std::vector<double>{57, 62, 136, 150}));
  EXPECT_EQ(values_of<double>(run1("Gemm", {&a2, &b2})), (std::vector<double>{58, 64, 139, 154}));
  EXPECT_EQ(values_of<double>(run1("Gemm", {&a2, &b2, nullptr})), (std::vector<double>{58, 64, 139, 154}));
}

TEST(CpuLinearAlgebra, GemmIntegerAndEmpty) {
  Tensor a = make<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = make<int32_t>({3, 2}, {7, 8, 9, 10, 11, 12});
  Tensor c = make<int32_t>({2}, {1, 2});
  EXPECT_EQ(values_of<int32_t>(run1("Gemm", {&a, &b, &c})), (std::vector<int32_t>{59, 66, 140, 156}));

  Tensor a0(DType::Float32, {2, 0}), b0(DType::Float32, {0, 3});
  Tensor bias = make<float>({3}, {1, 2, 3});
  Tensor y = run1("Gemm", {&a0, &b0, &bias}, {{"beta", float_attr(2)}});
  EXPECT_EQ(y.shape(), (Dims{2, 3}));
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{2, 4, 6, 2, 4, 6}));
  Tensor no_rows(DType::Float32, {0, 3}), w(DType::Float32, {3, 4});
  EXPECT_EQ(run1("Gemm", {&no_rows, &w}).shape(), (Dims{0, 4}));
}

TEST(CpuLinearAlgebra, GemmRandomMatchesNaive) {
  std::mt19937 rng(9);
  // The last four have hundreds of rows: several of the row blocks the products are cut into, A
  // transposed or not (blas_gemm.h).
  for (int trial = 0; trial < 10; ++trial) {
    const int64_t m = trial < 6 ? 1 + static_cast<int64_t>(rng() % 30) : 300 + static_cast<int64_t>(rng() % 700),
                  k = 1 + static_cast<int64_t>(rng() % 50), n = 1 + static_cast<int64_t>(rng() % 20);
    const bool ta = trial < 6 ? rng() % 2 : trial % 2, tb = rng() % 2;
    const auto av = random_values<float>(m * k, rng), bv = random_values<float>(k * n, rng),
               cv = random_values<float>(n, rng);
    Tensor a = make<float>(ta ? Dims{k, m} : Dims{m, k}, av), b = make<float>(tb ? Dims{n, k} : Dims{k, n}, bv);
    Tensor c = make<float>({n}, cv);
    Tensor y = run1("Gemm", {&a, &b, &c},
                    {{"transA", int_attr(ta)}, {"transB", int_attr(tb)}, {"alpha", float_attr(0.5f)}, {"beta", float_attr(2)}});
    ASSERT_EQ(y.shape(), (Dims{m, n}));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p)
          acc += static_cast<double>(av[static_cast<size_t>(ta ? p * m + i : i * k + p)]) *
                 bv[static_cast<size_t>(tb ? j * k + p : p * n + j)];
        ASSERT_NEAR(y.data<float>()[i * n + j], 0.5 * acc + 2.0 * cv[static_cast<size_t>(j)], 1e-5 * (k + 1));
      }
  }
}

TEST(CpuLinearAlgebra, GemmErrors) {
  Tensor a(DType::Float32, {2, 3}), b(DType::Float32, {2, 3});
  std::string message = input_error([&] { run1("Gemm", {&a, &b}); });
  EXPECT_TRUE(contains(message, "Gemm_under_test")) << message;
  Tensor bt(DType::Float32, {4, 3});
  Tensor bad_bias(DType::Float32, {3});
  message = input_error([&] { run1("Gemm", {&a, &bt, &bad_bias}, {{"transB", int_attr(1)}}); });
  EXPECT_TRUE(contains(message, "float32[3]")) << message;
  Tensor v(DType::Float32, {3});
  input_error([&] { run1("Gemm", {&v, &bt}); });
}

}  // namespace
