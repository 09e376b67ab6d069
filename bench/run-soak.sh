#!/usr/bin/env bash
# Runs bench/soak.mjs (churn and soak: participants joining and leaving rooms while data flows,
# every reliable message accounted for, server memory, fds and gauges watched) inside a private
# network namespace: loopback plus a veth pair 10.77.0.1/24 <-> 10.77.0.2/24 that exists only
# there, because rtc-node's libwebrtc ignores loopback. The server advertises 10.77.0.1
# (DCSFU_NODE_IP). Needs root (unshare -n). Arguments go to bench/soak.mjs; exits 1 when a check
# fails.
#
#   bash bench/run-soak.sh                                   # long form: 50 over 5 rooms, 10 min
#   bash bench/run-soak.sh --participants 20 --duration 60   # about the CI short form
#   DCSFU_BIN=bin/dcsfu-san bash bench/run-soak.sh --duration 120
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "run-soak: $*" >&2; exit 1; }

if [ -z "${DCSFU_IN_NETNS:-}" ]; then
  command -v node >/dev/null || die "node is not installed"
  [ -d node_modules/@livekit/rtc-node ] || die "node_modules missing: run npm ci"
  command -v unshare >/dev/null && command -v ip >/dev/null || die "unshare/ip missing: apt-get install -y util-linux iproute2"
  [ -x "${DCSFU_BIN:-bin/dcsfu}" ] || die "${DCSFU_BIN:-bin/dcsfu} is not built: run make"
  export DCSFU_IN_NETNS=1
  exec unshare -n -- bash "$0" "$@"
fi

. scripts/netns-veth.sh

exec timeout --kill-after=10 7200 node bench/soak.mjs "$@"
