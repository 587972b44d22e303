// CUDA MatMul (numpy semantics: 1-D promotion, broadcast batch dims) and Gemm through cuBLAS, in
// float32 and float64. Shape rules and messages are shared with the CPU reference
// (backends/op_shapes/linear_algebra.h); integer and 16-bit float products stay on the CPU.
//
// Precision: the handle's default math mode is kept (no TF32 tensor-op math), so float32 products
// are true FP32 and agree with the CPU's OpenBLAS within rounding (~1e-6 relative), not TF32's
// ~1e-3. Row-major operands are handed to column-major cuBLAS by the usual swap: C = A * B
// row-major is C^T = B^T * A^T column-major, with the same memory. The 64-bit cuBLAS API takes
// any size, so no dimension needs splitting.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/launch/movement.cuh"
#include "backends/cuda/op_helpers.h"
#include "backends/op_shapes/linear_algebra.h"

namespace gnnrt::cuda {

namespace {

bool blas_dtype(DType dtype) { return dtype == DType::Float32 || dtype == DType::Float64; }

void require_blas_dtype(const ir::Node& node, const Tensor& t, const char* name) {
  op_shapes::require_numeric(node, t, name);
  if (!blas_dtype(t.dtype()))
    fail_input(node.describe(), ": dtype ", dtype_name(t.dtype()),
               " is not supported by the CUDA backend here (expected float32 or float64)");
}

void zero_fill(Tensor& out, cudaStream_t stream) {
  if (out.nbytes()) GNNRT_CUDA_CHECK(cudaMemsetAsync(out.raw(), 0, out.nbytes(), stream));
}

// One row-major product C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C, all sizes > 0;
// lda/ldb/ldc are the row lengths of A, B and C as stored. A `batch` of such products at element
// strides stride_a/b/c runs as one strided-batched call.
template <typename T>
void row_major_gemm(cublasHandle_t handle, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                    const T* a, int64_t lda, int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, double beta,
                    T* c, int64_t ldc, int64_t stride_c, int64_t batch) {
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const T alpha_value = static_cast<T>(alpha), beta_value = static_cast<T>(beta);
  if constexpr (std::is_same_v<T, float>) {
    if (batch == 1)
      GNNRT_CUBLAS_CHECK(cublasSgemm_64(handle, op_b, op_a, n, m, k, &alpha_value, b, ldb, a, lda, &beta_value, c, ldc));
    else
      GNNRT_CUBLAS_CHECK(cublasSgemmStridedBatched_64(handle, op_b, op_a, n, m, k, &alpha_value, b, ldb, stride_b, a,
                                                      lda, stride_a, &beta_value, c, ldc, stride_c, batch));
  } else {
    if (batch == 1)
      GNNRT_CUBLAS_CHECK(cublasDgemm_64(handle, op_b, op_a, n, m, k, &alpha_value, b, ldb, a, lda, &beta_value, c, ldc));
    else
      GNNRT_CUBLAS_CHECK(cublasDgemmStridedBatched_64(handle, op_b, op_a, n, m, k, &alpha_value, b, ldb, stride_b, a,
                                                      lda, stride_a, &beta_value, c, ldc, stride_c, batch));
  }
}

template <typename Fn>
void with_blas_type(DType dtype, Fn&& fn) {
  if (dtype == DType::Float32) fn(float{});
  else if (dtype == DType::Float64) fn(double{});
  else fail_internal("cuBLAS product of dtype ", dtype_name(dtype));
}

// The common step of a list of offsets, or -1 when they are not an arithmetic progression.
int64_t uniform_step(const std::vector<int64_t>& offsets) {
  if (offsets.size() < 2) return 0;
  const int64_t step = offsets[1] - offsets[0];
  for (size_t i = 0; i < offsets.size(); ++i)
    if (offsets[i] != offsets[0] + static_cast<int64_t>(i) * step) return -1;
  return offsets[0] == 0 ? step : -1;
}

// ---------------------------------------------------------------- MatMul

Outputs matmul_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& a_in = require_input(node, inputs, 0);
  const Tensor& b_in = require_input(node, inputs, 1);
  if (a_in.dtype() != b_in.dtype())
    fail_input(node.describe(), ": inputs have different dtypes: A is ", a_in.describe(), ", B is ", b_in.describe());
  require_blas_dtype(node, a_in, "A");
  const op_shapes::MatMulShape shape = op_shapes::matmul_shape(node, a_in, b_in);
  require_device(node, a_in, 0);
  require_device(node, b_in, 1);
  const int64_t m = shape.m, n = shape.n, k = shape.k;
  Tensor out = context.allocate(a_in.dtype(), shape.output_shape);
  if (out.numel() == 0) return {out};
  if (k == 0) {  // a sum over nothing; cuBLAS is not called with zero leading dimensions
    zero_fill(out, context.stream);
    return {out};
  }
  const int64_t batch_count = element_count(shape.batch);

