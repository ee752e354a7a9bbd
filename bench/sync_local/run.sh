#!/usr/bin/env bash
# BENCH sync_local: `grin sync pipeline --queue converted` against the bundled emulator on
# loopback, on four sets (the issue's scenarios 1-4):
#   (a) 2,000 books x 256 KiB, local storage;
#   (b) 20 books x 64 MiB, local storage;
#   (c) set a's books with 40 ms latency before every response and one 200 Mbit/s link
#       shared by all responses (emulator --latency 40 --link-bandwidth 25000000);
#   (s3) 500 books x 1 MiB into moto's S3 server (three buckets).
# (--quick: 200, 4, 200 and 100 books.) Per set: `grin collect` into a fresh run, a
# pre-warm of the emulator's archive cache (a HEAD per book makes it build and gpg-encrypt
# every archive, untimed), then the timed sync under /usr/bin/time -v.
#
# The CPU ceiling comes from the same run: `grin extract` (decrypt + inflate + tar walk +
# OCR JSONL, the code sync runs on each archive) over a sample of the set's cached archives
# in one process gives CPU seconds per book; ceiling books/s = cores / that; ratio =
# achieved / ceiling (target >= 0.85). The emulator shares the cores, so its CPU during
# the timed run is measured (/proc/PID/stat) and a second ratio uses the cores it left:
# ratio_ex_emulator = achieved / ((cores - emulator cores) / CPU per book). For set c the
# link ceiling is link bytes/s / mean encrypted archive bytes, and ratio_link = achieved /
# min(link ceiling, CPU ceiling on the cores the emulator left): the link can only be kept
# full when the CPU can process what arrives (target >= 0.9). For set s3 the server is the
# limit; the figure that is ours is grin's CPU per book.
# Figures only; nothing here asserts a time.
#
# Options: --quick; --s2k-count N (default gpg's default, 65011712, as GRIN's archives);
# --sets "a c" (only these); --sync-args "..." (more flags for the timed `grin sync
# pipeline`, e.g. "--task-download-concurrency 8" to try a setting).
# GRIN_BENCH_PERF_DIR=DIR records the timed syncs with `perf record -g` into
# DIR/sync-<set>.data (the figures then include perf's own cost).
# Environment: GRIN_BUILD_DIR (set by bench/run.sh); TMPDIR for the work directory (set b
# needs ~3 GB there: the emulator's cache plus the stored copies; --quick ~0.6 GB).
set -euo pipefail
build=${GRIN_BUILD_DIR:?set GRIN_BUILD_DIR to the release build directory}
for tool in curl jq sqlite3 gpg /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/sync_local: $tool not installed" >&2; exit 2; }
done
[[ -x $build/grin && -x $build/grin-emulator ]] ||
  { echo "bench/sync_local: $build/grin or grin-emulator not built" >&2; exit 2; }

quick=0 only_sets='' sync_args=()
s2k_count=65011712 # gpg 2.2's default count on this machine; real GRIN archives use it
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --s2k-count) s2k_count=${2:?--s2k-count needs a value}; shift ;;
    --sets) only_sets=${2:?--sets needs a list}; shift ;;
    --sync-args) read -r -a sync_args <<<"${2:?--sync-args needs a value}"; shift ;;
    *) echo "usage: bench/sync_local/run.sh [--quick] [--s2k-count N] [--sets \"a c\"] [--sync-args \"...\"]" >&2
      exit 2 ;;
  esac
  shift
done
# name books archive_bytes ceiling_sample storage emulator-options (comma-separated)
# Sets a and c share the emulator's archive cache (same books, same encryption).
if ((quick)); then
  sets=("a 200 262144 20 local -" "c 200 262144 20 local --latency,40,--link-bandwidth,25000000"
    "b 4 67108864 2 local -" "s3 100 1048576 10 s3 -")
else
  sets=("a 2000 262144 50 local -" "c 2000 262144 50 local --latency,40,--link-bandwidth,25000000"
    "b 20 67108864 3 local -" "s3 500 1048576 20 s3 -")
fi
link_bytes_per_s=25000000

