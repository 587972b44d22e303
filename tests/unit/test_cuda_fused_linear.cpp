// CPU-vs-CUDA parity of gnnrt.Linear (backends/cuda/fused_linear_ops.cpp: cuBLASLt with the bias and
// ReLU in its epilogue, or cublasGemmEx plus an epilogue pass): every dtype, with and without bias
// and ReLU, sizes from empty to a GCN layer, odd widths that cuBLASLt's fp16 kernels may decline.
// Without a GPU every test skips.
#ifdef GNNRT_WITH_CUDA

#include <gtest/gtest.h>

#include <random>

#include "backends/cuda/cuda_kernels.h"
#include "core/dispatch.h"
#include "cuda_parity_harness.h"

namespace gnnrt::testing {
namespace {

// float32: a K-term fp32 sum on both sides in different orders (blocked SGEMM vs cuBLASLt):
// ~K * 2^-24 relative to the sum of |terms|, and the terms here are O(1), so 1e-4 covers K <= 1433.
constexpr ParityTolerance kFloat32Product{1e-4, 1e-4};
// 16-bit: both sides accumulate in fp32 from the same 16-bit inputs and round once to the 16-bit
// grid; the fp32 sums may straddle a rounding boundary: one unit in the last place of the output.
constexpr ParityTolerance kFloat16Product{2e-3, 2e-3};   // 2^-10 relative, twice
constexpr ParityTolerance kBFloat16Product{2e-2, 1.6e-2};  // 2^-7 relative, twice

Tensor matrix(Dims shape, std::mt19937& rng, DType dtype) {
  return cast_tensor(random_floats(std::move(shape), rng, -1.0f, 1.0f), dtype);
}

ir::Node linear_node(bool bias, bool relu) {
  ir::Node node = make_node("Linear", bias ? 3 : 2);
  node.domain = ir::kGnnrtDomain;
  if (relu) set_string(node, "activation", "relu");
  return node;
}

ParityTolerance tolerance_for(DType dtype) {
  if (dtype == DType::Float16) return kFloat16Product;
  if (dtype == DType::BFloat16) return kBFloat16Product;
  return kFloat32Product;
}

TEST(CudaFusedLinear, MatchesCpuForEveryDtypeEpilogueAndSize) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(11);
  struct Size {
    int64_t m, k, n;
  };
  const std::vector<Size> sizes = {{0, 4, 3}, {5, 0, 3}, {5, 4, 0}, {1, 1, 1},  {7, 3, 5},
                                   {33, 17, 7}, {100, 64, 40}, {257, 128, 256}, {2708, 1433, 16}};
  for (DType dtype : {DType::Float32, DType::Float16, DType::BFloat16})
    for (const Size& size : sizes)
      for (bool bias : {false, true})
        for (bool relu : {false, true}) {
          SCOPED_TRACE(cat(dtype_name(dtype), " M=", size.m, " K=", size.k, " N=", size.n, bias ? " bias" : "",
                           relu ? " relu" : ""));
          std::vector<Tensor> inputs{matrix({size.m, size.k}, rng, dtype), matrix({size.k, size.n}, rng, dtype)};
          if (bias) inputs.push_back(matrix({size.n}, rng, dtype));
          const ParityResult result = expect_cuda_parity(linear_node(bias, relu), inputs, tolerance_for(dtype));
          // ReLU really clamped: with random signs about half of a product's outputs are negative.
          if (relu && size.m * size.n > 64)
            for (const Tensor& out : result.cuda_outputs) {
              const Tensor values = cast_tensor(out, DType::Float32);
              for (int64_t i = 0; i < values.numel(); ++i) ASSERT_GE(values.data<float>()[i], 0.0f);
            }
        }
}

TEST(CudaFusedLinear, MismatchedDtypesAndUnknownActivationsAreDeclined) {
  // W or bias of another dtype than X, or integer X: the CUDA backend does not take the node (the
  // CPU kernel then reports the error with its words).
  const auto& registry = cuda::cuda_kernel_registry();
  EXPECT_TRUE(registry.supports(linear_node(true, true), {DType::Float16, DType::Float16, DType::Float16}));
  EXPECT_FALSE(registry.supports(linear_node(false, false), {DType::Float32, DType::Float16}));
  EXPECT_FALSE(registry.supports(linear_node(true, false), {DType::Float16, DType::Float16, DType::Float32}));
  EXPECT_FALSE(registry.supports(linear_node(false, false), {DType::Int64, DType::Int64}));
  ir::Node gelu = linear_node(false, false);
  set_string(gelu, "activation", "gelu");
  EXPECT_FALSE(registry.supports(gelu, {DType::Float32, DType::Float32}));
}

}  // namespace
}  // namespace gnnrt::testing

#endif  // GNNRT_WITH_CUDA