  with_blas_type(a_in.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* a = static_cast<const T*>(a_in.raw());
    const T* b = static_cast<const T*>(b_in.raw());
    T* c = static_cast<T*>(out.raw());
    // A shared B under a contiguous batch of A (x[..., N, F] @ W[F, H]) is one tall product.
    if (element_count(shape.b_batch) == 1 && element_count(shape.a_batch) == batch_count) {
      row_major_gemm<T>(context.cublas, false, false, batch_count * m, n, k, 1.0, a, k, 0, b, n, 0, 0.0, c, n, 0, 1);
      return;
    }
    const auto a_offsets = shape.batch_offsets(shape.a_batch, m * k);
    const auto b_offsets = shape.batch_offsets(shape.b_batch, k * n);
    const int64_t step_a = uniform_step(a_offsets), step_b = uniform_step(b_offsets);
    if (step_a >= 0 && step_b >= 0) {  // every batch at a fixed distance (0 for a broadcast operand)
      row_major_gemm<T>(context.cublas, false, false, m, n, k, 1.0, a, k, step_a, b, n, step_b, 0.0, c, n, m * n,
                        batch_count);
      return;
    }
    for (int64_t bi = 0; bi < batch_count; ++bi)  // mixed broadcasting (e.g. [2, 1] with [1, 3]): one call each
      row_major_gemm<T>(context.cublas, false, false, m, n, k, 1.0, a + a_offsets[static_cast<size_t>(bi)], k, 0,
                        b + b_offsets[static_cast<size_t>(bi)], n, 0, 0.0, c + bi * m * n, n, 0, 1);
  });
  return {out};
}

bool matmul_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return dtypes.size() == 2 && blas_dtype(dtypes[0]) && dtypes[1] == dtypes[0];
}

// ---------------------------------------------------------------- Gemm

// Y = alpha * op(A) * op(B) + beta * C, C broadcast to [M, N]. As on the CPU, Y first holds
// beta * C (rounded to the dtype), then the product accumulates onto it.
Outputs gemm_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& a_in = require_input(node, inputs, 0);
  const Tensor& b_in = require_input(node, inputs, 1);
  const Tensor* c_in = optional_input(inputs, 2);
  op_shapes::check_gemm_operands(node, a_in, b_in, c_in);
  require_blas_dtype(node, a_in, "A");
  require_device(node, a_in, 0);
  require_device(node, b_in, 1);
  if (c_in) require_device(node, *c_in, 2);
  const op_shapes::GemmShape shape = op_shapes::gemm_shape(node, a_in, b_in, c_in);
  const bool trans_a = shape.trans_a, trans_b = shape.trans_b;
  const double alpha = shape.alpha, beta = shape.beta;
  const int64_t m = shape.m, n = shape.n, k = shape.k;
  const int64_t c_rows = shape.c_rows, c_cols = shape.c_cols;
  Tensor out = context.allocate(a_in.dtype(), {m, n});
  if (out.numel() == 0) return {out};
  const bool use_c = c_in && beta != 0.0;
  if (use_c) {
    // C broadcast to [M, N] (a stride of 0 repeats it), then scaled: beta * C in the dtype is the
    // correctly rounded product, as the CPU's double product rounded to the dtype.
    StridedCopyGeometry geometry;
    geometry.rank = 2;
    geometry.dims[0] = m;
    geometry.dims[1] = n;
    geometry.strides[0] = c_rows == 1 ? 0 : c_cols;
    geometry.strides[1] = c_cols == 1 ? 0 : 1;
    launch_strided_copy(dtype_size(out.dtype()), c_in->raw(), out.raw(), geometry, out.numel(), context.stream);
    if (beta != 1.0) {
      with_blas_type(out.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T scale = static_cast<T>(beta);
        if constexpr (std::is_same_v<T, float>)
          GNNRT_CUBLAS_CHECK(cublasSscal_64(context.cublas, out.numel(), &scale, static_cast<T*>(out.raw()), 1));
        else
          GNNRT_CUBLAS_CHECK(cublasDscal_64(context.cublas, out.numel(), &scale, static_cast<T*>(out.raw()), 1));
      });
    }
  } else if (k == 0) {
    zero_fill(out, context.stream);
  }
  if (k == 0) return {out};  // nothing to accumulate; cuBLAS is not called with zero leading dimensions
  with_blas_type(out.dtype(), [&](auto zero) {
    using T = decltype(zero);
    row_major_gemm<T>(context.cublas, trans_a, trans_b, m, n, k, alpha, static_cast<const T*>(a_in.raw()),
                      trans_a ? m : k, 0, static_cast<const T*>(b_in.raw()), trans_b ? k : n, 0, use_c ? 1.0 : 0.0,
                      static_cast<T*>(out.raw()), n, 0, 1);
  });
  return {out};
}

bool gemm_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  if (dtypes.size() < 2 || !blas_dtype(dtypes[0]) || dtypes[1] != dtypes[0]) return false;
  const DType c = dtype_at(dtypes, 2);
  return c == DType::Undefined || c == dtypes[0];
}

}  // namespace

void register_cuda_linear_algebra_kernels(CudaKernelRegistry& registry) {
  registry.add("MatMul", {matmul_kernel, matmul_supports});
  registry.add("Gemm", {gemm_kernel, gemm_supports});
}

}  // namespace gnnrt::cuda
