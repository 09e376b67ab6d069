#!/bin/sh
# Fuzz targets of fuzz/ (docs/FUZZING.md).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#       builds the libFuzzer targets (`make fuzz`, clang, ASan+UBSan) and runs
#       each one for SECONDS (default 20) on a scratch copy of its corpus and
#       crash inputs (the repository's corpus never grows).  Prints exec/s per
#       target; fails if any target crashes, leaks, times out or runs out of
#       memory (the reproducer is left in build/fuzz/artifacts/).
#   scripts/fuzz.sh --replay DIR
#       runs every fuzz/corpus/<t>/* and fuzz/crashes/<t>/* through DIR/<t>
#       once (used by `make fuzz-replay`, for builds without libFuzzer).
set -u
cd "$(dirname "$0")/.."

targets() {
    for f in fuzz/*.c; do
        t=$(basename "$f" .c)
        [ "$t" = replay_main ] || echo "$t"
    done
}

inputs() { # target: its committed inputs, one path per line
    for d in "fuzz/corpus/$1" "fuzz/crashes/$1"; do
        [ -d "$d" ] && find "$d" -type f ! -name '.*' | sort
    done
}

if [ "${1:-}" = "--replay" ]; then
    dir=$2
    failed=""
    for t in $(targets); do
        files=$(inputs "$t")
        if [ -z "$files" ]; then
            echo "fuzz-replay: $t: no corpus"; failed="$failed $t"; continue
        fi
        # shellcheck disable=SC2086 # paths in the repository have no blanks
        if ! "$dir/$t" $files; then failed="$failed $t"; fi
    done
    if [ -n "$failed" ]; then echo "fuzz-replay: FAILED:$failed"; exit 1; fi
    echo "fuzz-replay: all corpora replayed"
    exit 0
fi

secs=${1:-20}
[ $# -gt 0 ] && shift
list=${*:-$(targets)}
make --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" fuzz >/dev/null || exit 1
work=build/fuzz/run
art=build/fuzz/artifacts
mkdir -p "$work" "$art"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=""
printf "%-16s %10s %10s %s\n" target execs exec/s result
for t in $list; do
    rm -rf "${work:?}/$t"; mkdir -p "$work/$t"
    inputs "$t" | while read -r f; do cp "$f" "$work/$t/"; done
    log="$work/$t.log"
    build/fuzz/fuzz/"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$art/$t-" "$work/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    res=ok
    if [ $rc -ne 0 ]; then
        res="FAILED (exit $rc, log $log)"; failed="$failed $t"
        grep -m5 -E "ERROR|SUMMARY|runtime error|Test unit written" "$log"
    fi
    printf "%-16s %10s %10s %s\n" "$t" "${execs:-?}" "${rate:-?}" "$res"
done
if [ -n "$failed" ]; then echo "fuzz: FAILED:$failed"; exit 1; fi
echo "fuzz: no crash, leak or timeout in ${secs}s per target"
