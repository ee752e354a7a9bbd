# Shared by the benchmark scripts (sourced): CPU accounting from /proc and /usr/bin/time.
tick=$(getconf CLK_TCK)

calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# CPU seconds (user+sys, with reaped children) of a process from /proc/PID/stat.
proc_cpu() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) } # fields after "(comm) ", starting at field 3
  awk -v t="$tick" '{ printf "%.2f", ($12 + $13 + $14 + $15) / t }' <<<"$stat"
}
# Busy CPU seconds of the whole machine (all cores) from /proc/stat.
machine_busy() { awk -v t="$tick" '/^cpu / { printf "%.2f", ($2+$3+$4+$7+$8+$9) / t }' /proc/stat; }
# One field of a `/usr/bin/time -v` report.
time_field() { sed -n "s/^[[:space:]]*$1: //p" "$2"; }

# start_emulator LOG ARGS...: grin-emulator from $build on a free port with ARGS; waits
# until it listens, then sets emulator_pid and emulator_url (https://127.0.0.1:PORT).
# Returns 1, with the emulator's output on stderr, when it does not start.
start_emulator() {
  local log=$1
  shift
  "$build/grin-emulator" --port 0 "$@" >"$log" 2>&1 &
  emulator_pid=$!
  for _ in $(seq 1 200); do
    grep -q "listening on" "$log" && break
    kill -0 "$emulator_pid" 2>/dev/null || break
    sleep 0.1
  done
  emulator_url=$(grep -o 'https://[0-9.:]*' "$log" | head -1)
  [[ -n $emulator_url ]] || { echo "the emulator did not start: $(cat "$log")" >&2; return 1; }
}
# stop_emulator: SIGTERM (the emulator then stops its gpg-agent) and wait.
stop_emulator() {
  if [[ -n ${emulator_pid:-} ]]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
    emulator_pid=
  fi
}
# python_with MODULE...: the path of a python3 (3.11 first: the image ships boto3 and moto
# for it) that can import every MODULE, past any pyenv shim; empty when none can.
python_with() {
  local candidate imports
  imports=$(IFS=,; echo "$*")
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c "import $imports" 2>/dev/null; then
      "$candidate" -c "import sys; print(sys.executable)"
      return
    fi
  done
}
# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
