#!/usr/bin/env bash
# bench/run.sh [--quick] [--no-build] [NAME...]: builds the Release tree (unless --no-build)
# and runs the named benchmarks, all of bench/*/run.sh when none are named, one after the
# other. Each bench/<name>/run.sh prints a human table, then machine-readable lines
# "BENCH <name> <key>=<value> ..."; --quick is passed on to each (smaller sets).
#
# Everything printed goes to bench/results/run.log too. Scripts that record time series
# write them to $GRIN_BENCH_SERIES_DIR (bench/results/series). At the end bench/report.py
# turns the log and the series into bench/results/latest.json, latest.md and SVG plots.
# A benchmark that fails is reported and the others still run; the exit status is then 1.
# Figures only; nothing here asserts a time (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
results=$repo/bench/results

usage() {
  echo "usage: bench/run.sh [--quick] [--no-build] [NAME...]" >&2
  echo "  benchmarks: $(available | tr '\n' ' ')" >&2
  exit 2
}
available() { for script in bench/*/run.sh; do basename "$(dirname "$script")"; done; }

quick=0 build=1 names=()
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    -h | --help) usage ;;
    -*) echo "bench/run.sh: unknown option $1" >&2; usage ;;
    *) names+=("$1") ;;
  esac
  shift
done
if ((${#names[@]} == 0)); then
  mapfile -t names < <(available)
fi
for name in "${names[@]}"; do
  [[ -x bench/$name/run.sh ]] || { echo "bench/run.sh: no benchmark named '$name'" >&2; usage; }
done

# Results of an earlier run must not mix with this one's: every figure and ratio in the
# report comes from this run.
mkdir -p "$results"
rm -rf "$results/series"
rm -f "$results"/*.svg
mkdir -p "$results/series"
export GRIN_BENCH_SERIES_DIR=$results/series
export GRIN_BUILD_DIR=$repo/build/release

seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

run_all() {
  local start failed=() quick_args=()
  ((quick)) && quick_args=(--quick)
  start=$(date +%s.%N)
  # "RUN" lines are for bench/report.py: what ran, how, and how each benchmark ended.
  local rev dirty=0
  rev=$(git rev-parse HEAD 2>/dev/null || echo unknown)
  [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]] && dirty=1
  echo "RUN start date=$(date -u +%Y-%m-%dT%H:%M:%SZ) quick=$quick git=$rev dirty=$dirty" \
    "benches=$(IFS=,; echo "${names[*]}")"
  if ((build)); then
    echo "building $GRIN_BUILD_DIR (Release) ..."
    scripts/setup.sh
    scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DGRIN_BUILD_TESTS=OFF -DGRIN_ONLY= \
      >/dev/null
  fi
  local name bench_start rc
  for name in "${names[@]}"; do
    echo
    echo "== $name"
    bench_start=$(date +%s.%N)
    rc=0
    bench/"$name"/run.sh "${quick_args[@]}" </dev/null || rc=$?
    echo "RUN bench=$name rc=$rc seconds=$(seconds_since "$bench_start")"
    if ((rc != 0)); then
      echo "bench/run.sh: $name FAILED (exit $rc); going on with the others"
      failed+=("$name")
    fi
  done
  echo
  echo "RUN end total_seconds=$(seconds_since "$start") failed=$(IFS=,; echo "${failed[*]}")"
  echo "total wall time: $(seconds_since "$start") s for ${#names[@]} benchmark(s)$( ((quick)) && echo ' (--quick)')"
  if ((${#failed[@]})); then
    echo "bench/run.sh: failed: ${failed[*]}"
    return 1
  fi
}

set +e
run_all 2>&1 | tee "$results/run.log"
status=${PIPESTATUS[0]}
# The report reads run.log, so it runs once tee has closed the file; what it prints is
# appended (bench/report.py ignores its own summary when it reads a log again).
echo
python3 bench/report.py --log "$results/run.log" --series "$results/series" --out "$results" 2>&1 |
  tee -a "$results/run.log"
if ((PIPESTATUS[0] != 0)); then
  echo "bench/run.sh: bench/report.py failed" | tee -a "$results/run.log"
  status=1
fi
exit "$status"
