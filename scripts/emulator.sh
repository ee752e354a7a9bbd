#!/usr/bin/env bash
# emulator.sh [--books N] [--port P] [--library NAME]: builds grin and the bundled GRIN
# emulator if needed, starts the emulator in the foreground on loopback and prints the
# lines to paste into another terminal to use `grin` against it (the README's
# walkthrough). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
books=2000
port=8443
library=Demo
while (($#)); do
  case $1 in
    --books) books=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --library) library=$2; shift 2 ;;
    *) echo "emulator.sh: unknown option $1 (use --books N, --port P, --library NAME)" >&2; exit 2 ;;
  esac
done
if [[ ! -x build/release/grin || ! -x build/release/grin-emulator ]]; then
  scripts/setup.sh
  GRIN_TARGETS="grin grin-emulator" scripts/build.sh build/release \
    -DCMAKE_BUILD_TYPE=Release -DGRIN_BUILD_TESTS=OFF -DGRIN_ONLY=
fi
dir=$PWD/output/emulator
mkdir -p "$dir"
cat <<TEXT
GRIN emulator: library $library, $books books, https://127.0.0.1:$port (Ctrl-C stops it)
In another terminal, from $PWD:

  export PATH=$PWD/build/release:\$PATH
  export GRIN_CREDENTIALS_DIR=$dir/credentials
  grin collect --run-name walkthrough --library-directory $library \\
    --storage local --storage-path $PWD/output/walkthrough-storage \\
    --grin-base-url https://127.0.0.1:$port/libraries/ --ca-file $dir/credentials/emulator-ca.pem

TEXT
exec build/release/grin-emulator --port "$port" --books "$books" --library "$library" \
  --s2k-count 65536 --data-dir "$dir/data" --write-credentials "$dir/credentials"
