#!/usr/bin/env bash
# usage: bench/firestore.sh [ITERATIONS]     (make bench; BUILD=dir, default build)
# Benchmarks the Firestore client (bench/firestore_bench.c) against a Firestore emulator
# started here on a free port and stopped at the end, pass or fail. The emulator's log
# goes under $BUILD/bench/logs/ (the path is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"
. scripts/lib.sh

BUILD=${BUILD:-build}
make --no-print-directory BUILD="$BUILD" "$BUILD/bench/firestore_bench" >/dev/null

mkdir -p "$BUILD/bench/logs"
logdir=$(mktemp -d "$BUILD/bench/logs/firestore.XXXXXX")
echo "firestore bench: emulator log in $logdir"
port=$(free_port)
pid=$(start_firestore "$port" "$logdir/firestore.log")
trap 'stop_group "$pid"' EXIT INT TERM
wait_http "http://127.0.0.1:$port/" 60 || { cat "$logdir/firestore.log"; exit 1; }
FIRESTORE_EMULATOR_HOST=127.0.0.1:$port "$BUILD/bench/firestore_bench" "${1:-300}"
