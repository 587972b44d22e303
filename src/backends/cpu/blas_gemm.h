// Row-major GEMM through OpenBLAS, batch-invariant: a row of C depends only on its row of A and on
// B, never on how many rows are multiplied with it or where it sits among them, so a graph's node
// rows come out bit for bit the same batched with other graphs as alone (ExecutionContext::run_batch).
//
// OpenBLAS picks its kernel and code path by the call's sizes (the "direct" and small-matrix kernels
// of its Skylake-X build below a size, its split of the rows over threads), and a row multiplied among
// m rows rounds differently from the same row alone: in 0.3.21 with the Skylake-X kernels, for 9 of
// 36 (K, N) shapes from K 32 and N 1 or 7 up to K 1433 and N 128, most rows differed, by up to 1e-3
// relative on values away from zero. So every call here takes exactly block_rows(k) rows (a short
// last block copied into a zero-padded scratch block) on one OpenBLAS thread, the blocks spread over
// gnnrt's OpenMP threads instead: each row then goes through the same kernel, summed in the same
// order, whatever m, its position and the thread count. The OpenBLAS core matters: this holds with
// its Skylake-X (AVX-512, which gnnrt selects where the CPU has it) and Prescott kernels, checked at
// every position of a block; its Haswell kernels (AVX2-only CPUs) round rows differently by their
// place in a 12-row group, which no blocking fixes.
#pragma once

#include <cstdint>
#include <limits>

namespace gnnrt::cpu {

// The largest size OpenBLAS takes (blasint is 32-bit in Debian's build).
constexpr int64_t kMaxBlasSize = std::numeric_limits<int32_t>::max();

// The rows of every OpenBLAS call for depth k: a power of two from 16 to 256 keeping a block of A
// near 256 KB (L2-sized), so that a small graph's padded block stays cheap when k is wide (Cora's
// 1433 features: 32 rows). A function of k alone, never of m.
int64_t gemm_block_rows(int64_t k);

// C[m, n] = alpha * A[m, k] * op(B) + beta * C, A and C row-major and dense (lda = k, ldc = n);
// op(B) is B[k, n] (ldb = n) or, with trans_b, B[n, k] transposed (ldb = k). n and k must be at
// most kMaxBlasSize (the caller checks: op_shapes refuses wider layers); m is any size.
void blas_gemm(bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b, float beta,
               float* c);
void blas_gemm(bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, const double* b,
               double beta, double* c);

}  // namespace gnnrt::cpu
