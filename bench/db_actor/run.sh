#!/usr/bin/env bash
# Status-update commits/sec: the database actor (group commit) vs a new connection per
# operation (grin-transfer's "before") vs one connection committing per operation.
# --quick is accepted and changes nothing (bench/run.sh passes it to every benchmark).
set -euo pipefail
[[ ${1:-} == --quick ]] && shift
: "${GRIN_BUILD_DIR:?set GRIN_BUILD_DIR to the release build directory}"
exec "$GRIN_BUILD_DIR/bench/db_actor/bench_db_actor" "$@"
