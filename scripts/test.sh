#!/usr/bin/env bash
# The README's test command (and CI's, via .ci/run): set up, then
#   1. build without sanitizers and run the whole suite: unit, integration, reliability
#      (its summary table is printed) and fuzz (every fuzz target is always built with
#      libFuzzer plus ASan+UBSan);
#   2. build again with ASan+UBSan in a separate directory and run the unit and
#      integration tests once more (reliability and fuzz are not repeated there: the
#      first is timing-heavy under ASan, the second already runs sanitized).
# Arguments are passed to both ctest runs (e.g. -R collect).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
scripts/setup.sh
status=0

scripts/build.sh build/test-plain -DCMAKE_BUILD_TYPE=Debug -DGRIN_SANITIZE=OFF \
  -DGRIN_BUILD_BENCH=OFF -DGRIN_ONLY=
plain_built=$(date +%s)
ctest --test-dir build/test-plain --output-on-failure -j 2 --timeout 300 "$@" || status=$?
# The reliability suite's table (case | injected | outcome | books lost), when it ran.
summary=build/test-plain/tests/reliability/reliability_summary.txt
if [[ -f $summary ]]; then
  echo "Reliability suite:"
  cat "$summary"
fi
plain_done=$(date +%s)

scripts/build.sh build/test-asan -DCMAKE_BUILD_TYPE=Debug -DGRIN_SANITIZE=ON -DGRIN_FUZZ=OFF \
  -DGRIN_BUILD_BENCH=OFF -DGRIN_ONLY=
asan_built=$(date +%s)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build/test-asan --output-on-failure -j 2 --timeout 300 -L 'unit|integration' \
  "$@" || status=$?
end=$(date +%s)

echo "test.sh: plain build $((plain_built - start)) s (setup included), all tests" \
  "$((plain_done - plain_built)) s; ASan+UBSan build $((asan_built - plain_done)) s, unit +" \
  "integration tests $((end - asan_built)) s; total $((end - start)) s"
exit $status
