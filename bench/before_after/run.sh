#!/usr/bin/env bash
# BENCH before_after: per-book CPU of `grin sync pipeline` against the Python tool's
# choices reproduced inside our code (bench/before_after/legacy_sync: a new HTTP session and
# full TLS handshake per request, a new SQLite connection per database operation, a gpg
# process per book), on the same emulator, the same archives and the same storage in the
# same run. Target: ours at least 8x cheaper per book.
#
# Two archive sets, because the OpenPGP key derivation (S2K) is a fixed cost both sides
# pay per book and it dominates small books: (real) gpg's default S2K count, as GRIN's
# archives; (light) S2K count 65536, which shows what the other choices cost.
# Per set: 200 books x 256 KiB (--quick: 40). CPU counts the process and its children
# (gpg) from /usr/bin/time; process start-up is included on both sides.
# Environment: GRIN_BUILD_DIR (set by bench/run.sh); TMPDIR (~0.3 GB).
set -euo pipefail
build=${GRIN_BUILD_DIR:?set GRIN_BUILD_DIR to the release build directory}
legacy=$build/bench/before_after/legacy_sync
[[ -x $legacy && -x $build/grin && -x $build/grin-emulator ]] ||
  { echo "bench/before_after: build grin, grin-emulator and legacy_sync first" >&2; exit 2; }
books=200
while (($#)); do
  case $1 in
    --quick) books=40 ;;
    *) echo "usage: bench/before_after/run.sh [--quick]" >&2; exit 2 ;;
  esac
  shift
done

source "$(dirname "${BASH_SOURCE[0]}")/../measure.sh"
die() { echo "bench/before_after: $*" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-before-after-XXXXXX")
emulator_pid=
trap 'stop_emulator; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

results=()
run_set() { # name s2k_count
  local name=$1 count=$2 dir=$work/$1
  mkdir -p "$dir"
  start_emulator "$dir/emulator.log" --books "$books" --archive-size 262144 \
    --converted-fraction 1 --failed-fraction 0 --s2k-count "$count" --token-lifetime 86400 \
    --data-dir "$dir/emulator" --write-credentials "$dir/credentials" || die "no emulator"
  local url=$emulator_url ca=$dir/credentials/emulator-ca.pem
  export GRIN_CREDENTIALS_DIR=$dir/credentials
  for run in ours legacy; do
    "$build/grin" collect --run-name "$run" --output-root "$dir/output" \
      --library-directory Harvard --storage local --storage-path "$dir/storage-$run" \
      --grin-base-url "$url/libraries/" --ca-file "$ca" >"$dir/collect-$run.log" 2>&1 ||
      die "collect failed: $(tail -5 "$dir/collect-$run.log")"
  done
  local barcodes=()
  mapfile -t barcodes < <(sqlite3 "$dir/output/ours/books.db" "select barcode from books order by barcode")
  # Untimed: the emulator builds and encrypts each archive on its first request.
  local token
  token=$(jq -r .token "$dir/credentials/credentials.json")
  printf '%s\n' "${barcodes[@]}" | xargs -P 4 -I{} curl -s -o /dev/null -I --cacert "$ca" \
    -H "Authorization: Bearer $token" "$url/libraries/Harvard/{}.tar.gz.gpg"

  /usr/bin/time -f "%e %U %S" -o "$dir/ours.time" "$build/grin" sync pipeline --run-name ours \
    --output-root "$dir/output" --queue converted >"$dir/ours.log" 2>&1 ||
    die "grin sync failed: $(tail -5 "$dir/ours.log")"
  /usr/bin/time -f "%e %U %S" -o "$dir/legacy.time" "$legacy" --base-url "$url/libraries/Harvard" \
    --ca-file "$ca" --token-file "$dir/credentials/credentials.json" \
    --passphrase-file "$dir/credentials/gpg_passphrase.asc" --db "$dir/output/legacy/books.db" \
    --storage-dir "$dir/storage-legacy" --work-dir "$dir/legacy-work" "${barcodes[@]}" \
    >"$dir/legacy.log" 2>&1 || die "legacy_sync failed: $(tail -5 "$dir/legacy.log")"
  stop_emulator

  local ours_books legacy_books
  ours_books=$(find "$dir/storage-ours" -name '*.tar.gz' | wc -l)
  legacy_books=$(find "$dir/storage-legacy" -name '*.tar.gz' | wc -l)
  ((ours_books == books && legacy_books == books)) ||
    die "stored $ours_books (ours) and $legacy_books (legacy) archives, expected $books each"
  local o_wall o_user o_sys l_wall l_user l_sys ours_cpu legacy_cpu ratio
  read -r o_wall o_user o_sys <"$dir/ours.time"
  read -r l_wall l_user l_sys <"$dir/legacy.time"
  ours_cpu=$(calc %.4f "($o_user + $o_sys) / $books")
  legacy_cpu=$(calc %.4f "($l_user + $l_sys) / $books")
  ratio=$(calc %.1f "$legacy_cpu / $ours_cpu")
  printf '%-6s S2K %-9s ours %7.1f ms CPU/book (%5.1f books/s)   before %7.1f ms CPU/book (%5.1f books/s)   ratio %s\n' \
    "$name" "$count" "$(calc %.1f "$ours_cpu * 1000")" "$(calc %.1f "$books / $o_wall")" \
    "$(calc %.1f "$legacy_cpu * 1000")" "$(calc %.1f "$books / $l_wall")" "$ratio"
  results+=("BENCH before_after set=$name s2k_count=$count books=$books ours_cpu_s_per_book=$ours_cpu \
legacy_cpu_s_per_book=$legacy_cpu ours_books_per_s=$(calc %.2f "$books / $o_wall") \
legacy_books_per_s=$(calc %.2f "$books / $l_wall") cpu_ratio=$ratio target_cpu_ratio=8")
}

echo "$books books x 256 KiB per set; 'before' = new TLS session per request, SQLite"
echo "connection per operation, gpg process per book (bench/before_after/legacy_sync.cpp)"
run_set real 65011712
run_set light 65536
printf '%s\n' "${results[@]}"
