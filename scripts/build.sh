#!/usr/bin/env bash
# build.sh <build-dir> [cmake options...]: configure and build with clang++-14, Ninja and
# ccache. Two jobs: one heavy Beast TU needs ~1-2 GB, the machine has 2 cores.
# GRIN_TARGETS="grin grin-emulator" builds only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:?usage: build.sh <build-dir> [cmake options...]}
shift
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Paths relative to the checkout, so that every clone (CI's included) shares the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
if [[ ! -f $build_dir/build.ninja ]]; then
  cmake -S . -B "$build_dir" -G Ninja \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 "$@" >/dev/null
elif (($#)); then
  cmake "$build_dir" "$@" >/dev/null # options given again take effect
fi
targets=()
for target in ${GRIN_TARGETS:-}; do targets+=(--target "$target"); done
cmake --build "$build_dir" -j "${GRIN_JOBS:-2}" "${targets[@]}"
