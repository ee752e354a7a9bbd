#!/usr/bin/env bash
# BENCH s3_upload: our S3 upload path (bench/s3_upload/upload_dir: storage::s3_storage::
# put_file over s3_client and one shared https_pool, 8 uploads in flight) against
# `aws s3 cp --recursive` and `rclone copy`, all uploading the same files to the same local
# server in the same run, over plain HTTP on loopback.
#
# Servers: s3rver 3.7.1 (node) and moto's server (python, no auth); each started once for
# its clients. Sets: small = 500 x 100 KiB, large = 5 x 50 MiB random files (--quick:
# 100 small, 1 large). Before each upload the bucket is emptied; after it, a boto3 listing
# checks the object count and total bytes.
#
# Per client and set: wall seconds, client CPU (user + sys from /usr/bin/time -v), the
# server's CPU over the upload (/proc/PID/stat), and the CPU the rest of the machine used
# meanwhile (other_cores: busy CPU from /proc/stat minus client and server, over wall).
# Ratios per server and set: ours / rclone client CPU (target <= 1/3) and ours wall / the
# best peer's wall (target <= 1). On 2 cores the server itself takes about one core, so
# walls mostly measure the server; client CPU is the figure that is ours. Figures only;
# nothing here asserts a time.
#
# Peers (defaults otherwise): rclone (Debian package; `--transfers 8`, the same number in
# flight as ours; it HEADs every object after upload, as by default; run without
# AWS_CA_BUNDLE, which rclone 1.60 refuses), awscli (Debian's /usr/bin/aws when installed,
# else the `aws` on PATH, e.g. the image's pip awscli; its defaults: 10 threads, multipart
# above 8 MiB), both with AWS_REQUEST_CHECKSUM_CALCULATION=when_required (else newer
# botocore sends aws-chunked bodies that s3rver stores raw). A missing peer is reported and
# skipped. Our client uses s3_storage's defaults: multipart above 16 MiB, 8 MiB parts, 4
# parts of an object in parallel. For the large set a second row, "ours, one PUT per file"
# (multipart threshold 1 GiB), separates what multipart costs these servers (both store the
# parts, then copy them into the object) from what our client costs; the ratios use the
# default row.
#
# s3rver: $S3RVER_JS if set, else <repo>/node_modules/s3rver/bin/s3rver.js (scripts/setup.sh
# installs it from package.json), else the s3rver that `npm exec --no` finds (local or
# global install). Missing s3rver or moto: that server is skipped.
#
# Options: --quick; --servers "s3rver moto" (which servers, in order).
# GRIN_BENCH_PERF_DIR=DIR records our client's runs with `perf record -g` into
# DIR/upload-<server>-<set>-<client>.data (those figures then include perf's own cost).
# Environment: GRIN_BUILD_DIR (set by bench/run.sh); TMPDIR for the work directory (~0.8 GB:
# the files plus one server copy; --quick ~0.1 GB).
set -euo pipefail
build=${GRIN_BUILD_DIR:?set GRIN_BUILD_DIR to the release build directory}
repo=$(cd "$(dirname "$0")/../.." && pwd)
uploader=$build/bench/s3_upload/upload_dir
admin_script=$repo/bench/s3_upload/s3_admin.py
[[ -x $uploader ]] || { echo "bench/s3_upload: $uploader not built" >&2; exit 2; }
for tool in curl /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/s3_upload: $tool not installed" >&2; exit 2; }
done

quick=0
servers=(s3rver moto)
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --servers) read -r -a servers <<<"${2:?--servers needs a list}"; shift ;;
    *) echo "usage: bench/s3_upload/run.sh [--quick] [--servers \"s3rver moto\"]" >&2; exit 2 ;;
  esac
  shift
done
# name files bytes_per_file
if ((quick)); then
  sets=("small 100 102400" "large 1 52428800")
else
  sets=("small 500 102400" "large 5 52428800")
fi

# The python with boto3 (and moto): the image ships them for python3.11.
source "$(dirname "${BASH_SOURCE[0]}")/../measure.sh"
python=$(python_with boto3)
[[ -n $python ]] || { echo "bench/s3_upload: needs a python3 with boto3 (checks and bucket chores)" >&2; exit 2; }

# Peers.
rclone_bin=$(command -v rclone || true)
aws_bin='' aws_kind=''
if [[ -x /usr/bin/aws ]]; then
  aws_bin=/usr/bin/aws aws_kind="Debian awscli"
