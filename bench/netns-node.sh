#!/usr/bin/env bash
# Runs a Node benchmark that drives @livekit/rtc-node clients inside a private network
# namespace (scripts/netns-veth.sh: loopback plus a veth pair 10.77.0.1/24 <-> 10.77.0.2/24
# that exists only there, because rtc-node's libwebrtc ignores loopback; the server advertises
# 10.77.0.1 through DCSFU_NODE_IP). Needs root (unshare -n). Used by run-data.sh and
# run-soak.sh:
#
#   bash bench/netns-node.sh SECONDS SCRIPT.mjs [ARGS...]    # killed after SECONDS
set -euo pipefail
cd "$(dirname "$0")/.."

name=$(basename "${2:-netns-node}" .mjs)
die() { echo "$name: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: bench/netns-node.sh SECONDS SCRIPT.mjs [ARGS...]"
if [ -z "${DCSFU_IN_NETNS:-}" ]; then
  command -v node >/dev/null || die "node is not installed"
  [ -d node_modules/@livekit/rtc-node ] || die "node_modules missing: run npm ci"
  command -v unshare >/dev/null && command -v ip >/dev/null ||
    die "unshare/ip missing: apt-get install -y util-linux iproute2"
  [ -x "${DCSFU_BIN:-bin/dcsfu}" ] || die "${DCSFU_BIN:-bin/dcsfu} is not built: run make"
  export DCSFU_IN_NETNS=1
  exec unshare -n -- bash "$0" "$@"
fi

. scripts/netns-veth.sh

limit=$1
shift
exec timeout --kill-after=10 "$limit" node "$@"
