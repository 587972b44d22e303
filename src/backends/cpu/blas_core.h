// OpenBLAS's kernel choice. Debian 12's OpenBLAS (0.3.21) picks its kernels by CPU model number
// and falls back to Prescott's (SSE3) on Intel server CPUs newer than it knows, such as the
// Sapphire Rapids of our H100 machine: there SGEMM ran at 171 GFLOP/s on 16 cores against 553
// with the Skylake-X (AVX-512) kernels (169343 x 256 x 256, measured 2026-12-05). When that
// fallback happened on a CPU with AVX-512 (or AVX2 and FMA), OpenBLAS's own core selection is run
// again naming the matching core. A user's OPENBLAS_CORETYPE is left alone.
#pragma once

#include <string>

namespace gnnrt::cpu {

// Once per process, before the first BLAS call; thread-safe. Also makes every OpenBLAS call run
// on one thread (blas_gemm.h says why).
void ensure_blas_kernels();

// The kernels OpenBLAS uses ("SkylakeX", "Haswell", ...), "unknown" for another BLAS.
std::string blas_core_name();

// Whether those kernels are ones whose rows blas_gemm keeps batch-invariant (checked: Skylake-X,
// Prescott; not Haswell: blas_gemm.h).
bool blas_rows_are_invariant();

}  // namespace gnnrt::cpu
