#!/usr/bin/env bash
# BENCH collect: time and peak memory to collect 1,000,000 books from the emulator on
# loopback (the Python tool: "under an hour" for 1M+). Target: under 60 s on 2 cores.
# Options: --quick (200,000 books). GRIN_BENCH_BOOKS=N sets the count either way.
set -euo pipefail
build=${GRIN_BUILD_DIR:?}
default_books=1000000
case ${1:-} in
  --quick) default_books=200000 ;;
  '') ;;
  *) echo "usage: bench/collect/run.sh [--quick]" >&2; exit 2 ;;
esac
books=${GRIN_BENCH_BOOKS:-$default_books}
source "$(dirname "${BASH_SOURCE[0]}")/../measure.sh"
work=$(mktemp -d)
emulator_pid=
trap 'stop_emulator; rm -rf "$work"' EXIT

start_emulator "$work/emulator.log" --books "$books" --data-dir "$work/emulator" \
  --write-credentials "$work/credentials" || exit 1
url=$emulator_url

start=$(date +%s.%N)
GRIN_CREDENTIALS_DIR="$work/credentials" /usr/bin/time -f "%M %e %U %S" -o "$work/time.txt" \
  "$build/grin" collect --run-name bench --output-root "$work/output" \
  --library-directory Harvard --storage local --storage-path "$work/storage" \
  --grin-base-url "$url/libraries/" --ca-file "$work/credentials/emulator-ca.pem" \
  --page-size 10000 >"$work/collect.log" 2>&1
end=$(date +%s.%N)
read -r rss_kb wall user sys <"$work/time.txt"
rows=$(sqlite3 "$work/output/bench/books.db" "select count(*) from books")
seconds=$(echo "$end - $start" | bc)
rate=$(echo "scale=0; $rows / $seconds" | bc)
printf "%-22s %12s\n" "books collected" "$rows" "wall seconds" "$seconds" \
  "books/s" "$rate" "grin peak RSS (MiB)" "$((rss_kb / 1024))" "grin CPU user+sys s" "$user+$sys"
echo "BENCH collect books=$rows seconds=$seconds books_per_s=$rate peak_rss_mib=$((rss_kb / 1024)) target_seconds=60"
