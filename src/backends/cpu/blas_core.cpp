#include "backends/cpu/blas_core.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

// OpenBLAS's DYNAMIC_ARCH entry points (exported, not in cblas.h). Weak: with another BLAS they
// are null and nothing is changed.
extern "C" {
char* openblas_get_corename(void) __attribute__((weak));
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
void openblas_set_num_threads(int) __attribute__((weak));
}

namespace gnnrt::cpu {
namespace {

// The OpenBLAS core whose kernels this CPU can run, or nullptr to keep OpenBLAS's choice.
const char* matching_core() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return nullptr;
}

void reselect_core() {
  if (!openblas_get_corename || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;
  if (std::getenv("OPENBLAS_CORETYPE")) return;
  const char* current = openblas_get_corename();
  if (!current || std::strcmp(current, "Prescott") != 0) return;
  const char* core = matching_core();
  if (!core) return;
  // setenv is not thread-safe against a concurrent getenv: this runs once, under call_once, at the
  // first GEMM; elsewhere gnnrt reads the environment only as a build starts (GNNRT_DUMP_IR).
  setenv("OPENBLAS_CORETYPE", core, 1);
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");  // the process's environment as the user left it
}

}  // namespace

void ensure_blas_kernels() {
  static std::once_flag once;
  std::call_once(once, [] {
    reselect_core();
    // One OpenBLAS thread per call: blas_gemm spreads its row blocks over gnnrt's OpenMP threads,
    // and OpenBLAS's own split of a call over threads would change how a row is rounded.
    if (openblas_set_num_threads) openblas_set_num_threads(1);
  });
}

std::string blas_core_name() {
  ensure_blas_kernels();
  const char* name = openblas_get_corename ? openblas_get_corename() : nullptr;
  return name ? name : "unknown";
}

bool blas_rows_are_invariant() {
  const std::string core = blas_core_name();
  return core == "SkylakeX" || core == "Prescott";
}

}  // namespace gnnrt::cpu
