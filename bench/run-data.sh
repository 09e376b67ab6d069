#!/usr/bin/env bash
# Runs bench/data.mjs (the data fan-out benchmark) inside a private network namespace: loopback
# plus a veth pair 10.77.0.1/24 <-> 10.77.0.2/24 that exists only there, because rtc-node's
# libwebrtc ignores loopback. The server advertises 10.77.0.1 (DCSFU_NODE_IP). Needs root
# (unshare -n). Arguments go to bench/data.mjs.
#
#   bash bench/run-data.sh                          # N = 10, 50, 100; 50 msg/s for 10 s
#   bash bench/run-data.sh --sizes 50 --rate 100 --duration 5
#   DCSFU_BIN=bin/dcsfu-other bash bench/run-data.sh --sizes 10
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "run-data: $*" >&2; exit 1; }

if [ -z "${DCSFU_IN_NETNS:-}" ]; then
  command -v node >/dev/null || die "node is not installed"
  [ -d node_modules/@livekit/rtc-node ] || die "node_modules missing: run npm ci"
  command -v unshare >/dev/null && command -v ip >/dev/null || die "unshare/ip missing: apt-get install -y util-linux iproute2"
  [ -x "${DCSFU_BIN:-bin/dcsfu}" ] || die "${DCSFU_BIN:-bin/dcsfu} is not built: run make"
  export DCSFU_IN_NETNS=1
  exec unshare -n -- bash "$0" "$@"
fi

. scripts/netns-veth.sh

exec timeout --kill-after=10 3600 node bench/data.mjs "$@"