elif command -v aws >/dev/null; then
  aws_bin=$(command -v aws)
  if [[ $aws_bin == */shims/* ]] && command -v pyenv >/dev/null; then
    aws_bin=$(pyenv which aws) # the pyenv shim costs a bash + pyenv start per call
  fi
  aws_kind="pip awscli"
fi

cores=$(nproc)
bench_start=$(date +%s.%N)
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-s3-upload-XXXXXX")
server_pid=
stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "bench/s3_upload: $*" >&2; exit 1; }

# The same keys for every client, and no user configuration: a profile's
# max_concurrent_requests or a stored rclone remote would change what is measured.
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
: >"$work/aws-config"
: >"$work/rclone.conf"
export AWS_CONFIG_FILE=$work/aws-config AWS_SHARED_CREDENTIALS_FILE=$work/aws-config
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_SESSION_TOKEN
export RCLONE_CONFIG=$work/rclone.conf
export RCLONE_CONFIG_PEER_TYPE=s3 RCLONE_CONFIG_PEER_PROVIDER=Other
export RCLONE_CONFIG_PEER_ACCESS_KEY_ID=S3RVER RCLONE_CONFIG_PEER_SECRET_ACCESS_KEY=S3RVER
export RCLONE_CONFIG_PEER_FORCE_PATH_STYLE=true RCLONE_CONFIG_PEER_REGION=us-east-1

client_names=(ours)
declare -A client_label
client_label[ours]="ours (upload_dir, 8 in flight)"
client_label[ours_1put]="ours, one PUT per file"
if [[ -n $rclone_bin ]]; then
  client_names+=(rclone)
  client_label[rclone]="rclone $(rclone version 2>/dev/null | sed -n '1s/^rclone v//p') (8 transfers)"
else
  echo "rclone not installed: skipping it (scripts/setup.sh installs Debian's rclone)"
fi
if [[ -n $aws_bin ]]; then
  client_names+=(aws)
  client_label[aws]="aws s3 cp $("$aws_bin" --version 2>&1 | sed 's/ .*//; s/aws-cli\///') ($aws_kind)"
else
  echo "awscli not installed: skipping it (apt-get install awscli, or pip install awscli)"
fi

echo "work directory $work ($(df -h --output=avail "$work" | tail -1 | tr -d ' ') free)," \
  "$cores cores$( ((quick)) && echo ', --quick')"
echo "clients: ${client_names[*]}; python for checks: $python"
[[ -n $aws_bin ]] && echo "awscli: $aws_bin ($aws_kind)"

# Data: random files, made once and shared by every server and client.
for spec in "${sets[@]}"; do
  read -r name count size <<<"$spec"
  "$python" - "$work/data/$name" "$count" "$size" <<'EOF'
import os, sys
directory, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(directory)
for i in range(count):
    with open(os.path.join(directory, f"f{i:04d}.bin"), "wb") as out:
        left = size
        while left:
            chunk = min(left, 1 << 20)
            out.write(os.urandom(chunk))
            left -= chunk
EOF
done

s3rver_command() { # prints the command that runs s3rver, or nothing
  local js=${S3RVER_JS:-}
  if [[ -z $js && -f $repo/node_modules/s3rver/bin/s3rver.js ]]; then
    js=$repo/node_modules/s3rver/bin/s3rver.js
  fi
  if [[ -z $js ]] && command -v npm >/dev/null; then
    local bin
    bin=$( (cd "$repo" && npm exec --no -c 'command -v s3rver') 2>/dev/null || true)
    [[ -n $bin ]] && js=$(readlink -f "$bin")
  fi
  [[ -n $js && -f $js ]] && command -v node >/dev/null && echo "node $js"
  return 0
}

start_server() { # kind -> sets endpoint, server_pid, server_label; returns 1 when unavailable
  local kind=$1 port log=$work/$1.log
  port=$(free_port)
  endpoint=http://127.0.0.1:$port
  case $kind in
    s3rver)
      local command
      command=$(s3rver_command)
      if [[ -z $command ]]; then
        echo "s3rver not found (npm install in the repo, S3RVER_JS, or a global install): skipping it"
        return 1
      fi
      rm -rf "$work/s3rver-data" && mkdir -p "$work/s3rver-data"
      # The legacy provider: s3rver's listing continuation tokens use DES (node 20).
      # shellcheck disable=SC2086 # "node <path>"
      NODE_OPTIONS=--openssl-legacy-provider $command -d "$work/s3rver-data" -a 127.0.0.1 \
        -p "$port" -s >"$log" 2>&1 &
      server_pid=$!
      server_label="s3rver $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' \
        "$(dirname "${command#node }")/../package.json" 2>/dev/null | head -1)"
      ;;
    moto)
      if ! "$python" -c "import moto.server" 2>/dev/null; then
        echo "moto not importable by $python: skipping it"
        return 1
      fi
      "$python" -m moto.server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
      server_pid=$!
      server_label="moto $("$python" -c 'import moto; print(moto.__version__)') (plain, no auth)"
      ;;
    *) die "unknown server '$kind' (have: s3rver moto)" ;;
  esac
  for _ in $(seq 1 150); do
    curl -s -o /dev/null "$endpoint/" && return 0
    kill -0 "$server_pid" 2>/dev/null || die "$kind exited: $(tail -5 "$log")"
    sleep 0.1
  done
  die "$kind did not answer on $endpoint: $(tail -5 "$log")"
}

