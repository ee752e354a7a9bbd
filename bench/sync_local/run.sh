#!/usr/bin/env bash
# BENCH sync_local: `grin sync pipeline --queue converted` against the bundled emulator on
# loopback with local storage, on two sets: (a) 2,000 books x 256 KiB, (b) 20 books x 64 MiB
# (--quick: 200 x 256 KiB and 4 x 64 MiB). Per set: `grin collect` into a fresh run, a
# pre-warm of the emulator's archive cache (a HEAD per book makes it build and gpg-encrypt
# every archive, untimed), then the timed sync under /usr/bin/time -v.
#
# The CPU ceiling comes from the same run: `grin decrypt` (the decryptor sync uses) over a
# sample of the set's cached archives gives CPU seconds per book; ceiling books/s =
# cores / that. ratio = achieved / ceiling (target >= 0.8). The emulator shares the cores,
# so its CPU during the timed run is measured (/proc/PID/stat) and a second ratio uses the
# cores it left: ratio_ex_emulator = achieved / ((cores - emulator cores) / CPU per book).
# Figures only; nothing here asserts a time.
#
# Options: --quick; --s2k-count N (default gpg's default, 65011712, as GRIN's archives).
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

quick=0
s2k_count=65011712 # gpg 2.2's default count on this machine; real GRIN archives use it
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --s2k-count) s2k_count=${2:?--s2k-count needs a value}; shift ;;
    *) echo "usage: bench/sync_local/run.sh [--quick] [--s2k-count N]" >&2; exit 2 ;;
  esac
  shift
done
# name books archive_bytes decrypt_sample
if ((quick)); then
  sets=("a 200 262144 20" "b 4 67108864 2")
else
  sets=("a 2000 262144 50" "b 20 67108864 3")
fi

