#!/usr/bin/env bash
# Builds the gnnrt Python package here with CUDA (sm_90) as a wheel for the GPU machine's Python
# (3.12 there, with torch, PyG, onnx, onnxscript and pytest; it cannot build gnnrt itself) into
# .device-pack/ (git-ignored), to be carried with scripts/package-device.sh's archive, whose
# .device/lib holds the shared libraries the extension needs there too. There:
#   tar xzf .device-pack/device.tgz
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .device-pack/gnnrt-*.whl
#   export PYTHONPATH=/tmp/site LD_LIBRARY_PATH=$PWD/.device/lib
#   python3 -m pytest python/tests -q -rs
# Environment: PYTHON (an interpreter of the target's version; default pyenv's 3.12), JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-$(PYENV_VERSION=$(pyenv versions --bare 2>/dev/null | grep '^3\.12' | tail -1) pyenv which python3 2>/dev/null || true)}
[ -n "$python" ] && [ -x "$python" ] || { echo "no Python 3.12 here: set PYTHON=/path/to/python3.12" >&2; exit 2; }
tag=$("$python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
venv=.venv-$tag  # only the build requirements
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "scikit-build-core>=0.10" "nanobind>=2.0"

mkdir -p .device-pack
rm -f .device-pack/gnnrt-*.whl
GNNRT_CUDA=ON CMAKE_BUILD_PARALLEL_LEVEL=${JOBS:-$(nproc)} "$venv/bin/python" -m pip wheel -q --no-build-isolation \
  --no-deps -w .device-pack -C build-dir="build-wheel-$tag-cuda" -C cmake.define.CMAKE_CUDA_ARCHITECTURES=90 .
# What the extension needs beyond what .device/lib and the machine's CUDA toolkit and torch give.
ldd "build-wheel-$tag-cuda"/python/_gnnrt*.so | awk '/=>/ {print "  needs", $1}'
ls -la .device-pack/gnnrt-*.whl
