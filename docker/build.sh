#!/bin/sh
# Builds dcsfu from a source tree and installs it into a DESTDIR layout: the
# steps of the container image's build stage (docker/Dockerfile runs this
# script) and of tests/integration/container.test.mjs, so both use the same
# steps.
#
#   docker/build.sh [--no-deps] [SRC]
#
# SRC is the source tree (default: the tree holding this script).  Steps:
#   1. install the missing Debian build dependencies (scripts/setup.sh; skipped
#      with --no-deps; nothing is fetched when all are installed already);
#   2. `make all` in SRC: the release build, bin/dcsfu (an up-to-date tree is
#      not rebuilt);
#   3. install into $DESTDIR (default: empty, i.e. the live system):
#        $PREFIX/bin/dcsfu              stripped, 0755  (PREFIX=/usr/local)
#        $SYSCONFDIR/dcsfu/livekit.yaml from livekit.yaml.example, 0644
#                                       (SYSCONFDIR=/etc)
#        $PREFIX/bin/dcsfu-healthcheck  docker/healthcheck.sh, 0755
#        $PREFIX/share/dcsfu/runtime-packages.txt
#      The runtime libraries the binary needs are the Debian packages listed in
#      docker/runtime-packages.txt (`docker/build.sh --runtime-packages` prints
#      them, one a line, without comments).
# Exits non-zero at the first failing step.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
deps=1
case "${1:-}" in
    --runtime-packages)
        sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/runtime-packages.txt"
        exit 0 ;;
    --no-deps) deps=0; shift ;;
esac
src=$(cd "${1:-$here/..}" && pwd)
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
SYSCONFDIR=${SYSCONFDIR:-/etc}

if [ ! -f "$src/Makefile" ] || [ ! -f "$src/livekit.yaml.example" ]; then
    echo "build.sh: $src is not a dcsfu source tree" >&2
    exit 2
fi

if [ "$deps" = 1 ]; then
    echo "build.sh: build dependencies"
    "$src/scripts/setup.sh"
fi

echo "build.sh: make all in $src"
make -C "$src" --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" all

echo "build.sh: install into ${DESTDIR:-/}"
install -d "$DESTDIR$PREFIX/bin" "$DESTDIR$SYSCONFDIR/dcsfu" "$DESTDIR$PREFIX/share/dcsfu"
install -m 0755 "$src/bin/dcsfu" "$DESTDIR$PREFIX/bin/dcsfu"
strip --strip-unneeded "$DESTDIR$PREFIX/bin/dcsfu"
install -m 0755 "$src/docker/healthcheck.sh" "$DESTDIR$PREFIX/bin/dcsfu-healthcheck"
install -m 0644 "$src/livekit.yaml.example" "$DESTDIR$SYSCONFDIR/dcsfu/livekit.yaml"
install -m 0644 "$src/docker/runtime-packages.txt" "$DESTDIR$PREFIX/share/dcsfu/runtime-packages.txt"
echo "build.sh: done"
