#!/usr/bin/env bash
# BENCH status_export (scenario 6): `grin sync status`, `grin export --format csv` and
# `--format jsonl` on a run of 100,000 books whose database is 500 MB or more, as after weeks
# of syncing: every book collected from the emulator, then given (by SQL, untimed) filled
# GRIN and MARC columns and a status history of 9 rows per book (checked ... completed, with
# JSON metadata) for 90% of books, a download_failed/retry history for the rest.
#
# Per command: wall seconds, CPU, peak RSS (/usr/bin/time -v) and how many times the
# command opened books.db (strace, in a separate untimed run; must be 1). Targets: each
# under 10 s, peak RSS <= 300 MB. Figures only; nothing here asserts a time.
#
# Options: --quick (20,000 books, same shape; the database is then ~110 MB).
# Environment: GRIN_BUILD_DIR (set by bench/run.sh); TMPDIR (~1.5 GB: database + exports).
set -euo pipefail
build=${GRIN_BUILD_DIR:?set GRIN_BUILD_DIR to the release build directory}
for tool in sqlite3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/status_export: $tool not installed" >&2; exit 2; }
done
books=100000
while (($#)); do
  case $1 in
    --quick) books=20000 ;;
    *) echo "usage: bench/status_export/run.sh [--quick]" >&2; exit 2 ;;
  esac
  shift
done

