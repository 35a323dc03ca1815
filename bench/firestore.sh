#!/usr/bin/env bash
# Benchmarks the Firestore client (bench/firestore_bench.c) against a Firestore emulator
# started here on a free port and stopped at the end, pass or fail.
#   bench/firestore.sh [iterations]        BUILD=dir for objects (default build-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

BUILD=${BUILD:-build-bench}
PKGS="libh2o-evloop jansson libcurl libjwt libcrypto"
# The runtime library (the client uses gcp_http, firestore_*, auth_*, log and what they pull in).
srcs=$(ls runtime/src/*.c)
objs=$(for s in $srcs; do echo "$BUILD/obj/${s%.c}.o"; done)
make --no-print-directory BUILD="$BUILD" $objs >/dev/null
mkdir -p "$BUILD/bench"
# shellcheck disable=SC2046,SC2086
cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -D_GNU_SOURCE -Iruntime/include \
    $(pkg-config --cflags $PKGS) bench/firestore_bench.c $objs $(pkg-config --libs $PKGS) -lm -pthread \
    -o "$BUILD/bench/firestore_bench"

logdir=$(mktemp -d /tmp/ff-bench-fs.XXXXXX)
port=$(free_port)
pid=$(start_firestore "$port" "$logdir/firestore.log")
trap 'stop_group "$pid"' EXIT INT TERM
wait_http "http://127.0.0.1:$port/" 60 || { cat "$logdir/firestore.log"; exit 1; }
FIRESTORE_EMULATOR_HOST=127.0.0.1:$port "$BUILD/bench/firestore_bench" "${1:-300}"
