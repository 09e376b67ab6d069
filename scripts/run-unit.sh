#!/bin/sh
# Runs each cmocka unit test binary given as an argument; fails if any fails.
status=0
for t in "$@"; do
    echo "== $t"
    if ! "$t"; then
        echo "FAILED: $t"
        status=1
    fi
done
exit $status