cores=$(nproc)
bench_start=$(date +%s.%N)
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-sync-local-XXXXXX")
emulator_pid=
moto_pid=
stop_moto() {
  if [[ -n $moto_pid ]]; then
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
    moto_pid=
  fi
}
cleanup() {
  stop_emulator
  stop_moto
  # In case the emulator died without stopping the agent of its private GNUPGHOME.
  for home in "$work"/archives-*/gnupg; do
    if [[ -d $home ]]; then GNUPGHOME=$home gpgconf --kill gpg-agent 2>/dev/null || true; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source "$(dirname "${BASH_SOURCE[0]}")/../measure.sh"
die() { echo "bench/sync_local: $*" >&2; exit 1; }
# sample_metrics LOG PID CSV: once the sync has printed "Metrics: URL" in LOG, record its
# /metrics every 0.5 s into CSV until PID (/usr/bin/time running it) exits. The sampler
# gets grin's own pid, under time (and perf), for grin's CPU seconds.
sample_metrics() {
  local log=$1 pid=$2 csv=$3 url='' child
  for _ in $(seq 1 300); do
    url=$(sed -n 's/^Metrics: \(http[^ ]*\)$/\1/p' "$log" 2>/dev/null | head -1) || true
    [[ -n $url ]] && break
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  [[ -n $url ]] || { echo "bench/sync_local: no metrics URL in $log" >&2; return 0; }
  while [[ $(cat "/proc/$pid/comm" 2>/dev/null) != grin ]]; do
    child=$(pgrep -P "$pid" | head -1) || break
    pid=$child
  done
  python3 "$(dirname "${BASH_SOURCE[0]}")/../sampler.py" --url "$url" --out "$csv" --pid "$pid"
}

echo "work directory $work ($(df -h --output=avail "$work" | tail -1 | tr -d ' ') free)," \
  "$cores cores, S2K count $s2k_count$( ((quick)) && echo ', --quick')"
results=()

# start_moto DIR: moto's S3 server on a free loopback port with three buckets (made by
# boto3, an independent client); sets moto_pid and moto_endpoint.
start_moto() {
  local dir=$1 port
  # moto checks no signature; the keys only have to exist (for grin and for boto3).
  export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
  unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
  port=$(free_port)
  "$python" -m moto.server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
  moto_pid=$!
  moto_endpoint=http://127.0.0.1:$port
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$moto_endpoint" && break
    sleep 0.2
  done
  "$python" - "$moto_endpoint" <<'PY' || die "cannot create buckets on moto"
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
for bucket in ("bench-raw", "bench-meta", "bench-full"):
    s3.create_bucket(Bucket=bucket)
PY
}

# s3_count ENDPOINT BUCKET SUFFIX: objects whose key ends in SUFFIX (boto3 listing).
s3_count() {
  "$python" - "$@" <<'PY'
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
count = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2]):
    count += sum(1 for item in page.get("Contents", []) if item["Key"].endswith(sys.argv[3]))
print(count)
PY
}

