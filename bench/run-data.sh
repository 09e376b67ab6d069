#!/usr/bin/env bash
# Runs bench/data.mjs (the data fan-out benchmark) inside a private network namespace: loopback
# plus a veth pair 10.77.0.1/24 <-> 10.77.0.2/24 that exists only there, because rtc-node's
# libwebrtc ignores loopback. The server advertises 10.77.0.1 (DCSFU_NODE_IP). Needs root
# (unshare -n). Arguments go to bench/data.mjs.
#
#   bash bench/run-data.sh                          # N = 10, 50, 100; 50 msg/s for 10 s
#   bash bench/run-data.sh --sizes 50 --rate 100 --duration 5
#   DCSFU_BIN=bin/dcsfu-other bash bench/run-data.sh --sizes 10
exec bash "$(dirname "$0")/netns-node.sh" 3600 bench/data.mjs "$@"
