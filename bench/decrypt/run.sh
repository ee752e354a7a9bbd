#!/usr/bin/env bash
# Decryption cost per GRIN archive: our decryptor vs `gpg --decrypt` (one process per file,
# as grin-transfer does) vs librnp in-process, on the same gpg-made files in the same run,
# at gpg's default S2K count (65011712, SHA-1, AES256; gzip input so no compression packet,
# like a real .tar.gz.gpg). Prints a table, then "BENCH decrypt ..." lines.
# Options: --quick (2 small files and 1 large instead of 5 and 2; the env variables
# GRIN_BENCH_DECRYPT_SMALL and GRIN_BENCH_DECRYPT_LARGE set the counts either way).
set -euo pipefail
if [[ ${1:-} == --quick ]]; then
    : "${GRIN_BENCH_DECRYPT_SMALL:=2}" "${GRIN_BENCH_DECRYPT_LARGE:=1}"
elif (($#)); then
    echo "usage: bench/decrypt/run.sh [--quick]" >&2
    exit 2
fi
: "${GRIN_BUILD_DIR:?set GRIN_BUILD_DIR to the release build directory}"
bin=$GRIN_BUILD_DIR/bench/decrypt/bench_decrypt
[[ -x $bin ]] || { echo "bench/decrypt: $bin not built" >&2; exit 2; }
command -v gpg >/dev/null || { echo "bench/decrypt: gpg not installed" >&2; exit 2; }

count=65011712
small_files=${GRIN_BENCH_DECRYPT_SMALL:-5}
large_files=${GRIN_BENCH_DECRYPT_LARGE:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-decrypt-XXXXXX")
export GNUPGHOME=$work/gnupg
cleanup() {
    gpgconf --kill gpg-agent 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -m 700 "$GNUPGHOME"
printf 'bench pass phrase words\n' > "$work/pass.asc"
chmod 600 "$work/pass.asc" # grin refuses a passphrase file everyone can read
mkdir "$work/out"

encrypt() { # in out
    gpg --batch --yes --quiet --pinentry-mode loopback --passphrase-file "$work/pass.asc" \
        --s2k-count "$count" --symmetric -o "$2" "$1"
}

echo "generating inputs in $work (gpg --symmetric, s2k count $count) ..."
small=()
for i in $(seq 1 "$small_files"); do
    head -c 65500 /dev/urandom | gzip -1 -n > "$work/s$i.tar.gz"
    encrypt "$work/s$i.tar.gz" "$work/s$i.tar.gz.gpg"
    small+=("$work/s$i.tar.gz.gpg")
done
head -c $((50 * 1024 * 1024 - 8 * 1024)) /dev/urandom | gzip -1 -n > "$work/l.tar.gz"
large=()
for i in $(seq 1 "$large_files"); do
    encrypt "$work/l.tar.gz" "$work/l$i.tar.gz.gpg"
    large+=("$work/l$i.tar.gz.gpg")
done
gpg --list-packets --batch --pinentry-mode loopback --passphrase-file "$work/pass.asc" \
    "${small[0]}" 2>/dev/null | grep -E 'symkey|count' | sed 's/^/  /'
ls -l "${small[0]}" "${large[0]}" | awk '{print "  " $5 " bytes " $9}'

run() { # engine repeat files...
    local engine=$1 repeat=$2
    shift 2
    "$bin" --engine "$engine" --pass-file "$work/pass.asc" --out-dir "$work/out" \
        --repeat "$repeat" "$@"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

declare -A result
for size in 64KiB 50MiB; do
    if [[ $size == 64KiB ]]; then
        files=("${small[@]}") ours_repeat=3 original=$work/s1.tar.gz
    else
        files=("${large[@]}") ours_repeat=2 original=$work/l.tar.gz
    fi
    for engine in ours gpg rnp; do
        repeat=1
        [[ $engine == ours ]] && repeat=$ours_repeat
        # librnp logs to stderr in Debian's build; the bench keeps the table readable.
        result[$size.$engine]=$(run "$engine" "$repeat" "${files[@]}" 2>/dev/null)
        cmp -s "$work/out/$engine.0.out" "$original" ||
            { echo "bench/decrypt: $engine output differs from the original" >&2; exit 1; }
    done
done

printf '\n%-7s %-5s %6s %12s %10s %15s %12s\n' size engine files ms/file MB/s "CPU ms/file" "peak RSS KB"
for size in 64KiB 50MiB; do
    for engine in ours gpg rnp; do
        line=${result[$size.$engine]}
        printf '%-7s %-5s %6s %12s %10s %15s %12s\n' "$size" "$engine" "$(field files "$line")" \
            "$(field ms_per_file "$line")" "$(field mb_per_s "$line")" \
            "$(field cpu_ms_per_file "$line")" "$(field max_rss_kb "$line")"
    done
done
echo "(gpg: one process per file, peak RSS is the largest gpg child; ours/rnp: in-process)"
echo

for size in 64KiB 50MiB; do
    ours=$(field ms_per_file "${result[$size.ours]}")
    gpg_ms=$(field ms_per_file "${result[$size.gpg]}")
    rnp_ms=$(field ms_per_file "${result[$size.rnp]}")
    echo "BENCH decrypt size=$size s2k_count=$count ours_ms_per_file=$ours gpg_ms_per_file=$gpg_ms" \
        "rnp_ms_per_file=$rnp_ms ours_mb_per_s=$(field mb_per_s "${result[$size.ours]}")" \
        "gpg_mb_per_s=$(field mb_per_s "${result[$size.gpg]}") rnp_mb_per_s=$(field mb_per_s "${result[$size.rnp]}")" \
        "ratio_vs_gpg=$(awk -v a="$gpg_ms" -v b="$ours" 'BEGIN{printf "%.1f", a/b}')" \
        "ratio_vs_rnp=$(awk -v a="$rnp_ms" -v b="$ours" 'BEGIN{printf "%.1f", a/b}')" \
        "cpu_ratio_vs_gpg=$(awk -v a="$(field cpu_ms_per_file "${result[$size.gpg]}")" \
            -v b="$(field cpu_ms_per_file "${result[$size.ours]}")" 'BEGIN{printf "%.1f", a/b}')" \
        "ours_peak_rss_kb=$(field max_rss_kb "${result[$size.ours]}")"
done
