#!/usr/bin/env bash
# One call on the GPU machine (see bench/README.md): unpack the carried binaries, run the GPU
# tests (and compute-sanitizer where it works), then quick benches of the Cora fixture at two sizes
# with per-node profiles. Logs go to $OUT (or ./device-logs).
#   bench/device_round.sh [tests|bench|all]
set -uo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
out=${OUT:-device-logs}
mkdir -p "$out"
tar xzf .device-pack/device.tgz
bin=$PWD/.device/bin
export GNNRT_FIXTURES_DIR=$PWD/tests/fixtures GNNRT_CLI=$bin/gnnrt
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$out/gpu.txt"
if [ "$what" != bench ]; then
  timeout "${TEST_TIMEOUT:-240}" "$bin/gnnrt_tests" --gtest_brief=1 >"$out/tests.txt" 2>&1
  echo "tests rc=$?"; tail -n 25 "$out/tests.txt"
  if [ -n "${SANITIZE:-}" ]; then
    timeout 120 compute-sanitizer --tool memcheck --error-exitcode 9 "$bin/gnnrt_tests" --gtest_brief=1 \
      --gtest_filter='CudaSparse*:CudaFusedLinear*:StructureCache*' >"$out/memcheck.txt" 2>&1
    echo "memcheck rc=$?"; tail -n 3 "$out/memcheck.txt"
  fi
fi
if [ "$what" != tests ]; then
  model=tests/fixtures/gcn_cora/dynamo/model.onnx
  for graph in cora-size chung-lu:nodes=169343,edges=2315598; do
    for precision in "" --fp16; do
      name=$(echo "$graph$precision" | tr -c 'a-z0-9\n-' '_')
      timeout 120 "$bin/gnnrt" bench --onnx $model --graph "$graph" $precision --iterations 50 --dump-profile -v \
        >"$out/bench_$name.txt" 2>&1
      echo "== $graph $precision rc=$?"
      grep -E "^(device|compute|cold|end-to-end|H2D|D2H|peak|\[build\] (tactic|SpMM))" "$out/bench_$name.txt" | head -n 16
      grep -A 8 "^profile: median" "$out/bench_$name.txt"
    done
  done
fi
