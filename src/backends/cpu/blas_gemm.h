// Row-major GEMM through OpenBLAS for any number of rows. OpenBLAS takes its sizes as `blasint`
// (32-bit in Debian's build), so a graph past 2^31 - 1 nodes cannot go to it in one call; the
// rows of A and C are contiguous slices, so they go in blocks of at most that many rows, each
// block computed exactly as a smaller call would compute it.
#pragma once

#include <cstdint>
#include <limits>

namespace gnnrt::cpu {

// The largest size OpenBLAS takes.
constexpr int64_t kMaxBlasSize = std::numeric_limits<int32_t>::max();

// C[m, n] = alpha * A[m, k] * op(B) + beta * C, A and C row-major and dense (lda = k, ldc = n);
// op(B) is B[k, n] (ldb = n) or, with trans_b, B[n, k] transposed (ldb = k). n and k must be at
// most kMaxBlasSize (the caller checks: op_shapes refuses wider layers); m is any size.
// `max_block_rows` is for tests, which cannot allocate 2^31 rows.
void blas_gemm(bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b, float beta,
               float* c, int64_t max_block_rows = kMaxBlasSize);
void blas_gemm(bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, const double* b,
               double beta, double* c, int64_t max_block_rows = kMaxBlasSize);

}  // namespace gnnrt::cpu
