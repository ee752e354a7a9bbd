#!/usr/bin/env bash
# The README's first command: set up, build, start the bundled GRIN emulator, and run the
# whole job against it: collect, enrich, process request, sync pipeline, sync status,
# export and reports view, into a local storage folder. Options: --books N (default
# 2000), --sync-limit N (default 500), --run-name NAME (default demo).
set -euo pipefail
cd "$(dirname "$0")/.."
books=2000
sync_limit=500
run_name=demo
while (($#)); do
  case $1 in
    --books) books=$2; shift 2 ;;
    --sync-limit) sync_limit=$2; shift 2 ;;
    --run-name) run_name=$2; shift 2 ;;
    *) echo "demo.sh: unknown option $1 (use --books N, --sync-limit N, --run-name NAME)" >&2; exit 2 ;;
  esac
done

scripts/setup.sh
GRIN_TARGETS="grin grin-emulator" scripts/build.sh build/release \
  -DCMAKE_BUILD_TYPE=Release -DGRIN_BUILD_TESTS=OFF -DGRIN_ONLY=

demo_dir=$PWD/output/demo-emulator
mkdir -p "$demo_dir"
# The emulator gets a new port each time and a run's settings are written once, so the
# demo starts its run afresh (a real run would be resumed instead).
if [[ -d output/$run_name ]]; then
  echo "(removing the previous demo run output/$run_name)"
  rm -rf "output/$run_name" "output/$run_name-storage"
fi
# A low S2K count keeps the emulator's own gpg encryption of each archive quick; the
# sync pays the same per-book key derivation either way (see bench/decrypt).
build/release/grin-emulator --port 0 --books "$books" --library Demo --s2k-count 65536 \
  --data-dir "$demo_dir/data" --write-credentials "$demo_dir/credentials" \
  >"$demo_dir/emulator.log" 2>&1 &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  grep -q "listening on" "$demo_dir/emulator.log" && break
  kill -0 $emulator_pid 2>/dev/null || { cat "$demo_dir/emulator.log" >&2; exit 1; }
  sleep 0.05
done
url=$(grep -o 'https://[0-9.:]*' "$demo_dir/emulator.log" | head -1)
echo "GRIN emulator: $url (library Demo, $books books; credentials in $demo_dir/credentials)"

GRIN_CREDENTIALS_DIR="$demo_dir/credentials" build/release/grin collect \
  --run-name "$run_name" --library-directory Demo \
  --storage local --storage-path "$PWD/output/$run_name-storage" \
  --grin-base-url "$url/libraries/" --ca-file "$demo_dir/credentials/emulator-ca.pem"

echo
echo "== grin process request: ask GRIN to convert up to 50 books it has never converted (before enrich fills their check-in dates) =="
GRIN_CREDENTIALS_DIR="$demo_dir/credentials" build/release/grin process request \
  --run-name "$run_name" --queue unconverted --limit 50

echo
echo "== grin enrich: GRIN's per-book metadata (state, viewability, scores, dates) =="
GRIN_CREDENTIALS_DIR="$demo_dir/credentials" build/release/grin enrich --run-name "$run_name"

echo
echo "== grin sync pipeline: up to $sync_limit converted books (check, download, decrypt, store archive + OCR text + MARC) =="
GRIN_CREDENTIALS_DIR="$demo_dir/credentials" build/release/grin sync pipeline \
  --run-name "$run_name" --queue converted --limit "$sync_limit" || sync_exit=$?
if ((${sync_exit:-0} == 1)); then
  echo "(some books failed; their reasons are above and in 'grin sync status')"
elif ((${sync_exit:-0} != 0)); then
  echo "grin sync pipeline stopped with exit code $sync_exit" >&2
  exit "$sync_exit"
fi

echo
echo "== grin sync status =="
build/release/grin sync status --run-name "$run_name"

echo
echo "== grin export --format jsonl =="
build/release/grin export --run-name "$run_name" --format jsonl

echo
echo "== grin reports view =="
build/release/grin reports view --run-name "$run_name"

echo
echo "Results:"
echo "  database:      output/$run_name/books.db ($(sqlite3 "output/$run_name/books.db" 'select count(*) from books') books)"
echo "  archives:      output/$run_name-storage/raw/<barcode>/<barcode>.tar.gz ($(find "output/$run_name-storage/raw" -name '*.tar.gz' | wc -l) files)"
echo "  OCR text:      output/$run_name-storage/full/$run_name/<barcode>_ocr.jsonl.gz"
echo "  CSV export:    output/$run_name/books_export.csv"
echo "  run settings:  output/$run_name/run_config.json"
echo "  JSONL export:  output/$run_name/books_export.jsonl"
echo "The emulator stopped with this script; scripts/emulator.sh keeps one running for the"
echo "README's walkthrough (resume, dry runs, Ctrl-C)."
echo "Try: sqlite3 output/$run_name/books.db \\"
echo "       \"select status_value, count(*) from book_status_history where status_type='sync' group by 1\""
