#!/bin/sh
# Installs what dcsfu needs on Debian 12: build dependencies always, and with
# --test also the test tools (chromium, iproute2, nftables, systemd for
# systemd-analyze, openssl, clang 14 with libFuzzer for scripts/fuzz.sh) and
# the npm packages pinned in package-lock.json.  The benchmarks' optional
# --perf and --callgrind need linux-perf and valgrind, not installed here.
# Safe to run again: only missing packages are installed.
set -eu
cd "$(dirname "$0")/.."

BUILD_PKGS="build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev libuv1-dev
 libusrsctp-dev libjwt-dev libyaml-dev libjansson-dev zlib1g-dev libcmocka-dev
 libmbedtls-dev nettle-dev libwslay-dev libhttp-parser-dev libcurl4-openssl-dev"
TEST_PKGS="chromium iproute2 nftables nodejs npm util-linux procps systemd openssl
 clang clang-14 libclang-rt-14-dev"

want="$BUILD_PKGS"
[ "${1:-}" = "--test" ] && want="$want $TEST_PKGS"

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js may come from elsewhere than Debian; accept any node >= 18 with npm.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' ')
fi
missing=$(echo $missing)
if [ -n "$missing" ]; then
    echo "setup: installing Debian packages: $missing"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    if ! $SUDO apt-get install -y --no-install-recommends $missing; then
        $SUDO apt-get update
        $SUDO apt-get install -y --no-install-recommends $missing
    fi
fi

if [ "${1:-}" = "--test" ]; then
    if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.lock-copy 2>/dev/null; then
        echo "setup: npm ci"
        npm ci --no-audit --no-fund
        cp package-lock.json node_modules/.lock-copy
    fi
fi
