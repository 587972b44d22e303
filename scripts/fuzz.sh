#!/usr/bin/env bash
# Runs each libFuzzer target (tests/fuzz/) for a bounded time, one after the other, from seed
# corpora made from the fixtures, and prints each target's executions and corpus size.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
# Environment: BUILD_DIR (default build-asan: a clang build with -DGNNRT_FUZZ=ON, as made by
# scripts/hardening.sh), CORPUS_DIR (default $BUILD_DIR/fuzz-corpus: kept between runs, so runs
# add up), FINDINGS_DIR (default $BUILD_DIR/fuzz-findings: crashing inputs). Exits 1 on a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(onnx_import engine_load npy_npz graph_inputs calibration_cache)
build_dir=${BUILD_DIR:-build-asan}
corpus_dir=${CORPUS_DIR:-$build_dir/fuzz-corpus}
findings_dir=${FINDINGS_DIR:-$build_dir/fuzz-findings}
[ -x "$build_dir/tests/fuzz/fuzz_npy_npz" ] || { echo "no fuzz targets in '$build_dir': run scripts/hardening.sh or configure with -DGNNRT_FUZZ=ON" >&2; exit 2; }

if [ ! -d "$corpus_dir/seeds" ]; then
  python3 tests/fuzz/make_seed_corpus.py --gnnrt "$build_dir/gnnrt" --out "$corpus_dir/seeds"
fi
mkdir -p "$findings_dir"
# One thread per fuzzer process; findings stop the run (UBSan included) with a stack trace.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for target in "${targets[@]}"; do
  work="$corpus_dir/$target"
  mkdir -p "$work"
  log="$findings_dir/$target.log"
  start=$(date +%s)
  # -timeout: one input taking 30 s is a finding (a hang); -rss_limit_mb: so is using 2 GiB.
  if "$build_dir/tests/fuzz/fuzz_$target" "$work" "$corpus_dir/seeds/$target" -max_total_time="$seconds" \
      -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings_dir/$target-" >"$log" 2>&1; then
    result=ok
  else
    result="FINDING (see $log)"
    status=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  # libFuzzer's last status line: "#N DONE cov: C ft: F corp: INPUTS/SIZE ..."
  coverage=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1)
  echo "fuzz_$target: ${execs:-?} executions in $(( $(date +%s) - start )) s (${coverage:-no status line}), $(ls "$work" | wc -l) inputs in $work: $result"
done
exit $status
