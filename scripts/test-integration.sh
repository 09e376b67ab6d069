#!/usr/bin/env bash
# Runs the integration suite (tests/integration/, node:test) against the server binary given by
# DCSFU_BIN (default bin/dcsfu), inside a private network namespace: loopback plus a veth pair
# 10.77.0.1/24 <-> 10.77.0.2/24 that exists only there (rtc-node's libwebrtc ignores loopback, so
# data-plane tests need a non-loopback address that reaches nothing outside). DCSFU_NODE_IP is
# exported as 10.77.0.1 for them. Needs root (unshare -n). Exits non-zero if any test fails or
# if the suite cannot run (missing node_modules, Chromium or namespace support).
#
#   scripts/test-integration.sh                 # whole suite
#   scripts/test-integration.sh tests/integration/signaling.test.mjs   # some files
#   DCSFU_BIN=bin/dcsfu-san scripts/test-integration.sh
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "test-integration: $*" >&2; exit 1; }

if [ -z "${DCSFU_IN_NETNS:-}" ]; then
  command -v node >/dev/null || die "node is not installed"
  [ -d node_modules/livekit-client ] && [ -d node_modules/@livekit/rtc-node ] || die "node_modules missing: run npm ci"
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || die "Chromium missing: apt-get install -y chromium"
  command -v unshare >/dev/null && command -v ip >/dev/null || die "unshare/ip missing: apt-get install -y util-linux iproute2"
  bin="${DCSFU_BIN:-bin/dcsfu}"
  [ -x "$bin" ] || echo "test-integration: warning: $bin is not built; the server tests will fail" >&2
  export DCSFU_IN_NETNS=1
  exec unshare -n -- bash "$0" "$@"
fi

. scripts/netns-veth.sh

if [ "$#" -eq 0 ]; then
  set -- tests/integration/
fi
# one test file at a time: each starts its own server and the SDK tests are heavy on 2 cores
exec timeout --kill-after=10 1500 node --test --test-concurrency=1 "$@"