cores=$(nproc)
bench_start=$(date +%s.%N)
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-sync-local-XXXXXX")
emulator_pid=
stop_emulator() {
  if [[ -n $emulator_pid ]]; then
    kill "$emulator_pid" 2>/dev/null || true # SIGTERM: the emulator stops its gpg-agent
    wait "$emulator_pid" 2>/dev/null || true
    emulator_pid=
  fi
}
cleanup() {
  stop_emulator
  # In case the emulator died without stopping the agent of its private GNUPGHOME.
  for home in "$work"/*/emulator/gnupg; do
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

run_set() { # name books archive_bytes decrypt_sample
  local name=$1 books=$2 size=$3 sample=$4
  local dir=$work/$name
  mkdir -p "$dir"
  echo
  echo "== set $name: $books books x $((size / 1024)) KiB"

  "$build/grin-emulator" --port 0 --books "$books" --archive-size "$size" \
    --converted-fraction 1 --failed-fraction 0 --s2k-count "$s2k_count" \
    --token-lifetime 86400 --data-dir "$dir/emulator" --write-credentials "$dir/credentials" \
    >"$dir/emulator.log" 2>&1 &
  emulator_pid=$!
  for _ in $(seq 1 200); do
    grep -q "listening on" "$dir/emulator.log" && break
    kill -0 "$emulator_pid" 2>/dev/null || die "the emulator exited: $(cat "$dir/emulator.log")"
    sleep 0.1
  done
  local url ca=$dir/credentials/emulator-ca.pem
  url=$(grep -o 'https://[0-9.:]*' "$dir/emulator.log" | head -1)
  [[ -n $url ]] || die "the emulator did not start: $(cat "$dir/emulator.log")"
  export GRIN_CREDENTIALS_DIR=$dir/credentials

  "$build/grin" collect --run-name bench --output-root "$dir/output" \
    --library-directory Harvard --storage local --storage-path "$dir/storage" \
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
  mapfile -t archives < <(find "$dir/emulator/archives" -name '*.tar.gz.gpg' | sort)
  ((${#archives[@]} == books)) || die "${#archives[@]} archives cached, expected $books"
  local encrypted_bytes
  encrypted_bytes=$(du -cb "${archives[@]}" | tail -1 | cut -f1)
  echo "pre-warm took $warm_seconds s; $(calc %.1f "$encrypted_bytes / 1e6") MB encrypted"

  # CPU ceiling: decrypt-only CPU per book, one `grin decrypt` process per archive, less
  # the CPU of starting such a process (as many `grin decrypt --help` runs; ~10 ms, a
  # fifth of a small book's cost). Sizes vary ~3x within a set (3-12 pages), so the sample
  # is spread evenly over the archives sorted by size, and its CPU is scaled by set mean
  # bytes / sample mean bytes (~1).
  find "$dir/emulator/archives" -name '*.tar.gz.gpg' -printf '%s %p\n' | sort -n |
    awk -v n="$books" -v k="$sample" '{ size[NR] = $1; path[NR] = $2 }
      END { for (i = 0; i < k; ++i) { j = int((i + 0.5) * n / k) + 1; print size[j], path[j] } }' \
    >"$dir/sample.sized"
  cut -d' ' -f2 "$dir/sample.sized" >"$dir/sample.list"
  # shellcheck disable=SC2016 # the inner script's own arguments
  /usr/bin/time -f "%U %S" -o "$dir/decrypt.time" bash -c '
    while read -r file; do
      "$1" decrypt --passphrase-file "$2" "$file" "$3" >/dev/null 2>&1 || exit 1
      rm -f "$3"
    done <"$4"' _ "$build/grin" "$dir/credentials/gpg_passphrase.asc" "$dir/decrypted.out" \
    "$dir/sample.list" || die "grin decrypt failed"
  # shellcheck disable=SC2016 # the inner script's own arguments
  /usr/bin/time -f "%U %S" -o "$dir/start.time" bash -c '
    for ((i = 0; i < $2; ++i)); do "$1" decrypt --help >/dev/null; done' _ "$build/grin" "$sample"
  local d_user d_sys s_user s_sys start_cpu sample_bytes size_scale decrypt_cpu_per_book ceiling
  read -r d_user d_sys <"$dir/decrypt.time"
  read -r s_user s_sys <"$dir/start.time"
  start_cpu=$(calc %.4f "($s_user + $s_sys) / $sample")
  sample_bytes=$(awk '{ total += $1 } END { print total }' "$dir/sample.sized")
  size_scale=$(calc %.3f "($encrypted_bytes / $books) / ($sample_bytes / $sample)")
  decrypt_cpu_per_book=$(calc %.4f "(($d_user + $d_sys) / $sample - $start_cpu) * $size_scale")
  ceiling=$(calc %.2f "$cores / $decrypt_cpu_per_book")

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
    --output-root "$dir/output" --queue converted --metrics-port 0 >"$dir/sync.log" 2>&1 &
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
  local connections_line
  connections_line=$(grep '^Connections (GRIN and storage):' "$dir/sync.log")
  local stored
  stored=$(find "$dir/storage" -name '*.tar.gz' | wc -l)
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
  ceiling_ex=$(calc %.2f "($cores - $emu_cores) / $decrypt_cpu_per_book")
  ratio_ex=$(calc %.2f "$books_per_s / $ceiling_ex")
  # Approximate: other processes would also have taken some of what we left idle.
  left_cores=$(calc %.2f "$cores - $emu_cores - $others_cores")
  ceiling_left=$(calc %.2f "$left_cores / $decrypt_cpu_per_book")
  ratio_left=$(calc %.2f "$books_per_s / $ceiling_left")
  local rss_target='' rss_target_key=''
  if [[ $name == b ]]; then
    rss_target='   target < 300 MB' rss_target_key=' target_peak_rss_mb=300'
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
    "decrypt-only CPU s per book (sample of $sample)" "$decrypt_cpu_per_book (process start $(calc %.1f "$start_cpu * 1000") ms excluded; size scale $size_scale)" \
    "CPU ceiling books/s ($cores cores / that)" "$ceiling" \
    "ratio achieved / ceiling" "$ratio   target >= 0.8" \
    "emulator CPU seconds during the run" "$emu_cpu ($emu_cores cores)" \
    "other processes on the machine" "$others_cores cores (not ours, not the emulator)" \
    "ceiling on the cores the emulator left" "$ceiling_ex books/s" \
    "ratio_ex_emulator (achieved / that)" "$ratio_ex" \
    "cores left by emulator + others (approx.)" "$left_cores -> ceiling $ceiling_left books/s, ratio $ratio_left"
  echo "  sync: $(grep '^Concurrency:' "$dir/sync.log")"
  echo "  sync: $connections_line"
  results+=("BENCH sync_local set=$name books=$books archive_bytes=$size s2k_count=$s2k_count \
seconds=$seconds books_per_s=$books_per_s mb_per_s=$mb_per_s cpu_s_per_book=$cpu_per_book \
grin_cores=$grin_cores peak_rss_mib=$rss_mib grin_connections=$connections \
decrypt_cpu_s_per_book=$decrypt_cpu_per_book process_start_cpu_s=$start_cpu ceiling_books_per_s=$ceiling ratio=$ratio \
emulator_cpu_s=$emu_cpu emulator_cores=$emu_cores other_cores=$others_cores \
ceiling_ex_emulator_books_per_s=$ceiling_ex ratio_ex_emulator=$ratio_ex \
cores_left=$left_cores ratio_on_cores_left=$ratio_left \
prewarm_seconds=$warm_seconds target_ratio=0.8$rss_target_key")
  rm -rf "$dir" # set b's files are large; free them before the next set
}

for spec in "${sets[@]}"; do
  # shellcheck disable=SC2086
  run_set $spec
done
echo
echo "bench wall seconds $(calc %.0f "$(date +%s.%N) - $bench_start") (pre-warm included)"
for line in "${results[@]}"; do
  echo "$line"
done
