#!/usr/bin/env bash
# Status-update commits/sec: the database actor (group commit) vs a new connection per
# operation (grin-transfer's "before") vs one connection committing per operation.
set -euo pipefail
: "${GRIN_BUILD_DIR:?set GRIN_BUILD_DIR to the release build directory}"
exec "$GRIN_BUILD_DIR/bench/db_actor/bench_db_actor" "$@"
