#!/usr/bin/env bash
# The project's Python environment, made or brought up to date by scripts/setup.sh:
#   .venv/                 a virtual environment (Debian's own Python is "externally managed")
#   torch                  PyPI's wheel, or GNNRT_TORCH_INDEX's (PyTorch's CPU index where reachable)
#   torch-geometric, onnx, onnxscript, onnxruntime, pytest, numpy    from PyPI (README: what for)
#   gnnrt                  `pip install .` of this repository, built in BUILD_DIR with the C++ build
#                          (scikit-build-core + nanobind; no second compile of the library)
# Usage: scripts/python-env.sh [BUILD_DIR]   (also run by scripts/test.sh, to install what it tests)
#        scripts/python-env.sh --package-only [BUILD_DIR]   only reinstall gnnrt from the build
set -euo pipefail
cd "$(dirname "$0")/.."
package_only=false
if [ "${1:-}" = "--package-only" ]; then package_only=true; shift; fi
build_dir=${1:-${BUILD_DIR:-build}}
venv=${GNNRT_VENV:-.venv}
pip() { "$venv/bin/python" -m pip --disable-pip-version-check "$@"; }

if ! $package_only; then
  if [ ! -x "$venv/bin/python" ]; then
    echo "== making the Python environment $venv (${PYTHON:-python3})"
    "${PYTHON:-python3}" -m venv "$venv"
  fi
  echo "== Python packages: torch${GNNRT_TORCH_INDEX:+ from $GNNRT_TORCH_INDEX}, PyG, onnx, onnxscript, pytest"
  pip install -q --upgrade pip
  if [ -n "${GNNRT_TORCH_INDEX:-}" ]; then
    pip install -q torch --index-url "$GNNRT_TORCH_INDEX"
  else
    pip install -q torch
  fi
  # Build requirements first: the package is built without isolation, in the C++ build folder.
  pip install -q "scikit-build-core>=0.10" "nanobind>=2.0"
  pip install -q numpy torch-geometric onnx onnxscript onnxruntime pytest
fi

echo "== pip install . (the gnnrt package, built in $build_dir)"
# The build folder's own settings, so that pip's configure keeps them (no rebuild of the library),
# and the build tool of its generator (scikit-build-core would otherwise name Ninja).
if [ -f "$build_dir/CMakeCache.txt" ]; then
  export CMAKE_GENERATOR=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$build_dir/CMakeCache.txt")
  export GNNRT_CUDA=$(sed -n 's/^GNNRT_CUDA:STRING=//p' "$build_dir/CMakeCache.txt")
fi
case "${CMAKE_GENERATOR:-}" in
  Ninja*) make_program=$(command -v ninja) ;;
  *) make_program=$(command -v make) ;;
esac
export CMAKE_BUILD_PARALLEL_LEVEL=${JOBS:-$(nproc)}
pip install -q --no-build-isolation --no-deps --force-reinstall -C build-dir="$build_dir" \
  -C cmake.define.GNNRT_BUILD_TESTS=ON -C cmake.define.CMAKE_MAKE_PROGRAM="$make_program" .
"$venv/bin/python" -c "import gnnrt; print('== gnnrt', gnnrt.__version__, 'in $venv, CUDA backend:', gnnrt.built_with_cuda)"
