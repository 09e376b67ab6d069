#!/bin/sh
# The whole test suite (run by `make test` and CI): dependency rules, unit
# tests in a normal and an ASan+UBSan build, the fuzz corpora replayed in
# both builds, every libFuzzer target for FUZZ_SECONDS (default 20) under
# ASan+UBSan (clang), then the integration tests with
# the real LiveKit SDKs against both builds.  Exits non-zero if anything fails
# or cannot run.
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
JOBS=$(nproc 2>/dev/null || echo 2)
failed=""
step() { # name command...
    name=$1; shift
    echo "==== $name"
    if ! "$@"; then failed="$failed\n  $name"; fi
}
step "check-deps" make --no-print-directory check-deps
step "build" make --no-print-directory -j"$JOBS" all
step "build (asan+ubsan)" make --no-print-directory -j"$JOBS" SAN=1 all
step "unit" make --no-print-directory -j"$JOBS" unit
step "unit (asan+ubsan)" make --no-print-directory -j"$JOBS" SAN=1 unit
step "fuzz corpora" make --no-print-directory -j"$JOBS" fuzz-replay
step "fuzz corpora (asan+ubsan)" make --no-print-directory -j"$JOBS" SAN=1 fuzz-replay
step "fuzz (libFuzzer, clang, ${FUZZ_SECONDS:-20} s per target)" scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
step "integration" env DCSFU_BIN=bin/dcsfu scripts/test-integration.sh
step "integration (asan+ubsan)" env DCSFU_BIN=bin/dcsfu-san scripts/test-integration.sh
if [ -n "$failed" ]; then
    printf "==== FAILED:$failed\n"
    exit 1
fi
echo "==== all tests passed"
