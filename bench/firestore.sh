#!/usr/bin/env bash
# Benchmarks the Firestore client (bench/firestore_bench.c) against a Firestore emulator
# started here on a free port and stopped at the end, pass or fail.
#   bench/firestore.sh [iterations]        BUILD=dir for objects (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

BUILD=${BUILD:-build}
make --no-print-directory BUILD="$BUILD" "$BUILD/bench/firestore_bench" >/dev/null

logdir=$(mktemp -d /tmp/ff-bench-fs.XXXXXX)
port=$(free_port)
pid=$(start_firestore "$port" "$logdir/firestore.log")
trap 'stop_group "$pid"' EXIT INT TERM
wait_http "http://127.0.0.1:$port/" 60 || { cat "$logdir/firestore.log"; exit 1; }
FIRESTORE_EMULATOR_HOST=127.0.0.1:$port "$BUILD/bench/firestore_bench" "${1:-300}"