run_set() { # name books archive_bytes ceiling_sample storage emulator-options keep-archives
  local name=$1 books=$2 size=$3 sample=$4 storage=$5 emulator_options=() keep_archives=$7
  [[ $6 != - ]] && IFS=, read -r -a emulator_options <<<"$6"
  local dir=$work/$name archive_dir=$work/archives-$2-$3
  mkdir -p "$dir"
  echo
  echo "== set $name: $books books x $((size / 1024)) KiB, $storage storage${emulator_options[*]:+, emulator ${emulator_options[*]}}"

  start_emulator "$dir/emulator.log" --books "$books" --archive-size "$size" \
    --converted-fraction 1 --failed-fraction 0 --s2k-count "$s2k_count" \
    --token-lifetime 86400 --data-dir "$archive_dir" --write-credentials "$dir/credentials" \
    "${emulator_options[@]}" || die "no emulator"
  local url=$emulator_url ca=$dir/credentials/emulator-ca.pem
  export GRIN_CREDENTIALS_DIR=$dir/credentials

  local storage_args=(--storage local --storage-path "$dir/storage")
  if [[ $storage == s3 ]]; then
    start_moto "$dir"
    storage_args=(--storage s3 --bucket-raw bench-raw --bucket-meta bench-meta
      --bucket-full bench-full --storage-config "endpoint_url=$moto_endpoint")
  fi
  "$build/grin" collect --run-name bench --output-root "$dir/output" \
    --library-directory Harvard "${storage_args[@]}" \
    --grin-base-url "$url/libraries/" --ca-file "$ca" >"$dir/collect.log" 2>&1 ||
    die "collect failed: $(tail -5 "$dir/collect.log")"
  local collected
  collected=$(sqlite3 "$dir/output/bench/books.db" "select count(*) from books")
  ((collected == books)) || die "collect listed $collected books, expected $books"

  # Pre-warm: a HEAD per archive makes the emulator build and encrypt it (ETag = MD5 of the
  # encrypted bytes), so the timed run only reads its cache.
  local token warm_start warm_seconds failed_heads
  token=$(jq -r .token "$dir/credentials/credentials.json")
  echo "pre-warming the emulator's archive cache ($books gpg runs) ..."
  warm_start=$(date +%s.%N)
  sqlite3 "$dir/output/bench/books.db" "select barcode from books" |
    xargs -P $((cores * 2)) -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 600 -I \
      --cacert "$ca" -H "Authorization: Bearer $token" "$url/libraries/Harvard/{}.tar.gz.gpg" \
      >"$dir/warm.codes" || true
  warm_seconds=$(calc %.1f "$(date +%s.%N) - $warm_start")
  failed_heads=$(grep -vc '^200$' "$dir/warm.codes" || true)
  ((failed_heads == 0)) || die "pre-warm: $failed_heads HEAD requests did not answer 200"
  local archives=()
  mapfile -t archives < <(find "$archive_dir/archives" -name '*.tar.gz.gpg' | sort)
  ((${#archives[@]} == books)) || die "${#archives[@]} archives cached, expected $books"
  local encrypted_bytes
  encrypted_bytes=$(du -cb "${archives[@]}" | tail -1 | cut -f1)
  echo "pre-warm took $warm_seconds s; $(calc %.1f "$encrypted_bytes / 1e6") MB encrypted"

  # CPU ceiling: the processing CPU per book, from `grin extract` (decrypt, inflate, tar
  # walk, OCR JSONL: what sync does to each archive, without network and storage) over a
  # sample in one process, less the CPU of starting it (one `grin extract --help`). Sizes
  # vary ~3x within a set (3-12 pages), so the sample is spread evenly over the archives
  # sorted by size, and its CPU is scaled by set mean bytes / sample mean bytes (~1).
  find "$archive_dir/archives" -name '*.tar.gz.gpg' -printf '%s %p\n' | sort -n |
    awk -v n="$books" -v k="$sample" '{ size[NR] = $1; path[NR] = $2 }
      END { for (i = 0; i < k; ++i) { j = int((i + 0.5) * n / k) + 1; print size[j], path[j] } }' \
    >"$dir/sample.sized"
  local sample_files=()
  mapfile -t sample_files < <(cut -d' ' -f2 "$dir/sample.sized")
  /usr/bin/time -f "%U %S" -o "$dir/extract.time" "$build/grin" extract --log-level warning \
    --passphrase-file "$dir/credentials/gpg_passphrase.asc" --output-dir "$dir/extracted" \
    "${sample_files[@]}" >"$dir/extract.log" 2>&1 || die "grin extract failed: $(tail -3 "$dir/extract.log")"
  /usr/bin/time -f "%U %S" -o "$dir/start.time" "$build/grin" extract --help >/dev/null
  local d_user d_sys s_user s_sys start_cpu sample_bytes size_scale process_cpu_per_book ceiling
  read -r d_user d_sys <"$dir/extract.time"
  read -r s_user s_sys <"$dir/start.time"
  start_cpu=$(calc %.4f "$s_user + $s_sys")
  sample_bytes=$(awk '{ total += $1 } END { print total }' "$dir/sample.sized")
  size_scale=$(calc %.3f "($encrypted_bytes / $books) / ($sample_bytes / $sample)")
  process_cpu_per_book=$(calc %.4f "($d_user + $d_sys - $start_cpu) / $sample * $size_scale")
  ceiling=$(calc %.2f "$cores / $process_cpu_per_book")

  # The timed run.
  local cpu_emu0 cpu_emu1 busy0 busy1 start end
  cpu_emu0=$(proc_cpu "$emulator_pid")
  busy0=$(machine_busy)
  start=$(date +%s.%N)
  local perf=()
  if [[ -n ${GRIN_BENCH_PERF_DIR:-} ]]; then
    perf=(perf record -q -g -o "$GRIN_BENCH_PERF_DIR/sync-$name.data" --)
  fi
  # --metrics-port 0 in every run, sampled or not, so that both measure the same grin.
  /usr/bin/time -v -o "$dir/sync.time" "${perf[@]}" "$build/grin" sync pipeline --run-name bench \
    --output-root "$dir/output" --queue converted --metrics-port 0 "${sync_args[@]}" \
    >"$dir/sync.log" 2>&1 &
  local sync_pid=$! sampler_pid='' sync_status=0
  if [[ -n ${GRIN_BENCH_SERIES_DIR:-} ]]; then
    sample_metrics "$dir/sync.log" "$sync_pid" "$GRIN_BENCH_SERIES_DIR/sync_local-$name.csv" &
    sampler_pid=$!
  fi
  wait "$sync_pid" || sync_status=$?
  end=$(date +%s.%N)
  busy1=$(machine_busy)
  cpu_emu1=$(proc_cpu "$emulator_pid")
  if [[ -n $sampler_pid ]]; then wait "$sampler_pid" || true; fi
  ((sync_status == 0)) || die "sync failed (exit $sync_status): $(tail -15 "$dir/sync.log")"
  stop_emulator

  local synced connections
  synced=$(sed -n 's/^Sync finished: \([0-9,]*\) synced.*/\1/p' "$dir/sync.log" | tr -d ,)
  [[ $synced == "$books" ]] || die "synced '$synced' books, expected $books: $(tail -15 "$dir/sync.log")"
  connections=$(sed -n 's/^Connections (GRIN and storage): \([0-9,]*\) opened.*/\1/p' "$dir/sync.log" | tr -d ,)
  local connections_line full_handshakes resumed_handshakes sqlite_connections
  connections_line=$(grep '^Connections (GRIN and storage):' "$dir/sync.log")
  full_handshakes=$(sed -n 's/.* \([0-9,]*\) full TLS handshakes.*/\1/p' <<<"$connections_line" | tr -d ,)
  resumed_handshakes=$(sed -n 's/.* \([0-9,]*\) resumed).*/\1/p' <<<"$connections_line" | tr -d ,)
  sqlite_connections=$(sed -n 's/.*SQLite \([0-9,]*\) opened.*/\1/p' <<<"$connections_line" | tr -d ,)
  local stored
  if [[ $storage == s3 ]]; then
    stored=$(s3_count "$moto_endpoint" bench-raw .tar.gz)
    stop_moto
  else
    stored=$(find "$dir/storage" -name '*.tar.gz' | wc -l)
  fi
  ((stored == books)) || die "$stored archives stored, expected $books"

  local seconds user sys rss_kb books_per_s mb_per_s cpu_per_book emu_cpu emu_cores
  local others_cores ratio ceiling_ex ratio_ex grin_cores left_cores ceiling_left ratio_left
  seconds=$(calc %.2f "$end - $start")
  user=$(time_field "User time (seconds)" "$dir/sync.time")
  sys=$(time_field "System time (seconds)" "$dir/sync.time")
  rss_kb=$(time_field "Maximum resident set size (kbytes)" "$dir/sync.time")
  books_per_s=$(calc %.2f "$books / $seconds")
  mb_per_s=$(calc %.1f "$encrypted_bytes / 1e6 / $seconds")
  cpu_per_book=$(calc %.4f "($user + $sys) / $books")
  grin_cores=$(calc %.2f "($user + $sys) / $seconds")
  emu_cpu=$(calc %.2f "$cpu_emu1 - $cpu_emu0")
  emu_cores=$(calc %.2f "$emu_cpu / $seconds")
  others_cores=$(calc %.2f "($busy1 - $busy0 - $user - $sys - $emu_cpu) / $seconds")
  ratio=$(calc %.2f "$books_per_s / $ceiling")
  ceiling_ex=$(calc %.2f "($cores - $emu_cores) / $process_cpu_per_book")
  ratio_ex=$(calc %.2f "$books_per_s / $ceiling_ex")
  # Approximate: other processes would also have taken some of what we left idle.
  left_cores=$(calc %.2f "$cores - $emu_cores - $others_cores")
  ceiling_left=$(calc %.2f "$left_cores / $process_cpu_per_book")
  ratio_left=$(calc %.2f "$books_per_s / $ceiling_left")
  # The CPU-ceiling target is for sets a and b. Set c's is the link's (ratio_link); set
  # s3 is limited by the server, and the figure that is ours is grin's CPU per book.
  local rss_target='   target <= 300 MB' extra_rows=() extra_keys='' ratio_target_key=''
  local ratio_note='   (no target: see ratio_link)'
  if [[ $storage == s3 ]]; then
    ratio_note='   (no target: the S3 server is the limit)'
    # Every stage counts here (decryption is most of it); the upload path alone is
    # bench/s3_upload's client_cpu_s per object.
    extra_rows=("grin CPU ms per book, all stages (2 objects)" "$(calc %.1f "$cpu_per_book * 1000")")
    extra_keys=" cpu_ms_per_book_all_stages=$(calc %.1f "$cpu_per_book * 1000")"
  elif [[ -z ${emulator_options[*]} ]]; then
    ratio_note='   target >= 0.85' ratio_target_key=' target_ratio=0.85'
  fi
  if [[ ${emulator_options[*]} == *--link-bandwidth* ]]; then
    local link_ceiling link_or_cpu ratio_link
    link_ceiling=$(calc %.2f "$link_bytes_per_s / ($encrypted_bytes / $books)")
    link_or_cpu=$(awk -v a="$link_ceiling" -v b="$ceiling_ex" 'BEGIN { printf "%.2f", a < b ? a : b }')
    ratio_link=$(calc %.2f "$books_per_s / $link_or_cpu")
    extra_rows+=("link ceiling books/s ($((link_bytes_per_s * 8 / 1000000)) Mbit/s / archive)" "$link_ceiling"
      "ratio_link (achieved / min(link, CPU left))" "$ratio_link   target >= 0.9")
    extra_keys+=" link_bytes_per_s=$link_bytes_per_s link_ceiling_books_per_s=$link_ceiling ratio_link=$ratio_link"
  fi
  local rss_mib=$((rss_kb / 1024)) rss_mb
  rss_mb=$(calc %.0f "$rss_kb * 1024 / 1e6")

  printf '%-44s %s\n' \
    "books synced" "$books" \
    "archive size (encrypted, average)" "$(calc %.0f "$encrypted_bytes / $books / 1024") KiB" \
    "wall seconds" "$seconds" \
    "books/s" "$books_per_s" \
    "MB/s (encrypted bytes / wall)" "$mb_per_s" \
    "grin CPU user + sys seconds" "$user + $sys" \
    "grin CPU seconds per book" "$cpu_per_book" \
    "grin cores used (CPU s / wall s)" "$grin_cores of $cores" \
    "grin peak RSS" "$rss_mib MiB ($rss_mb MB)$rss_target" \
    "GRIN connections opened" "$connections" \
    "extract CPU s per book (sample of $sample)" "$process_cpu_per_book (process start $(calc %.1f "$start_cpu * 1000") ms excluded; size scale $size_scale)" \
    "CPU ceiling books/s ($cores cores / that)" "$ceiling" \
    "ratio achieved / ceiling" "$ratio$ratio_note" \
    "emulator CPU seconds during the run" "$emu_cpu ($emu_cores cores)" \
    "other processes on the machine" "$others_cores cores (not ours, not the emulator)" \
    "ceiling on the cores the emulator left" "$ceiling_ex books/s" \
    "ratio_ex_emulator (achieved / that)" "$ratio_ex" \
    "cores left by emulator + others (approx.)" "$left_cores -> ceiling $ceiling_left books/s, ratio $ratio_left" \
    "${extra_rows[@]}"
  echo "  sync: $(grep '^Concurrency:' "$dir/sync.log")"
  echo "  sync: $connections_line"
  results+=("BENCH sync_local set=$name storage=$storage books=$books archive_bytes=$size s2k_count=$s2k_count \
seconds=$seconds books_per_s=$books_per_s mb_per_s=$mb_per_s cpu_s_per_book=$cpu_per_book \
grin_cores=$grin_cores peak_rss_mib=$rss_mib grin_connections=$connections \
tls_full_handshakes=${full_handshakes:-?} tls_resumed_handshakes=${resumed_handshakes:-?} \
sqlite_connections=${sqlite_connections:-?} \
extract_cpu_s_per_book=$process_cpu_per_book process_start_cpu_s=$start_cpu ceiling_books_per_s=$ceiling ratio=$ratio \
emulator_cpu_s=$emu_cpu emulator_cores=$emu_cores other_cores=$others_cores \
ceiling_ex_emulator_books_per_s=$ceiling_ex ratio_ex_emulator=$ratio_ex \
cores_left=$left_cores ratio_on_cores_left=$ratio_left \
prewarm_seconds=$warm_seconds$ratio_target_key target_peak_rss_mb=300$extra_keys")
  # Set b's files are large: free them before the next set.
  rm -rf "$dir"
  ((keep_archives)) || rm -rf "$archive_dir"
}

python=$(python_with boto3 moto)
for ((i = 0; i < ${#sets[@]}; ++i)); do
  read -r -a spec <<<"${sets[i]}"
  [[ -z $only_sets || " $only_sets " == *" ${spec[0]} "* ]] || continue
  if [[ ${spec[4]} == s3 && -z $python ]]; then
    echo "set ${spec[0]} skipped: no python3 with boto3 and moto (moto's S3 server)"
    continue
  fi
  # The archives stay for a later set with the same books (set c reuses set a's).
  keep=0
  for ((j = i + 1; j < ${#sets[@]}; ++j)); do
    read -r -a later <<<"${sets[j]}"
    [[ ${later[1]} == "${spec[1]}" && ${later[2]} == "${spec[2]}" ]] && keep=1
  done
  run_set "${spec[@]}" "$keep"
done
echo
echo "bench wall seconds $(calc %.0f "$(date +%s.%N) - $bench_start") (pre-warm included)"
for line in "${results[@]}"; do
  echo "$line"
done
