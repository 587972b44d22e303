#!/usr/bin/env bash
# Installs what gnnrt needs from Debian's packages, builds it, and runs the demo: the trained
# 2-layer Cora GCN through `gnnrt run`, with its test accuracy beside PyG's.
#   scripts/setup.sh            install, build, demo
#   scripts/setup.sh --no-demo  install and build only
# Environment: BUILD_DIR (default build), GNNRT_CUDA (AUTO|ON|OFF, default AUTO), JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config
  libprotobuf-dev protobuf-compiler   # parsing ONNX (ModelProto) with code generated at build time
  libonnx-dev                         # onnx.proto, the schema of .onnx files
  libcli11-dev                        # the gnnrt command line
  libgtest-dev                        # the test suite
  libzip-dev                          # reading and writing .npz archives
  zlib1g-dev                          # the engine file checksum (CRC-32)
  libopenblas-dev                     # CPU GEMM for MatMul/Gemm
  libflatbuffers-dev flatbuffers-compiler  # the engine file's schema'd metadata
  clang libclang-rt-dev libomp-dev llvm    # sanitizer builds and libFuzzer targets (scripts/hardening.sh)
  python3                             # the fuzz targets' seed corpora (tests/fuzz/make_seed_corpus.py)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_dir=${BUILD_DIR:-build}
echo "== configuring ($build_dir)"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGNNRT_CUDA="${GNNRT_CUDA:-AUTO}" >/dev/null
echo "== building"
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}"

if [ "${1:-}" != "--no-demo" ]; then
  scripts/demo.sh "$build_dir"
fi
