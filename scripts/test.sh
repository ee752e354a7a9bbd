#!/usr/bin/env bash
# The README's test command: set up, build with ASan+UBSan, run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
scripts/setup.sh
scripts/build.sh build/test -DCMAKE_BUILD_TYPE=Debug -DGRIN_SANITIZE=ON -DGRIN_BUILD_BENCH=OFF -DGRIN_ONLY=
built=$(date +%s)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
ctest --test-dir build/test --output-on-failure -j 2 --timeout 300 "$@" || status=$?
# The reliability suite's table (case | injected | outcome | books lost), when it ran.
summary=build/test/tests/reliability/reliability_summary.txt
if [[ -f $summary ]]; then
  echo "Reliability suite:"
  cat "$summary"
fi
end=$(date +%s)
echo "test.sh: build $((built - start)) s, tests $((end - built)) s, total $((end - start)) s"
exit $status
