#!/usr/bin/env bash
# BENCH http_pool: requests/s through the shared pool vs a new connection + full TLS
# handshake per request (the Python tool's session-per-request "before").
# --quick is accepted and changes nothing: the whole bench takes ~10 s.
set -euo pipefail
[[ ${1:-} == --quick ]] && shift
exec "${GRIN_BUILD_DIR:?}/bench/http_pool/bench_http_pool" "$@"
