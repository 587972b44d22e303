#include "backends/cpu/blas_gemm.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

#include "backends/cpu/blas_core.h"
#include "core/openmp.h"
#include "gnnrt/error.h"

namespace gnnrt::cpu {
namespace {

static_assert(sizeof(blasint) == sizeof(int32_t), "kMaxBlasSize assumes OpenBLAS's 32-bit integer interface");

// Row-major C[rows, n] = alpha * op(A) op(B) + beta * C with op(A) A itself (lda = k) or, with
// ta = CblasTrans, the columns of A^T (lda = m, the caller's full row count).
void call_gemm(CBLAS_TRANSPOSE ta, blasint lda, CBLAS_TRANSPOSE tb, blasint rows, blasint n, blasint k, float alpha,
               const float* a, const float* b, blasint ldb, float beta, float* c) {
  cblas_sgemm(CblasRowMajor, ta, tb, rows, n, k, alpha, a, lda, b, ldb, beta, c, n);
}
void call_gemm(CBLAS_TRANSPOSE ta, blasint lda, CBLAS_TRANSPOSE tb, blasint rows, blasint n, blasint k, double alpha,
               const double* a, const double* b, blasint ldb, double beta, double* c) {
  cblas_dgemm(CblasRowMajor, ta, tb, rows, n, k, alpha, a, lda, b, ldb, beta, c, n);
}

// Every call takes exactly gemm_block_rows(n, k) rows (blas_gemm.h says why); the last, short block
// goes through a scratch block whose rows past the real ones are zeros, and only its real rows are
// copied back.
template <typename T>
void in_row_blocks(bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, const T* b, T beta, T* c) {
  const int64_t ldb = trans_b ? k : n;
  GNNRT_CHECK(n <= kMaxBlasSize && k <= kMaxBlasSize && ldb <= kMaxBlasSize, "GEMM of width ", n, " and depth ", k,
              " past OpenBLAS's int32 sizes");
  ensure_blas_kernels();
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  const int64_t block_rows = gemm_block_rows(n, k);
  const int64_t full_blocks = m / block_rows, tail_rows = m % block_rows;
  const auto gemm_block = [&](const T* a_block, T* c_block) {
    call_gemm(CblasNoTrans, static_cast<blasint>(k), tb, static_cast<blasint>(block_rows), static_cast<blasint>(n),
              static_cast<blasint>(k), alpha, a_block, b, static_cast<blasint>(ldb), beta, c_block);
  };
#pragma omp parallel for schedule(static) if (full_blocks > 1)
  for (int64_t block = 0; block < full_blocks; ++block) gemm_block(a + block * block_rows * k, c + block * block_rows * n);
  if (tail_rows == 0) return;
  const int64_t first = full_blocks * block_rows;
  std::vector<T> a_scratch(static_cast<size_t>(block_rows * k), T{0}), c_scratch(static_cast<size_t>(block_rows * n));
  std::copy(a + first * k, a + m * k, a_scratch.begin());
  if (beta != T{0}) std::copy(c + first * n, c + m * n, c_scratch.begin());
  gemm_block(a_scratch.data(), c_scratch.data());
  std::copy(c_scratch.begin(), c_scratch.begin() + tail_rows * n, c + first * n);
}

template <typename T>
void transposed_a_in_blocks(bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, const T* b, T beta,
                            T* c) {
  const int64_t ldb = trans_b ? k : n;
  GNNRT_CHECK(m <= kMaxBlasSize && n <= kMaxBlasSize && k <= kMaxBlasSize && ldb <= kMaxBlasSize, "GEMM of ", m,
              " rows, width ", n, " and depth ", k, " past OpenBLAS's int32 sizes");
  ensure_blas_kernels();
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  const int64_t block_rows = gemm_block_rows(n, k), blocks = (m + block_rows - 1) / block_rows;
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int64_t block = 0; block < blocks; ++block) {
    const int64_t first = block * block_rows, rows = std::min(block_rows, m - first);
    call_gemm(CblasTrans, static_cast<blasint>(m), tb, static_cast<blasint>(rows), static_cast<blasint>(n),
              static_cast<blasint>(k), alpha, a + first, b, static_cast<blasint>(ldb), beta, c + first * n);
  }
}

}  // namespace

int64_t gemm_block_rows(int64_t n, int64_t k) {
  constexpr int64_t kMaxRows = 256, kMinRows = 16, kBlockElements = 64 * 1024, kLayerElementsPerRow = 128;
  int64_t rows = kMaxRows;
  while (rows > kMinRows && (rows * k > kBlockElements || rows * kLayerElementsPerRow > k * n)) rows /= 2;
  return rows;
}

void blas_gemm(bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b, float beta,
               float* c) {
  in_row_blocks(trans_b, m, n, k, alpha, a, b, beta, c);
}

void blas_gemm(bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, const double* b,
               double beta, double* c) {
  in_row_blocks(trans_b, m, n, k, alpha, a, b, beta, c);
}

void blas_gemm_transposed_a(bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
                            float beta, float* c) {
  transposed_a_in_blocks(trans_b, m, n, k, alpha, a, b, beta, c);
}

void blas_gemm_transposed_a(bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                            const double* b, double beta, double* c) {
  transposed_a_in_blocks(trans_b, m, n, k, alpha, a, b, beta, c);
}

}  // namespace gnnrt::cpu
