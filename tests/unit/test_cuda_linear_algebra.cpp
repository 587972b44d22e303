// CPU-vs-CUDA parity of MatMul and Gemm through cuBLAS (backends/cuda/linear_algebra_ops.cpp):
// 2-D products of random sizes including M, N or K = 0 and 1, batched products with every kind of
// batch broadcast (shared weight, equal batches, a broadcast operand, mixed broadcasting), 1-D
// promotion, Gemm's transposes, alpha, beta and every broadcast form of C; float32 stays true FP32
// (TF32 would fail the exactness test). Without a GPU every test skips.
#ifdef GNNRT_WITH_CUDA

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "backends/cuda/cuda_kernels.h"
#include "cuda_parity_harness.h"

namespace gnnrt::testing {
namespace {

// FP32 sums of up to ~1500 products of values in [-1, 1] in a different order than OpenBLAS:
// differences stay around 1e-6 relative; 1e-4 leaves room without hiding a wrong result.
constexpr ParityTolerance kFloat32Product{1e-4, 1e-4};
constexpr ParityTolerance kFloat64Product{1e-10, 1e-10};

Tensor matrix(Dims shape, std::mt19937& rng, DType dtype = DType::Float32) {
  const Tensor values = random_floats(std::move(shape), rng, -1.0f, 1.0f);
  return dtype == DType::Float32 ? values : cast_tensor(values, dtype);
}

ParityResult expect_parity(const ir::Node& node, const std::vector<Tensor>& inputs,
                           ParityTolerance tolerance = kFloat32Product) {
  return expect_cuda_parity(node, inputs, tolerance);
}

// ---------------------------------------------------------------- MatMul

TEST(CudaLinearAlgebra, MatMul2DMatchesCpuOnRandomSizesIncludingEmpty) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(1);
  const int64_t sizes[] = {0, 1, 2, 7, 33, 128};
  for (int64_t m : sizes)
    for (int64_t k : sizes)
      for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{5}, int64_t{64}}) {
        SCOPED_TRACE(cat("M=", m, " K=", k, " N=", n));
        expect_parity(make_node("MatMul", 2), {matrix({m, k}, rng), matrix({k, n}, rng)});
      }
  // A GCN layer's X @ W at Cora's size.
  expect_parity(make_node("MatMul", 2), {matrix({2708, 1433}, rng), matrix({1433, 16}, rng)});
}

TEST(CudaLinearAlgebra, BatchedMatMulMatchesCpuForEveryBatchBroadcast) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(2);
  struct Case {
    Dims a, b;
  };
  const std::vector<Case> cases = {
      {{4, 9, 6}, {6, 5}},              // a shared weight: one tall product
      {{2, 3, 9, 6}, {6, 5}},           // the same over two batch dims
      {{4, 9, 6}, {4, 6, 5}},           // equal batches: strided batched
      {{1, 9, 6}, {4, 6, 5}},           // A broadcast over B's batches
      {{9, 6}, {3, 6, 5}},              // A without batch dims
      {{2, 1, 9, 6}, {1, 3, 6, 5}},     // mixed broadcasting: one product per batch
      {{3, 0, 6}, {3, 6, 5}},           // M = 0
      {{3, 9, 0}, {1, 0, 5}},           // K = 0: zeros
      {{0, 9, 6}, {6, 5}},              // no batches
      {{6}, {6, 5}},                    // 1-D A: a row
      {{4, 9, 6}, {6}},                 // 1-D B: a column
      {{6}, {6}},                       // a dot product: a scalar
      {{2, 8, 1, 6}, {8, 6, 1}},        // [..., 1, K] @ [..., K, 1]
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(shape_to_string(c.a) + " @ " + shape_to_string(c.b));
    expect_parity(make_node("MatMul", 2), {matrix(c.a, rng), matrix(c.b, rng)});
    expect_parity(make_node("MatMul", 2), {matrix(c.a, rng, DType::Float64), matrix(c.b, rng, DType::Float64)},
                  kFloat64Product);
  }
}

TEST(CudaLinearAlgebra, Float32ProductsAreNotRoundedToTF32) {
  GNNRT_SKIP_WITHOUT_GPU();
  // 1 + 2^-14 needs 14 mantissa bits: FP32 keeps it, TF32 (10 bits) rounds it to 1. Every partial
  // sum of 64 such terms is exact in FP32, whatever the order.
  const float value = 1.0f + 1.0f / 16384.0f;
  Tensor a(DType::Float32, {4, 64}), b(DType::Float32, {64, 4});
  for (int64_t i = 0; i < a.numel(); ++i) a.data<float>()[i] = value;
  for (int64_t i = 0; i < b.numel(); ++i) b.data<float>()[i] = 1.0f;
  const ParityResult result = expect_parity(make_node("MatMul", 2), {a, b}, ParityTolerance{0.0, 0.0});
  ASSERT_EQ(result.cuda_outputs.size(), 1u);
  for (int64_t i = 0; i < 16; ++i) EXPECT_EQ(result.cuda_outputs[0].data<float>()[i], 64.0f + 1.0f / 256.0f) << i;
}