admin() { "$python" "$admin_script" "$endpoint" "$@"; }

results=()
ours_failed=0

run_client() { # server set client dir -> appends to rows / results
  local server=$1 set=$2 client=$3 dir=$4 expect_objects=$5 expect_bytes=$6
  local out=$work/$server-$set-$client
  admin empty bench
  local command=()
  case $client in
    ours | ours_1put)
      command=("$uploader" --endpoint "$endpoint" --bucket bench --prefix "$client/$set" \
        --concurrency 8 "$dir")
      [[ $client == ours_1put ]] && command+=(--multipart-threshold-mib 1024)
      if [[ -n ${GRIN_BENCH_PERF_DIR:-} ]]; then
        command=(perf record -q -g -o "$GRIN_BENCH_PERF_DIR/upload-$server-$set-$client.data" --
          "${command[@]}")
      fi
      ;;
    rclone)
      command=(env -u AWS_CA_BUNDLE RCLONE_CONFIG_PEER_ENDPOINT="$endpoint" "$rclone_bin" copy
        --transfers 8 "$dir" "peer:bench/rclone/$set")
      ;;
    aws)
      command=("$aws_bin" --endpoint-url "$endpoint" s3 cp --recursive --only-show-errors
        "$dir" "s3://bench/aws/$set/")
      ;;
  esac
  local server0 server1 busy0 busy1 start end status=0
  server0=$(proc_cpu "$server_pid")
  busy0=$(machine_busy)
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$out.time" "${command[@]}" >"$out.log" 2>&1 || status=$?
  end=$(date +%s.%N)
  busy1=$(machine_busy)
  server1=$(proc_cpu "$server_pid")

  local seconds user sys client_cpu server_cpu other_cores objects bytes verified
  seconds=$(calc %.2f "$end - $start")
  user=$(time_field "User time (seconds)" "$out.time")
  sys=$(time_field "System time (seconds)" "$out.time")
  client_cpu=$(calc %.2f "$user + $sys")
  server_cpu=$(calc %.2f "$server1 - $server0")
  other_cores=$(calc %.2f "($busy1 - $busy0 - $client_cpu - $server_cpu) / $seconds")
  read -r objects bytes < <(admin count bench)
  verified=1
  if ((status != 0)); then
    verified=0
    echo "  $client exited with status $status: $(tail -3 "$out.log")"
  elif [[ $objects != "$expect_objects" || $bytes != "$expect_bytes" ]]; then
    verified=0
    echo "  $client: the bucket holds $objects objects, $bytes bytes; expected $expect_objects, $expect_bytes"
  fi
  if [[ $client == ours && $verified == 0 ]]; then ours_failed=1; fi
  if [[ $client == ours* ]]; then echo "  $client: $(grep -v '^RESULT' "$out.log" | tail -1)"; fi

  wall[$client]=$seconds cpu[$client]=$client_cpu ok[$client]=$verified
  rows+=("$(printf '%-40s %7s %8s %7s %11s %11s %7s  %s' "${client_label[$client]}" "$seconds" \
    "$(calc %.1f "$expect_objects / $seconds")" "$(calc %.1f "$expect_bytes / 1e6 / $seconds")" \
    "$user+$sys" "$server_cpu" "$other_cores" \
    "$( ((verified)) && echo "ok $objects/$bytes" || echo "FAILED $objects/$bytes")")")
  local extra=
  if [[ $client == ours* ]]; then
    extra=" $(sed -n 's/^RESULT objects=[0-9]* bytes=[0-9]* seconds=[0-9.]* //p' "$out.log" |
      sed 's/\([a-z_]*\)=/ours_\1=/g')"
  fi
  results+=("BENCH s3_upload server=$server set=$set client=$client files=$expect_objects \
bytes=$expect_bytes seconds=$seconds objects_per_s=$(calc %.1f "$expect_objects / $seconds") \
mb_per_s=$(calc %.1f "$expect_bytes / 1e6 / $seconds") client_cpu_s=$client_cpu \
client_user_s=$user client_sys_s=$sys server_cpu_s=$server_cpu other_cores=$other_cores \
verified=$verified${extra% }")
}

