#!/usr/bin/env bash
# usage: bench/pipeline.sh   (make bench; BUILD=dir, BENCH_LATENCY_N=200, BENCH_SECONDS=10,
#        BENCH_FIRST_WARM=100)
# Pipeline figures: the server's first start request against warm ones (emulator mode,
# then production mode on a second server: fake metadata server, FIRESTORE_ENDPOINT),
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
# First: it must be the server's first start request. Before it, the bench warms the
# emulators (never the server) with BENCH_FIRST_WARM sequences of the start request's own
# Firestore and Cloud Tasks calls, made directly: a fresh JVM answers its first hundred
# or so calls several times slower than later ones (docs/performance.md), a cost real
# Firestore does not have and the warm requests it is compared with do not pay.
FIRST_WARM=${BENCH_FIRST_WARM:-100}
run first "$FUNCTIONS_URL" 20 "$FIRST_WARM"
# Production mode: a second server, startTransformPipeline alone, K_SERVICE set, its token
# from a fake metadata server (bench/node/fake_google.js, also its Cloud Tasks), Firestore
# through FIRESTORE_ENDPOINT at the emulator. Its warm-up runs before the port accepts.
# The fake gets a few createTask calls first, for the same reason as the emulators: its
# first POST costs Node more than the later ones (the warm-up only looks a task up).
prod_first() {
    local md fn log=$BUILD/bench/logs/production.log
    md=$(free_port)
    fn=$(free_port)
    setsid node bench/node/fake_google.js "$md" >"$log.fake" 2>&1 </dev/null &
    _stack_pids+=("$!")
    wait_http "http://127.0.0.1:$md/" 20
    for _ in 1 2 3 4 5; do
        curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"task":{}}' \
            "http://127.0.0.1:$md/v2/projects/demo-bench/locations/europe-west1/queues/warm/tasks"
    done
    env -u FIRESTORE_EMULATOR_HOST -u CLOUD_TASKS_EMULATOR_HOST K_SERVICE=startTransformPipeline \
        AUTH_REQUIRED=0 GCE_METADATA_HOST="127.0.0.1:$md" FIRESTORE_ENDPOINT="http://$FIRESTORE_EMULATOR_HOST" \
        GCP_TASKS_ENDPOINT="http://127.0.0.1:$md/v2" TASKS_SERVICE_ACCOUNT="bench@demo-bench.iam.gserviceaccount.com" \
        TRANSFORM_JOB_URL=https://transform.invalid/job LOG_LEVEL=WARNING \
        setsid "$BUILD/bin/functions" --target startTransformPipeline --host 127.0.0.1 --port "$fn" \
        >"$log" 2>&1 </dev/null &
    _stack_pids+=("$!")
    wait_http "http://127.0.0.1:$fn/robots.txt" 20
    BENCH_FIRST_MODE=production run first "http://127.0.0.1:$fn" 20 "$FIRST_WARM"
}
prod_first
# Lifecycle next: the throughput runs leave thousands of tasks queued behind them.
run lifecycle "$FUNCTIONS_URL" 5 $STUB
run latency "$FUNCTIONS_URL" "${BENCH_LATENCY_N:-200}"
run throughput "$FUNCTIONS_URL" 10 "${BENCH_SECONDS:-10}"
run throughput "$FUNCTIONS_URL" 50 "${BENCH_SECONDS:-10}"
