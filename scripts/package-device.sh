#!/usr/bin/env bash
# Builds gnnrt with CUDA (sm_90) here and packs stripped binaries plus the shared libraries the
# GPU machine may lack into .device/ (git-ignored), packed as .device-pack/device.tgz to be carried: .device/bin/{gnnrt,
# gnnrt_tests} with RPATH $ORIGIN/../lib, and .device/lib/*.so*.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v patchelf >/dev/null || { apt-get install -y -qq patchelf >/dev/null; }
build_dir=${BUILD_DIR:-build-device}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGNNRT_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}"
rm -rf .device && mkdir -p .device/bin .device/lib
cp "$build_dir/gnnrt" "$build_dir/tests/gnnrt_tests" .device/bin/
for binary in .device/bin/*; do
  strip "$binary"
  patchelf --set-rpath '$ORIGIN/../lib' "$binary"
done
# Libraries that Ubuntu 24.04 with CUDA 13 and protobuf 3.21 may not have (libzip, OpenBLAS and
# its Fortran runtime); the CUDA libraries come from the machine's own toolkit.
for lib in libzip.so.4 libopenblas.so.0 libblas.so.3 libgfortran.so.5 libquadmath.so.0 libprotobuf.so.32; do
  path=$(ldd .device/bin/gnnrt_tests | awk -v l="$lib" '$1 == l {print $3}')
  [ -z "$path" ] && path=$(ldconfig -p | awk -v l="$lib" '$1 == l {print $NF; exit}')
  [ -n "$path" ] && cp -L "$path" .device/lib/
done
strip --strip-unneeded .device/lib/*
# The carry limit is 64 MiB: ship one compressed archive; unpack it there with
#   tar xzf .device-pack/device.tgz
mkdir -p .device-pack
tar czf .device-pack/device.tgz .device
du -sh .device .device-pack/device.tgz
