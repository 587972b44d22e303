// Sizes past the int32 range: a graph with more than 2^31 - 1 nodes or edges either takes a
// 64-bit path or is refused with a message that names the limit; never a silent truncation.
// Such graphs do not fit a test machine, so the sizes are mocked: tensor views whose shapes claim
// billions of elements over a few bytes (the checks must fire before any element is read; were
// one read, AddressSanitizer would report it). The GEMM takes any number of rows: it always goes
// to OpenBLAS in blocks of at most 256 rows (blas_gemm.h; tested in test_cpu_linear_algebra.cpp).
#include <gtest/gtest.h>

#include <limits>
#include <memory>

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

}  // namespace
}  // namespace gnnrt
