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
exec bash "$(dirname "$0")/netns-node.sh" 7200 bench/soak.mjs "$@"
