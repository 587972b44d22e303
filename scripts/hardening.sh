#!/usr/bin/env bash
# CI's hardening stages (docs/RELIABILITY.md), CPU only, each printing its elapsed time:
#   asan-build   clang, AddressSanitizer + UndefinedBehaviorSanitizer, CUDA off, fuzz targets on
#   asan-tests   the whole CPU test suite (ctest) in that build, fuzz regression inputs included
#   fuzz         each libFuzzer target for FUZZ_SECONDS (default 60) from the fixtures' seeds
#   tsan-build   clang, ThreadSanitizer, CUDA and OpenMP off (libgomp is not instrumented), tests only
#   tsan-tests   the concurrent-contexts and determinism tests in that build
#   scripts/hardening.sh [STAGE...]     (default: all, in that order)
# Environment: JOBS (default nproc), FUZZ_SECONDS, ASAN_BUILD_DIR (build-asan), TSAN_BUILD_DIR
# (build-tsan). Needs what scripts/setup.sh installs (clang, libclang-rt-dev, libomp-dev, llvm).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
asan_dir=${ASAN_BUILD_DIR:-build-asan}
tsan_dir=${TSAN_BUILD_DIR:-build-tsan}
stages=("$@")
((${#stages[@]})) || stages=(asan-build asan-tests fuzz tsan-build tsan-tests)

# Every report fails its test; leaks too. llvm-symbolizer (package llvm) names the lines.
# allocator_may_return_null: an allocation the system refuses reaches gnnrt's "out of host memory"
# error, as in a normal build, instead of ASan stopping the process.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
# OpenBLAS's own threads synchronise in ways TSan cannot see; one thread per GEMM call.
export OPENBLAS_NUM_THREADS=1

configure() {  # configure DIR SANITIZERS EXTRA...
  local dir=$1 sanitizers=$2
  shift 2
  CC=clang CXX=clang++ cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DGNNRT_CUDA=OFF \
    -DGNNRT_SANITIZE="$sanitizers" "$@" >/dev/null
}

run_stage() {
  local stage=$1 start
  start=$(date +%s)
  echo "== hardening: $stage"
  case $stage in
    asan-build)
      configure "$asan_dir" address,undefined -DGNNRT_FUZZ=ON
      cmake --build "$asan_dir" -j "$jobs" ;;
    asan-tests)
      (cd "$asan_dir" && ctest --output-on-failure -j "$jobs") ;;
    fuzz)
      BUILD_DIR=$asan_dir CORPUS_DIR=$asan_dir/fuzz-ci-corpus scripts/fuzz.sh "${FUZZ_SECONDS:-60}" ;;
    tsan-build)
      configure "$tsan_dir" thread -DGNNRT_OPENMP=OFF
      cmake --build "$tsan_dir" -j "$jobs" --target gnnrt_tests ;;
    tsan-tests)
      "$tsan_dir/tests/gnnrt_tests" --gtest_filter='ConcurrentContexts.*:*Determinism*:EngineApi.*' ;;
    *) echo "unknown stage '$stage'" >&2; exit 2 ;;
  esac
  echo "== hardening: $stage took $(( $(date +%s) - start )) s"
}

for stage in "${stages[@]}"; do run_stage "$stage"; done
