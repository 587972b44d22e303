#!/usr/bin/env bash
# Runs gnnrt's test suite (GoogleTest through ctest) in the build made by scripts/setup.sh.
# GPU tests skip themselves where there is no GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
[ -d "$build_dir" ] || { echo "no build in '$build_dir': run scripts/setup.sh first" >&2; exit 2; }
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}"
cd "$build_dir"
ctest --output-on-failure -j "${JOBS:-$(nproc)}" "$@"
