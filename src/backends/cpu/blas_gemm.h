// Row-major GEMM through OpenBLAS, batch-invariant: a row of C depends only on its row of A and on
// B, never on how many rows are multiplied with it or where it sits among them, so a graph's node
// rows come out bit for bit the same batched with other graphs as alone (ExecutionContext::run_batch).
//
// OpenBLAS picks its kernel and code path by the call's sizes (the "direct" and small-matrix kernels
// of its Skylake-X build below a size, its split of the rows over threads), and a row multiplied
// among m rows rounds differently from the same row alone: in 0.3.21 with the Skylake-X kernels,
// for 14 of 36 shapes (K 8 to 1433, N 1 to 128), from K 32 with N 1 or 7 and at every N for K 1433,
// up to every row, by a few ulps. So every call here takes exactly gemm_block_rows(n, k) rows (a
// short last block copied into a zero-padded scratch block) on one OpenBLAS thread, the blocks
// spread over gnnrt's OpenMP threads instead: each row then goes through the same kernel, summed in
// the same order, whatever m, its position and the thread count. The OpenBLAS core matters: this
// holds with its Skylake-X (AVX-512, which gnnrt selects where the CPU has it) and Prescott kernels,
// checked at every position of blocks of 16 to 1024 rows; its Haswell kernels (AVX2-only CPUs)
// round rows differently by their place in a 12-row group, which no blocking fixes
// (cpu::blas_rows_are_invariant says which case this process is in).
#pragma once

#include <cstdint>
#include <limits>

namespace gnnrt::cpu {

// The largest size OpenBLAS takes (blasint is 32-bit in Debian's build).
constexpr int64_t kMaxBlasSize = std::numeric_limits<int32_t>::max();

// The rows of every OpenBLAS call for a layer of depth k and width n: a power of two from 16 to 256,
// a function of the layer alone, never of m. At most 64 K elements of A (256 KB: L2-sized), and at
// most k * n / 128 rows: a narrow layer's calls are cheap, so many of them cost little, while a
// small graph's padded block would cost more than the graph (a molecule alone took 0.03 ms more
// with 256-row blocks, against 0.02 ms for the whole forward before). Wide layers (arxiv's 128 ->
// 256) keep 256 rows, 10-30 % faster than 64 there; Cora's 1433 features get 32 rows.
int64_t gemm_block_rows(int64_t n, int64_t k);

// C[m, n] = alpha * A[m, k] * op(B) + beta * C, A and C row-major and dense (lda = k, ldc = n);
// op(B) is B[k, n] (ldb = n) or, with trans_b, B[n, k] transposed (ldb = k). n and k must be at
// most kMaxBlasSize (the caller checks: op_shapes refuses wider layers); m is any size.
void blas_gemm(bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b, float beta,
               float* c);
void blas_gemm(bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, const double* b,
               double beta, double* c);

// The same with A given transposed (A^T [k, m] row-major, lda = m), which no node-feature layout
// PyG exports uses: the rows spread over gnnrt's OpenMP threads in blocks as above (OpenBLAS runs
// on one thread), the last block short, so without the batch-invariance guarantee. m, n, k and
// the leading dimensions must fit kMaxBlasSize.
void blas_gemm_transposed_a(bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
                            float beta, float* c);
void blas_gemm_transposed_a(bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                            const double* b, double beta, double* c);

}  // namespace gnnrt::cpu