for server in "${servers[@]}"; do
  echo
  endpoint='' server_pid='' server_label=''
  start_server "$server" || continue
  admin create bench
  admin warm bench 50
  echo "== $server_label at $endpoint"
  for spec in "${sets[@]}"; do
    read -r name count size <<<"$spec"
    declare -A wall=() cpu=() ok=()
    rows=()
    expect_bytes=$((count * size))
    clients=("${client_names[@]}")
    [[ $name == large ]] && clients=(ours ours_1put "${client_names[@]:1}")
    for client in "${clients[@]}"; do
      run_client "$server" "$name" "$client" "$work/data/$name" "$count" "$expect_bytes"
    done
    admin empty bench
    echo "-- set $name: $count x $((size / 1024)) KiB ($(calc %.1f "$expect_bytes / 1048576") MiB)"
    printf '%-40s %7s %8s %7s %11s %11s %7s  %s\n' client "wall s" "objects/s" "MB/s" \
      "client CPU" "server CPU" "others" "check (objects/bytes)"
    printf '%s\n' "${rows[@]}"
    # Ratios (only from verified runs).
    local_best='' best_wall=''
    for peer in rclone aws; do
      if [[ ${ok[$peer]:-0} == 1 ]] &&
        { [[ -z $best_wall ]] || awk "BEGIN { exit !(${wall[$peer]} < $best_wall) }"; }; then
        local_best=$peer best_wall=${wall[$peer]}
      fi
    done
    ratio_line="BENCH s3_upload server=$server set=$name ratios=1"
    if [[ ${ok[ours]} == 1 && ${ok[rclone]:-0} == 1 ]]; then
      r=$(calc %.2f "${cpu[ours]} / ${cpu[rclone]}")
      echo "ours / rclone client CPU: ${cpu[ours]} / ${cpu[rclone]} = $r   target <= 0.33"
      ratio_line+=" cpu_ours_over_rclone=$r"
    fi
    if [[ ${ok[aws]:-0} == 1 && ${ok[ours]} == 1 ]]; then
      r=$(calc %.2f "${cpu[ours]} / ${cpu[aws]}")
      echo "ours / aws client CPU:    ${cpu[ours]} / ${cpu[aws]} = $r"
      ratio_line+=" cpu_ours_over_aws=$r"
    fi
    if [[ ${ok[ours]} == 1 && -n $local_best ]]; then
      r=$(calc %.2f "${wall[ours]} / $best_wall")
      echo "ours wall / best peer's ($local_best): ${wall[ours]} / $best_wall = $r   target <= 1"
      ratio_line+=" wall_ours_over_best_peer=$r best_peer=$local_best"
    fi
    if [[ ${ok[ours_1put]:-0} == 1 && -n $local_best ]]; then
      r=$(calc %.2f "${wall[ours_1put]} / $best_wall")
      echo "ours (one PUT per file) wall / best peer's ($local_best): ${wall[ours_1put]} / $best_wall = $r"
      ratio_line+=" wall_ours_1put_over_best_peer=$r"
      if [[ ${ok[rclone]:-0} == 1 ]]; then
        r=$(calc %.2f "${cpu[ours_1put]} / ${cpu[rclone]}")
        echo "ours (one PUT per file) / rclone client CPU: ${cpu[ours_1put]} / ${cpu[rclone]} = $r"
        ratio_line+=" cpu_ours_1put_over_rclone=$r"
      fi
    fi
    results+=("$ratio_line target_cpu_ours_over_rclone=0.33 target_wall_ours_over_best_peer=1")
  done
  stop_server
done

echo
echo "(client CPU = user+sys s; server CPU s over the upload; others = cores used by the rest"
echo " of the machine meanwhile. $cores cores: the server takes ~1, so walls mostly measure it.)"
echo "bench wall seconds $(calc %.0f "$(date +%s.%N) - $bench_start") (data, checks and emptying included)"
for line in "${results[@]}"; do
  echo "$line"
done
if ((ours_failed)); then
  echo "bench/s3_upload: our client's upload failed or did not verify (see above)" >&2
  exit 1
fi
