#!/usr/bin/env bash
# usage: bench/pipeline.sh   (make bench; BUILD=dir, BENCH_LATENCY_N=200, BENCH_SECONDS=10)
# Pipeline figures: the server's first start request against warm ones,
# startTransformPipeline latency and throughput beside the cost of the same Firestore/Cloud
# Tasks calls made directly, measured in the same run, the server's CPU per start request
# (utime + stime from /proc/PID/stat over the run / requests); job lifecycle time minus
# the stub time. Target lines as in bench/report.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"
BUILD=${BUILD:-build}
. bench/stack.sh
. bench/report.sh
STUB=200
stack_up $STUB
export BENCH_SERVER_PID=$FUNCTIONS_PID
B=$BUILD/bench/pipeline_bench
echo "pipeline (Firestore + Cloud Tasks emulators on this machine)"
# run ARGS...: pipeline_bench, its target lines also collected for the summary
run() { "$B" "$@" | tee >(grep '^TARGET' >>"$TARGETS_FILE" || true); }
# First: it must be the server's first start request.
run first "$FUNCTIONS_URL" 20
target "first request, production mode" "-" "-" "-" "<= 2x warm" \
    "not measurable yet: no warm-up before the port is bound (docs/performance.md, Next)"
# Lifecycle next: the throughput runs leave thousands of tasks queued behind them.
run lifecycle "$FUNCTIONS_URL" 5 $STUB
run latency "$FUNCTIONS_URL" "${BENCH_LATENCY_N:-200}"
run throughput "$FUNCTIONS_URL" 10 "${BENCH_SECONDS:-10}"
run throughput "$FUNCTIONS_URL" 50 "${BENCH_SECONDS:-10}"
