#!/usr/bin/env bash
# Runs gnnrt's test suites in the build made by scripts/setup.sh: the C++ suite (GoogleTest
# through ctest; arguments go to ctest), then the Python package's (pytest, python/tests) in the
# project's .venv, with the package reinstalled from this build first. GPU tests skip themselves
# where there is no GPU. GNNRT_PYTHON=OFF runs the C++ suite alone.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
[ -d "$build_dir" ] || { echo "no build in '$build_dir': run scripts/setup.sh first" >&2; exit 2; }
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}"
(cd "$build_dir" && ctest --output-on-failure -j "${JOBS:-$(nproc)}" "$@")

if [ "${GNNRT_PYTHON:-ON}" != "OFF" ]; then
  venv=${GNNRT_VENV:-.venv}
  [ -x "$venv/bin/python" ] || { echo "no Python environment in '$venv': run scripts/setup.sh first" >&2; exit 2; }
  scripts/python-env.sh --package-only "$build_dir"
  "$venv/bin/python" -m pytest python/tests -q -rs
fi
