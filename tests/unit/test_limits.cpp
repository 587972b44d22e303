// Sizes past the int32 range: a graph with more than 2^31 - 1 nodes or edges either takes a
// 64-bit path or is refused with a message that names the limit; never a silent truncation.
// Such graphs do not fit a test machine, so the sizes are mocked: tensor views whose shapes claim
// billions of elements over a few bytes (the checks must fire before any element is read; were
// one read, AddressSanitizer would report it), and the GEMM's row-block size made small.
#include <gtest/gtest.h>

#include <limits>
#include <memory>

#include "backends/cpu/blas_gemm.h"
#include "cpu_kernel_test_support.h"

namespace gnnrt {
namespace {

using namespace cpu_kernel_test;

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// A tensor that claims `shape` but owns only a few bytes.
Tensor mocked(DType dtype, Dims shape) {
  auto storage = std::make_shared<std::array<int64_t, 4>>();
  return Tensor::view(dtype, std::move(shape), storage, storage->data());
}

TEST(Int32Limits, CsrRefusesMoreEdgesThanInt32OffsetsHoldNamingTheLimit) {
  const Tensor src = mocked(DType::Int64, {kInt32Max + 1}), dst = mocked(DType::Int64, {kInt32Max + 1});
  const Tensor dense_shape = make<int64_t>({2}, {10, 10});
  input_error([&] { run_op("CsrFromCoo", {&src, &dst, &dense_shape}, {}, 2); },
              {"CsrFromCoo_under_test", "2147483648 edges", "2147483647"});
}

TEST(Int32Limits, CsrRefusesMoreRowsThanInt32OffsetsHoldNamingTheLimit) {
  const Tensor src = make<int64_t>({1}, {0}), dst = make<int64_t>({1}, {0});
  const Tensor dense_shape = make<int64_t>({2}, {kInt32Max + 1, 1});
  input_error([&] { run_op("CsrFromCoo", {&src, &dst, &dense_shape}, {}, 2); },
              {"CsrFromCoo_under_test", "2147483648 rows", "2147483646"});
}

TEST(Int32Limits, CsrRefusesASourceIndexPastInt32) {
  const Tensor src = make<int64_t>({1}, {kInt32Max + 1}), dst = make<int64_t>({1}, {0});
  const Tensor dense_shape = make<int64_t>({2}, {1, 1});
  input_error([&] { run_op("CsrFromCoo", {&src, &dst, &dense_shape}, {}, 2); }, {"2147483648", "int32"});
}

TEST(Int32Limits, LinearRefusesALayerWiderThanInt32NamingTheLimit) {
  const Tensor x = mocked(DType::Float32, {2, 1});
  const Tensor w = mocked(DType::Float32, {1, kInt32Max + 1});
  input_error([&] { run_op("Linear", {&x, &w}); }, {"Linear_under_test", "2147483647"});
}

// The 64-bit path for rows: past 2^31 - 1 rows the GEMM goes to OpenBLAS in row blocks. With the
// block made 3 rows, a 10-row product must equal the one-call product bit for bit.
TEST(Int32Limits, GemmInRowBlocksEqualsOneCall) {
  constexpr int64_t m = 10, n = 5, k = 7;
  std::vector<float> a(m * k), b(k * n), bt(n * k), one_call(m * n), blocked(m * n, 1.0f), blocked_t(m * n, 1.0f);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>((i * 7919) % 17) * 0.25f - 2.0f;
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>((i * 104729) % 13) * 0.5f - 3.0f;
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c) bt[c * k + r] = b[r * n + c];
  cpu::blas_gemm(false, m, n, k, 1.0f, a.data(), b.data(), 0.0f, one_call.data());
  cpu::blas_gemm(false, m, n, k, 1.0f, a.data(), b.data(), 0.0f, blocked.data(), /*max_block_rows=*/3);
  cpu::blas_gemm(true, m, n, k, 1.0f, a.data(), bt.data(), 0.0f, blocked_t.data(), /*max_block_rows=*/3);
  EXPECT_EQ(blocked, one_call);
  EXPECT_EQ(blocked_t, one_call);
  // And the product is a product (not, say, all zeros on both sides).
  float expected = 0.0f;
  for (int64_t p = 0; p < k; ++p) expected += a[static_cast<size_t>(9 * k + p)] * b[static_cast<size_t>(p * n + 4)];
  EXPECT_FLOAT_EQ(one_call[9 * n + 4], expected);
}

}  // namespace
}  // namespace gnnrt
