// CPU kernels for MatMul (numpy semantics) and Gemm. float32/float64 go to OpenBLAS; integer
// types use a plain loop that wraps on overflow like the hardware; float16/bfloat16 are widened
// to float32 and rounded back (the CPU never does arithmetic in 16-bit floats).
#include <cblas.h>

#include <algorithm>
#include <limits>
#include <type_traits>

#include "backends/cpu/blas_core.h"
#include "backends/cpu/blas_gemm.h"
#include "backends/cpu/kernel_registry.h"
#include "backends/op_shapes/linear_algebra.h"
#include "core/dispatch.h"

namespace gnnrt::cpu {
namespace {

template <typename T, bool = std::is_integral_v<T>>
struct Accumulator {
  using type = T;
};
template <typename T>
struct Accumulator<T, true> {
  using type = std::make_unsigned_t<std::common_type_t<T, unsigned>>;
};

// One row-major matrix product C = alpha * op(A) * op(B) + beta * C with all sizes > 0.
// lda/ldb are the row lengths of A and B as stored (before the transpose).
template <typename T>
void naive_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const T* a, int64_t lda,
                const T* b, int64_t ldb, double beta, T* c, int64_t ldc) {
  // Integers accumulate unsigned and at least as wide as `unsigned` (narrower ones would promote
  // to signed int): wrap-around like the hardware instead of signed-overflow UB.
  using Acc = typename Accumulator<T>::type;
  std::vector<Acc> row(static_cast<size_t>(n));
#pragma omp parallel for schedule(static) firstprivate(row) if (m * n * k >= (1 << 18))
  for (int64_t i = 0; i < m; ++i) {
    std::fill(row.begin(), row.end(), Acc{0});
    for (int64_t p = 0; p < k; ++p) {
      const Acc a_ip = static_cast<Acc>(trans_a ? a[p * lda + i] : a[i * lda + p]);
      for (int64_t j = 0; j < n; ++j)
        row[static_cast<size_t>(j)] += a_ip * static_cast<Acc>(trans_b ? b[j * ldb + p] : b[p * ldb + j]);
    }
    T* c_row = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) {
      const T product = static_cast<T>(row[static_cast<size_t>(j)]);
      if (alpha == 1.0 && beta == 0.0) c_row[j] = product;
      else if (alpha == 1.0 && beta == 1.0 && std::is_integral_v<T>)
        c_row[j] = static_cast<T>(static_cast<Acc>(c_row[j]) + static_cast<Acc>(product));
      else c_row[j] = convert_element<T>(alpha * static_cast<double>(product) + (beta == 0.0 ? 0.0 : beta * static_cast<double>(c_row[j])));
    }
  }
}

bool fits_blas_int(std::initializer_list<int64_t> values) {
  for (int64_t v : values)
    if (v > std::numeric_limits<blasint>::max()) return false;
  return true;
}

// Dispatches one matrix product to BLAS where it can; every size must be > 0.
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const T* a, const T* b,
          double beta, T* c) {
  const int64_t lda = trans_a ? m : k, ldb = trans_b ? k : n, ldc = n;
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    // Row-invariant blocks of any number of rows (blas_gemm.h), so batched graphs equal each alone.
    if (!trans_a && fits_blas_int({n, k, ldb})) {
      blas_gemm(trans_b, m, n, k, static_cast<T>(alpha), a, b, static_cast<T>(beta), c);
      return;
    }
    // A transposed (rows of op(A) are strided columns): not a node-feature layout PyG exports, so
    // blocks of rows spread over the threads, without the row-invariance guarantee.
    if (trans_a && fits_blas_int({m, n, k, lda, ldb, ldc})) {
      blas_gemm_transposed_a(trans_b, m, n, k, static_cast<T>(alpha), a, b, static_cast<T>(beta), c);
      return;
    }
  }
  naive_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// float16/bfloat16 operands: compute in float32 and round the result back.
bool is_half(DType dtype) { return dtype == DType::Float16 || dtype == DType::BFloat16; }

using op_shapes::require_numeric;

// ---------------------------------------------------------------------------------------------
// MatMul

