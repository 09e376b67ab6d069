#!/bin/bash
# Container health check: exits 0 if dcsfu answers GET / with 200 on
# 127.0.0.1:PORT, 1 otherwise (406 while draining, refused, or no answer within
# 3 s).  PORT is the first argument, else $DCSFU_HEALTH_PORT, else 7880.
# Needs only bash (its /dev/tcp), so the runtime image carries no HTTP client.
port=${1:-${DCSFU_HEALTH_PORT:-7880}}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 3 status <&3 || exit 1
case "$status" in
    "HTTP/1."[01]" 200 "*) exit 0 ;;
    *) echo "dcsfu-healthcheck: ${status%$'\r'}" >&2; exit 1 ;;
esac
