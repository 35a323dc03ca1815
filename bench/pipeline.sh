#!/usr/bin/env bash
# usage: bench/pipeline.sh   (make bench; BUILD=dir, BENCH_LATENCY_N=200, BENCH_SECONDS=10,
#        BENCH_FIRST_WARM=100, BENCH_FIRST_SERVERS=5)
# Pipeline figures: the server's first start request against warm ones (emulator mode,
# then production mode on BENCH_FIRST_SERVERS fresh servers, the median taken: fake
# metadata server, FIRESTORE_ENDPOINT),
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
# prod_server WARM: starts a fresh production-mode server, measures its first start
# request against the 20 after it (pipeline_bench first), stops it; prints
# "first_ms warm_ms" and the bench's line, indented, on stderr.
prod_server() {
    local fn pid out log=$BUILD/bench/logs/production.log
    fn=$(free_port)
    env -u FIRESTORE_EMULATOR_HOST -u CLOUD_TASKS_EMULATOR_HOST K_SERVICE=startTransformPipeline \
        AUTH_REQUIRED=0 GCE_METADATA_HOST="127.0.0.1:$MD_PORT" FIRESTORE_ENDPOINT="http://$FIRESTORE_EMULATOR_HOST" \
        GCP_TASKS_ENDPOINT="http://127.0.0.1:$MD_PORT/v2" TASKS_SERVICE_ACCOUNT="bench@demo-bench.iam.gserviceaccount.com" \
        TRANSFORM_JOB_URL=https://transform.invalid/job LOG_LEVEL=WARNING \
        setsid "$BUILD/bin/functions" --target startTransformPipeline --host 127.0.0.1 --port "$fn" \
        >>"$log" 2>&1 </dev/null &
    pid=$!
    wait_http "http://127.0.0.1:$fn/robots.txt" 20
    out=$(BENCH_FIRST_MODE=production "$B" first "http://127.0.0.1:$fn" 20 "$1")
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    sed -n 's/^TARGET | first request, production mode *| \([0-9.]*\) ms *| warm median \([0-9.]*\) ms.*/\1 \2/p' <<<"$out"
    grep -v '^TARGET' <<<"$out" | sed 's/^/    /' >&2
}

# The production-mode line: BENCH_FIRST_SERVERS (5) fresh servers, one after the other,
# each its own cold start; the figure is the median first request, the baseline the
# median of their warm medians, the ratio the median of their ratios (one sample on a
# shared 2-core machine is at the mercy of a single stall).
prod_first() {
    local n=${BENCH_FIRST_SERVERS:-5} i pairs="" warm=$FIRST_WARM first_ms warm_ms ratio
    MD_PORT=$(free_port)
    setsid node bench/node/fake_google.js "$MD_PORT" >"$BUILD/bench/logs/production.log.fake" 2>&1 </dev/null &
    _stack_pids+=("$!")
    wait_http "http://127.0.0.1:$MD_PORT/" 20
    for _ in 1 2 3 4 5; do
        curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"task":{}}' \
            "http://127.0.0.1:$MD_PORT/v2/projects/demo-bench/locations/europe-west1/queues/warm/tasks"
    done
    : >"$BUILD/bench/logs/production.log"
    echo "production mode: $n fresh servers, each its first start request against its next 20"
    for ((i = 1; i <= n; i++)); do
        pairs+="$(prod_server "$warm")"$'\n'
        warm=0 # the emulators are warm after the first server's sequences
    done
    read -r first_ms warm_ms ratio < <(awk 'NF == 2 { f[n] = $1; w[n] = $2; r[n] = $1 / $2; n++ }
        function median(a,   i, j, t) { for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                       return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2 }
        END { if (n == 0) print "- - -"; else printf "%.2f %.2f %.2f\n", median(f), median(w), median(r) }' <<<"$pairs")
    echo "$pairs" | awk 'NF == 2 { printf "  server %d: first %s ms, warm median %s ms\n", ++i, $1, $2 }'
    target "first request, production mode" "$first_ms ms" "warm median $warm_ms ms" "${ratio}x (median)" \
        "<= 2x warm" "$([ "$ratio" = - ] && echo "NOT MET" || met "$ratio <= 2")"
}
prod_first
# Lifecycle next: the throughput runs leave thousands of tasks queued behind them.
run lifecycle "$FUNCTIONS_URL" 5 $STUB
run latency "$FUNCTIONS_URL" "${BENCH_LATENCY_N:-200}"
# Throughput and CPU per start request: startTransformPipeline alone in its own process,
# as it is deployed (its own Cloud Run service); the jobs it enqueues are delivered to the
# stack's server, as they go to the transformPipelineJob service in production, so the
# CPU measured is the start path's own and not the job runs that happen to land in the
# window. The queue is created again when it starts, dropping what earlier runs left.
start_fn=$(free_port)
TRANSFORM_JOB_URL="$FUNCTIONS_URL/$GOOGLE_CLOUD_PROJECT/europe-west1/transformPipelineJob" LOG_LEVEL=WARNING \
    setsid "$BUILD/bin/functions" --target startTransformPipeline --host 127.0.0.1 --port "$start_fn" \
    >"$BUILD/bench/logs/start-service.log" 2>&1 </dev/null &
export BENCH_SERVER_PID=$!
_stack_pids+=("$BENCH_SERVER_PID")
wait_http "http://127.0.0.1:$start_fn/robots.txt" 20
echo "start service: startTransformPipeline alone (pid $BENCH_SERVER_PID), jobs delivered to the stack's server"
run throughput "http://127.0.0.1:$start_fn" 10 "${BENCH_SECONDS:-10}"
run throughput "http://127.0.0.1:$start_fn" 50 "${BENCH_SECONDS:-10}"
