// Shape rules of MatMul and Gemm (CPU: backends/cpu/linear_algebra.cpp, CUDA:
// backends/cuda/linear_algebra_ops.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "backends/op_shapes/common.h"

namespace gnnrt::op_shapes {

// Fails for a bool operand `name` ("A"): the products take numeric dtypes only.
void require_numeric(const ir::Node& node, const Tensor& t, const char* name);

// MatMul with numpy semantics: a 1-D A is a row [1, K] and a 1-D B a column [K, 1] (the added dim
// is dropped from the output); the batch dims (all but the last two) broadcast.
struct MatMulShape {
  int64_t m = 0, n = 0, k = 0;
  Dims a_batch, b_batch;  // the batch dims of A and B
  Dims batch;             // their broadcast
  Dims output_shape;
  // Matrix offsets (in elements) of an operand with batch dims `own` (a_batch or b_batch) and
  // matrices of `matrix_size` elements, for each output batch; broadcast dims step by 0.
  std::vector<int64_t> batch_offsets(const Dims& own, int64_t matrix_size) const;
};
// Checks ranks (>= 1), the inner dimension and the batch broadcast.
MatMulShape matmul_shape(const ir::Node& node, const Tensor& a, const Tensor& b);

// Gemm: A and B are 2-D and A, B and the optional C share one dtype.
void check_gemm_operands(const ir::Node& node, const Tensor& a, const Tensor& b, const Tensor* c);

// Y[M, N] = alpha * op(A) * op(B) + beta * C, C broadcast one way to [M, N].
struct GemmShape {
  bool trans_a = false, trans_b = false;
  double alpha = 1.0, beta = 1.0;
  int64_t m = 0, n = 0, k = 0;
  int64_t c_rows = 1, c_cols = 1;  // C's extent (1: broadcast) on each output dim
};
// Reads the attributes and checks the inner dimension and C's broadcast.
GemmShape gemm_shape(const ir::Node& node, const Tensor& a, const Tensor& b, const Tensor* c);

}  // namespace gnnrt::op_shapes
