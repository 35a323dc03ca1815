#!/usr/bin/env bash
# usage: bench/pipeline.sh   (make bench; BUILD=dir, BENCH_LATENCY_N=200, BENCH_SECONDS=10)
# Pipeline figures: startTransformPipeline latency and throughput beside the cost of the
# same Firestore/Cloud Tasks calls made directly, measured in the same run; job lifecycle
# time minus the stub time.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"
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