std::vector<Tensor> matmul_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext& context) {
  const Tensor& a_in = require_input(node, inputs, 0);
  const Tensor& b_in = require_input(node, inputs, 1);
  if (a_in.dtype() != b_in.dtype())
    fail_input(node.describe(), ": inputs have different dtypes: A is ", a_in.describe(), ", B is ", b_in.describe());
  require_numeric(node, a_in, "A");
  const op_shapes::MatMulShape shape = op_shapes::matmul_shape(node, a_in, b_in);
  if (is_half(a_in.dtype())) {
    const Tensor a32 = cast_tensor(a_in, DType::Float32), b32 = cast_tensor(b_in, DType::Float32);
    return {cast_tensor(matmul_kernel(node, {&a32, &b32}, context)[0], a_in.dtype())};
  }
  const int64_t m = shape.m, n = shape.n, k = shape.k;
  Tensor out(a_in.dtype(), shape.output_shape);
  const int64_t batch_count = element_count(shape.batch);
  if (out.numel() == 0 || k == 0) return {out};  // K = 0: a sum over nothing, and the output is zeroed

  dispatch_arithmetic(a_in.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* a = a_in.data<T>();
    const T* b = b_in.data<T>();
    T* c = out.data<T>();
    // A shared B under a contiguous batch of A (x[..., N, F] @ W[F, H]) is one tall product.
    if (element_count(shape.b_batch) == 1 && element_count(shape.a_batch) == batch_count) {
      gemm<T>(false, false, batch_count * m, n, k, 1.0, a, b, 0.0, c);
      return;
    }
    const auto a_offsets = shape.batch_offsets(shape.a_batch, m * k);
    const auto b_offsets = shape.batch_offsets(shape.b_batch, k * n);
    for (int64_t bi = 0; bi < batch_count; ++bi)
      gemm<T>(false, false, m, n, k, 1.0, a + a_offsets[static_cast<size_t>(bi)], b + b_offsets[static_cast<size_t>(bi)],
              0.0, c + bi * m * n);
  });
  return {out};
}

// ---------------------------------------------------------------------------------------------
// Gemm: Y = alpha * op(A) * op(B) + beta * C, C broadcast to [M, N]

std::vector<Tensor> gemm_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext& context) {
  const Tensor& a_in = require_input(node, inputs, 0);
  const Tensor& b_in = require_input(node, inputs, 1);
  const Tensor* c_in = optional_input(inputs, 2);
  op_shapes::check_gemm_operands(node, a_in, b_in, c_in);
  require_numeric(node, a_in, "A");
  if (is_half(a_in.dtype())) {
    const Tensor a32 = cast_tensor(a_in, DType::Float32), b32 = cast_tensor(b_in, DType::Float32);
    Tensor c32;
    if (c_in) c32 = cast_tensor(*c_in, DType::Float32);
    return {cast_tensor(gemm_kernel(node, {&a32, &b32, c_in ? &c32 : nullptr}, context)[0], a_in.dtype())};
  }
  const op_shapes::GemmShape shape = op_shapes::gemm_shape(node, a_in, b_in, c_in);
  const bool trans_a = shape.trans_a, trans_b = shape.trans_b;
  const double alpha = shape.alpha, beta = shape.beta;
  const int64_t m = shape.m, n = shape.n, k = shape.k;
  const int64_t c_rows = shape.c_rows, c_cols = shape.c_cols;
  Tensor out(a_in.dtype(), {m, n});
  if (out.numel() == 0) return {out};
  dispatch_arithmetic(a_in.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* y = out.data<T>();
    const bool use_c = c_in && beta != 0.0;
    if (use_c) {
      const T* c = c_in->data<T>();
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          const T value = c[(c_rows == 1 ? 0 : i) * c_cols + (c_cols == 1 ? 0 : j)];
          y[i * n + j] = beta == 1.0 ? value : convert_element<T>(beta * static_cast<double>(value));
        }
    }
    if (k > 0) gemm<T>(trans_a, trans_b, m, n, k, alpha, a_in.data<T>(), b_in.data<T>(), use_c ? 1.0 : 0.0, y);
  });
  return {out};
}

}  // namespace

void register_linear_algebra_kernels(KernelRegistry& registry) {
  registry.add("MatMul", matmul_kernel);
  registry.add("Gemm", gemm_kernel);
}

}  // namespace gnnrt::cpu
