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
