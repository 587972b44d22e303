#!/usr/bin/env bash
# Installs what gnnrt needs from Debian's packages, builds it, makes the project's Python
# environment (.venv: torch, PyG and the ONNX exporter from PyPI, and the gnnrt package built
# from this build with `pip install .`), and runs the demo: the trained 2-layer Cora GCN through
# `gnnrt run`, with its test accuracy beside PyG's.
#   scripts/setup.sh            install, build, Python package, demo
#   scripts/setup.sh --no-demo  install and build only
# Environment: BUILD_DIR (default build), GNNRT_CUDA (AUTO|ON|OFF, default AUTO), JOBS,
# GNNRT_PYTHON=OFF (no .venv, no Python package), PYTHON (the interpreter the venv is made
# from, default python3), GNNRT_TORCH_INDEX (a pip index for torch, e.g. PyTorch's CPU wheels
# where that index is reachable; default PyPI).
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
  python3-venv python3-dev            # the Python package: its virtual environment and extension module
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
# One generator for this folder, whoever configures it (pip's scikit-build-core would pick Ninja).
if [ -f "$build_dir/CMakeCache.txt" ]; then
  export CMAKE_GENERATOR=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$build_dir/CMakeCache.txt")
else
  export CMAKE_GENERATOR=${CMAKE_GENERATOR:-Unix Makefiles}
fi
echo "== configuring ($build_dir)"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGNNRT_CUDA="${GNNRT_CUDA:-AUTO}" >/dev/null
echo "== building"
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}"

if [ "${GNNRT_PYTHON:-ON}" != "OFF" ]; then
  scripts/python-env.sh "$build_dir"
fi

if [ "${1:-}" != "--no-demo" ]; then
  scripts/demo.sh "$build_dir"
fi
