#!/usr/bin/env bash
# bench/run.sh [NAME...]: builds the Release tree and runs the named benchmarks (all when
# none are named). Each bench/<name>/run.sh prints a human table, then machine-readable
# lines "BENCH <name> <key>=<value> ...". Figures only; nothing here asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DGRIN_BUILD_TESTS=OFF -DGRIN_ONLY= >/dev/null
names=("$@")
if ((${#names[@]} == 0)); then
  for script in bench/*/run.sh; do names+=("$(basename "$(dirname "$script")")"); done
fi
for name in "${names[@]}"; do
  if [[ ! -x bench/$name/run.sh ]]; then
    echo "bench/run.sh: no benchmark named '$name' (have: $(ls -d bench/*/ | xargs -n1 basename | tr '\n' ' '))" >&2
    exit 2
  fi
  echo "== $name"
  GRIN_BUILD_DIR=$PWD/build/release bench/$name/run.sh
done
