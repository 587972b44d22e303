#!/usr/bin/env bash
# Builds the gnnrt Python package here with CUDA (sm_90) as a wheel for the GPU machine's Python
# (3.12 there, with torch, PyG, onnx, onnxscript and pytest; it cannot build gnnrt itself), and
# packs the wheel with the shared libraries that machine may lack into .device-pack/python.tgz
# (git-ignored), to be carried beside scripts/package-device.sh's archive. There:
#   tar xzf .device-pack/python.tgz
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .device-python/gnnrt-*.whl
#   export PYTHONPATH=/tmp/site LD_LIBRARY_PATH=$PWD/.device-python/lib
#   python3 -m pytest python/tests -q -rs
# Environment: PYTHON (an interpreter of the target's version; default pyenv's 3.12), JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-$(PYENV_VERSION=$(pyenv versions --bare 2>/dev/null | grep '^3\.12' | tail -1) pyenv which python3 2>/dev/null || true)}
[ -n "$python" ] && [ -x "$python" ] || { echo "no Python 3.12 here: set PYTHON=/path/to/python3.12" >&2; exit 2; }
tag=$("$python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
venv=.venv-$tag
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "scikit-build-core>=0.10" "nanobind>=2.0"

rm -rf .device-python && mkdir -p .device-python/lib .device-pack
GNNRT_CUDA=ON CMAKE_BUILD_PARALLEL_LEVEL=${JOBS:-$(nproc)} "$venv/bin/python" -m pip wheel -q --no-build-isolation \
  --no-deps -w .device-python -C build-dir="build-wheel-$tag-cuda" -C cmake.define.CMAKE_CUDA_ARCHITECTURES=90 .
module=$(ls "build-wheel-$tag-cuda"/python/_gnnrt*.so)
# The libraries Ubuntu with CUDA 13 may lack (as scripts/package-device.sh carries them); CUDA's
# own come from the machine's toolkit, libgomp from its torch.
for lib in libprotobuf.so.32 libopenblas.so.0 libblas.so.3 libgfortran.so.5 libquadmath.so.0 libzip.so.4; do
  path=$(ldd "$module" | awk -v l="$lib" '$1 == l {print $3}')
  [ -n "$path" ] && cp -L "$path" .device-python/lib/
done
strip --strip-unneeded .device-python/lib/* 2>/dev/null || true
tar czf .device-pack/python.tgz .device-python
du -sh .device-python .device-pack/python.tgz