source "$(dirname "${BASH_SOURCE[0]}")/../measure.sh"
die() { echo "bench/status_export: $*" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-status-export-XXXXXX")
emulator_pid=
cleanup() {
  stop_emulator
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_emulator "$work/emulator.log" --books "$books" --data-dir "$work/emulator" \
  --write-credentials "$work/credentials" || die "no emulator"
url=$emulator_url
GRIN_CREDENTIALS_DIR="$work/credentials" "$build/grin" collect --run-name bench \
  --output-root "$work/output" --library-directory Harvard --storage local \
  --storage-path "$work/storage" --grin-base-url "$url/libraries/" \
  --ca-file "$work/credentials/emulator-ca.pem" --page-size 10000 >"$work/collect.log" 2>&1 ||
  die "collect failed: $(tail -5 "$work/collect.log")"
stop_emulator

db=$work/output/bench/books.db
echo "building a synced-looking history for $books books (untimed) ..."
fill_start=$(date +%s.%N)
sqlite3 "$db" >/dev/null <<'SQL'
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
UPDATE books SET
  grin_state = 'CONVERTED', grin_viewability = 'VIEW_FULL', grin_opted_out = 'false',
  grin_conditions = 'Tight binding; foxing on plates ' || barcode,
  grin_scannable = 'true', grin_tagging = 'false', grin_audit = 'PASS',
  grin_material_error_percent = '0.3', grin_overall_error_percent = '1.1',
  grin_claimed = 'false', grin_ocr_analysis_score = '92', grin_ocr_gtd_score = '88',
  grin_digitization_method = 'NON_DESTRUCTIVE', grin_check_in_date = '2019-04-02',
  grin_source_library_bibkey = 'bib' || substr(barcode, 3), grin_rubbish = 'false',
  enrichment_timestamp = '2026-11-20T10:00:00+00:00',
  marc_control_number = 'ocm' || substr(barcode, 3), marc_date_type = 's',
  marc_date_1 = '1887', marc_language = 'eng', marc_lccn = '   ' || substr(barcode, 3),
  marc_lc_call_number = 'PR4034 .P7 1887', marc_isbn = '',
  marc_oclc_numbers = '(OCoLC)' || substr(barcode, 3),
  marc_title = 'Collected essays on the natural history of the northern counties, volume ' ||
    substr(barcode, -3),
  marc_title_remainder = 'with plates, maps and an index of local names',
  marc_author_personal = 'Whitcombe, Josiah Aldous, 1821-1893.',
  marc_subjects = 'Natural history -- England, Northern; Geology -- England; Botany -- Early works to 1900',
  marc_genres = 'Early works.', marc_general_note = 'Includes bibliographical references and index. ' ||
    hex(randomblob(160)),
  marc_extraction_timestamp = '2026-11-21T10:00:00+00:00',
  storage_path = 'raw/' || barcode || '/' || barcode || '.tar.gz',
  encrypted_etag = '"' || lower(hex(randomblob(16))) || '"', is_decrypted = 1,
  sync_timestamp = '2026-11-21T10:00:00+00:00';
WITH steps(n, value, meta) AS (VALUES
  (1, 'checked', '{"etag":"\"%s\"","size":262144,"grin_url":"https://books.google.com/libraries/Harvard/%s.tar.gz.gpg"}'),
  (2, 'downloaded', '{"etag":"\"%s\"","bytes":262144,"seconds":0.41,"attempt":1}'),
  (3, 'decrypted', '{"bytes":261200,"mdc":"ok","seconds":0.04,"engine":"openssl %s"}'),
  (4, 'unpacked', '{"members":14,"pages":12,"ocr_pages":12,"barcode":"%s"}'),
  (5, 'uploaded', '{"path":"raw/%s/%s.tar.gz","bytes":261200,"sha256":"%s"}'),
  (6, 'text_extraction', '{"path":"full/%s.jsonl.gz","pages":12,"bytes":40312}'),
  (7, 'marc_extraction', '{"fields":18,"control_number":"%s","title_chars":84}'),
  (8, 'completed', '{"seconds":1.92,"session":"%s"}'),
  (9, 'checked', '{"etag":"\"%s\"","reason":"changed queue recheck","unchanged":true}'))
INSERT INTO book_status_history (barcode, status_type, status_value, timestamp, session_id, metadata)
SELECT books.barcode, 'sync',
       CASE WHEN steps.n >= 5 AND abs(random()) % 10 = 0 THEN 'download_failed' ELSE steps.value END,
       strftime('%Y-%m-%dT%H:%M:%f+00:00', '2026-11-21', '+' || (books.rowid * 9 + steps.n) || ' seconds'),
       'session-' || (books.rowid % 7),
       -- request_id: the size of what real metadata carries (error texts, headers, paths)
       json_set(printf(steps.meta, books.barcode, books.barcode, lower(hex(randomblob(32)))),
                '$.request_id', lower(hex(randomblob(100))))
FROM books CROSS JOIN steps ORDER BY books.rowid, steps.n;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
fill_seconds=$(calc %.1f "$(date +%s.%N) - $fill_start")
db_mb=$(calc %.0f "$(stat -c %s "$db") / 1e6")
rows=$(sqlite3 "$db" "select count(*) from book_status_history")
echo "database $db_mb MB, $rows status rows ($fill_seconds s to build)"

# Drop the file from the kernel cache? Not possible unprivileged; both runs read it warm
# (the sync that wrote it would have, too).
results=()
row=()
measure() { # label output-file command...
  local label=$1 output=$2
  shift 2
  /usr/bin/time -v -o "$work/$label.time" "$@" >"$output" 2>"$work/$label.err" ||
    die "$label failed: $(tail -5 "$work/$label.err")"
  local wall user sys rss_kb opens=''
  wall=$(time_field "Elapsed (wall clock) time (h:mm:ss or m:ss)" "$work/$label.time" |
    awk -F: '{ s = 0; for (i = 1; i <= NF; ++i) s = s * 60 + $i; printf "%.2f", s }')
  user=$(time_field "User time (seconds)" "$work/$label.time")
  sys=$(time_field "System time (seconds)" "$work/$label.time")
  rss_kb=$(time_field "Maximum resident set size (kbytes)" "$work/$label.time")
  if command -v strace >/dev/null; then
    strace -f -qq -e trace=openat -o "$work/$label.strace" "$@" >/dev/null 2>&1 || true
    opens=$(grep -c 'books\.db"' "$work/$label.strace" || true)
  fi
  printf '%-16s %8s s  CPU %6.2f s  peak RSS %4d MiB  books.db opened %s\n' "$label" "$wall" \
    "$(calc %.2f "$user + $sys")" "$((rss_kb / 1024))" "${opens:-?}"
  row+=("${label}_seconds=$wall ${label}_cpu_s=$(calc %.2f "$user + $sys") ${label}_peak_rss_mib=$((rss_kb / 1024))${opens:+ ${label}_sqlite_connections=$opens}")
}
grin=("$build/grin")
measure status "$work/status.txt" "${grin[@]}" sync status --run-name bench --output-root "$work/output"
books_with_commas=$(sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta' <<<"$books")
grep -q "$books_with_commas" "$work/status.txt" || die "sync status does not show $books books"
measure export_csv "$work/export-csv.log" "${grin[@]}" export --run-name bench \
  --output-root "$work/output" --format csv --output "$work/books.csv"
measure export_jsonl "$work/export-jsonl.log" "${grin[@]}" export --run-name bench \
  --output-root "$work/output" --format jsonl --output "$work/books.jsonl"
csv_rows=$(($(wc -l <"$work/books.csv") - 1))
jsonl_rows=$(wc -l <"$work/books.jsonl")
((csv_rows == books && jsonl_rows == books)) ||
  die "exports have $csv_rows CSV and $jsonl_rows JSONL rows, expected $books"
echo "exports: $csv_rows rows, CSV $(calc %.0f "$(stat -c %s "$work/books.csv") / 1e6") MB," \
  "JSONL $(calc %.0f "$(stat -c %s "$work/books.jsonl") / 1e6") MB"
echo "BENCH status_export books=$books db_mb=$db_mb status_rows=$rows ${row[*]}" \
  "target_seconds=10 target_peak_rss_mb=300"
