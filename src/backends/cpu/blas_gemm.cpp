#include "backends/cpu/blas_gemm.h"

#include <cblas.h>

#include <algorithm>

#include "backends/cpu/blas_core.h"
#include "gnnrt/error.h"

namespace gnnrt::cpu {
namespace {

static_assert(sizeof(blasint) == sizeof(int32_t), "kMaxBlasSize assumes OpenBLAS's 32-bit integer interface");

template <typename T, typename Call>
void in_row_blocks(bool trans_b, int64_t m, int64_t n, int64_t k, const T* a, T* c, int64_t max_block_rows,
                   Call&& call) {
  const int64_t ldb = trans_b ? k : n;
  GNNRT_CHECK(n <= kMaxBlasSize && k <= kMaxBlasSize && ldb <= kMaxBlasSize, "GEMM of width ", n, " and depth ", k,
              " past OpenBLAS's int32 sizes");
  GNNRT_CHECK(max_block_rows > 0 && max_block_rows <= kMaxBlasSize, "GEMM row block of ", max_block_rows);
  for (int64_t first = 0; first < m; first += max_block_rows) {
    const int64_t rows = std::min(max_block_rows, m - first);
    call(static_cast<blasint>(rows), a + first * k, c + first * n, static_cast<blasint>(ldb));
  }
}

}  // namespace

void blas_gemm(bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b, float beta,
               float* c, int64_t max_block_rows) {
  ensure_blas_kernels();
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  in_row_blocks(trans_b, m, n, k, a, c, max_block_rows, [&](blasint rows, const float* a_block, float* c_block, blasint ldb) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, tb, rows, static_cast<blasint>(n), static_cast<blasint>(k), alpha, a_block,
                static_cast<blasint>(k), b, ldb, beta, c_block, static_cast<blasint>(n));
  });
}

void blas_gemm(bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, const double* b,
               double beta, double* c, int64_t max_block_rows) {
  ensure_blas_kernels();
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  in_row_blocks(trans_b, m, n, k, a, c, max_block_rows, [&](blasint rows, const double* a_block, double* c_block, blasint ldb) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, tb, rows, static_cast<blasint>(n), static_cast<blasint>(k), alpha, a_block,
                static_cast<blasint>(k), b, ldb, beta, c_block, static_cast<blasint>(n));
  });
}

}  // namespace gnnrt::cpu
