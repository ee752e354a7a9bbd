#!/usr/bin/env bash
# The README's first command: set up, build (Release) and run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
GRIN_TARGETS=grin scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DGRIN_BUILD_TESTS=OFF
exec build/release/grin demo "$@"
