#!/usr/bin/env bash
# Pipeline figures (make bench): startTransformPipeline latency and throughput against
# the raw emulator cost of the same Firestore/Cloud Tasks calls, measured in the same
# run; job lifecycle time minus the stub time.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. bench/stack.sh
STUB=200
stack_up $STUB
B=$BUILD/bench/pipeline_bench
echo "pipeline (Firestore + Cloud Tasks emulators on this machine)"
# Lifecycle first: the throughput runs leave thousands of tasks queued behind them.
"$B" lifecycle "$FUNCTIONS_URL" 5 $STUB
"$B" latency "$FUNCTIONS_URL" "${BENCH_LATENCY_N:-200}"
"$B" throughput "$FUNCTIONS_URL" 10 "${BENCH_SECONDS:-10}"
"$B" throughput "$FUNCTIONS_URL" 50 "${BENCH_SECONDS:-10}"