// ---------------------------------------------------------------- Gemm

TEST(CudaLinearAlgebra, GemmMatchesCpuForTransposesScalesAndEveryBias) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(3);
  const int64_t m = 13, k = 7, n = 9;
  const std::vector<Dims> bias_shapes = {{}, {n}, {1, n}, {m, 1}, {m, n}, {1}, {1, 1}};
  for (int trans_a = 0; trans_a < 2; ++trans_a)
    for (int trans_b = 0; trans_b < 2; ++trans_b)
      for (const Dims& bias : bias_shapes)
        for (float beta : {1.0f, 0.0f, -0.75f}) {
          SCOPED_TRACE(cat("transA=", trans_a, " transB=", trans_b, " C ", shape_to_string(bias), " beta ", beta));
          ir::Node node = make_node("Gemm", 3);
          set_int(node, "transA", trans_a);
          set_int(node, "transB", trans_b);
          set_float(node, "alpha", 1.5f);
          set_float(node, "beta", beta);
          const Tensor a = matrix(trans_a ? Dims{k, m} : Dims{m, k}, rng);
          const Tensor b = matrix(trans_b ? Dims{n, k} : Dims{k, n}, rng);
          expect_parity(node, {a, b, matrix(bias, rng)});
        }
  // Without C; float64; torch's Linear (transB=1) at a GNN's size.
  expect_parity(make_node("Gemm", 2), {matrix({m, k}, rng), matrix({k, n}, rng)});
  ir::Node linear = make_node("Gemm", 3);
  set_int(linear, "transB", 1);
  expect_parity(linear, {matrix({2708, 64}, rng), matrix({16, 64}, rng), matrix({16}, rng)});
  expect_parity(linear, {matrix({50, 8}, rng, DType::Float64), matrix({3, 8}, rng, DType::Float64),
                         matrix({3}, rng, DType::Float64)},
                kFloat64Product);
}

TEST(CudaLinearAlgebra, GemmWithEmptyDimensions) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(4);
  ir::Node node = make_node("Gemm", 3);
  set_float(node, "beta", 2.0f);
  // K = 0: Y = beta * C, with no product at all.
  const ParityResult scaled = expect_parity(node, {matrix({3, 0}, rng), matrix({0, 4}, rng), matrix({4}, rng)});
  ASSERT_EQ(scaled.cuda_outputs.size(), 1u);
  EXPECT_EQ(scaled.cuda_outputs[0].shape(), (Dims{3, 4}));
  expect_parity(make_node("Gemm", 2), {matrix({3, 0}, rng), matrix({0, 4}, rng)});  // zeros
  expect_parity(node, {matrix({0, 5}, rng), matrix({5, 4}, rng), matrix({1, 4}, rng)});  // M = 0
  expect_parity(node, {matrix({3, 5}, rng), matrix({5, 0}, rng), matrix({3, 1}, rng)});  // N = 0
}

// ---------------------------------------------------------------- supports

TEST(CudaLinearAlgebra, SupportsTakesFloat32AndFloat64Only) {
  GNNRT_SKIP_WITHOUT_GPU();
  const cuda::CudaKernelRegistry& registry = cuda::cuda_kernel_registry();
  EXPECT_TRUE(registry.supports(make_node("MatMul", 2), {DType::Float32, DType::Float32}));
  EXPECT_TRUE(registry.supports(make_node("MatMul", 2), {DType::Float64, DType::Float64}));
  EXPECT_FALSE(registry.supports(make_node("MatMul", 2), {DType::Int64, DType::Int64}));  // the CPU's wrapping loop
  EXPECT_FALSE(registry.supports(make_node("MatMul", 2), {DType::Float16, DType::Float16}));
  EXPECT_FALSE(registry.supports(make_node("MatMul", 2), {DType::Float32, DType::Float64}));
  EXPECT_TRUE(registry.supports(make_node("Gemm", 2), {DType::Float32, DType::Float32}));
  EXPECT_TRUE(registry.supports(make_node("Gemm", 3), {DType::Float32, DType::Float32, DType::Float32}));
  EXPECT_FALSE(registry.supports(make_node("Gemm", 3), {DType::Float32, DType::Float32, DType::Float64}));
  // An integer MatMul still runs, on the CPU: the harness reports it as not taken.
  std::mt19937 rng(5);
  const ParityResult result =
      check_parity(make_node("MatMul", 2), {random_indices({3, 4}, 5, rng), random_indices({4, 2}, 5, rng)});
  EXPECT_FALSE(result.ran_on_cuda);
}

}  // namespace
}  // namespace gnnrt::testing

#endif  // GNNRT_WITH_CUDA
