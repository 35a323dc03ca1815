#!/usr/bin/env bash
# usage: bench/pipeline.sh   (make bench; BUILD=dir, BENCH_LATENCY_N=200, BENCH_SECONDS=10,
#        BENCH_FIRST_WARM=100, BENCH_FIRST_SERVERS=5, BENCH_WARM_CALLS=25000,
#        BENCH_WARM_MAX_S=120)
# Pipeline figures: a server's first start request against warm ones, on
# BENCH_FIRST_SERVERS fresh servers each, the median taken (emulator mode, then
# production mode: fake metadata server, FIRESTORE_ENDPOINT); job lifecycle time minus the
# stub time; startTransformPipeline latency and throughput beside the cost of the same
# Firestore/Cloud Tasks calls made directly, measured in the same run, and the start
# service's CPU per start request (utime + stime from /proc/PID/stat over the run /
# requests) on one CPU, as deployed, once the emulators are warm (BENCH_WARM_CALLS direct
# call sequences, at most BENCH_WARM_MAX_S seconds). Target lines as in bench/report.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"
BUILD=${BUILD:-build}
. bench/stack.sh
. bench/report.sh
STUB=200
stack_up $STUB
B=$BUILD/bench/pipeline_bench
echo "pipeline (Firestore + Cloud Tasks emulators on this machine)"
# run ARGS...: pipeline_bench, its target lines also collected for the summary
run() { "$B" "$@" | tee >(grep '^TARGET' >>"$TARGETS_FILE" || true); }
# First requests: each must be its server's first start request, so each is measured on
# fresh servers, BENCH_FIRST_SERVERS (5) one after the other, each its own cold start; the
# figure is the median first request, the baseline the median of their warm medians, the
# ratio the median of their ratios (one sample on a shared 2-core machine is at the mercy
# of a single stall). Before the first server, the bench warms the emulators (never a
# server) with BENCH_FIRST_WARM sequences of the start request's own Firestore and Cloud
# Tasks calls, made directly: a fresh JVM answers its first hundred or so calls several
# times slower than later ones (docs/performance.md), a cost real Firestore does not have
# and the warm requests it is compared with do not pay.
#   emulator mode: every function, as the stack's server, against the emulators.
#   production mode: startTransformPipeline alone, K_SERVICE set, its token from a fake
#   metadata server (bench/node/fake_google.js, also its Cloud Tasks), Firestore through
#   FIRESTORE_ENDPOINT at the emulator. Its warm-up runs before the port accepts. The fake
#   gets a few createTask calls first, for the same reason as the emulators: its first
#   POST costs Node more than the later ones (the warm-up only looks a task up).
FIRST_WARM=${BENCH_FIRST_WARM:-100}
# fresh_server MODE WARM: starts a fresh server in MODE, measures its first start request
# against the 20 after it (pipeline_bench first), stops it; prints "first_ms warm_ms" and
# the bench's line, indented, on stderr.
fresh_server() {
    local mode=$1 fn pid out log=$BUILD/bench/logs/$1.log
    fn=$(free_port)
    if [ "$mode" = production ]; then
        env -u FIRESTORE_EMULATOR_HOST -u CLOUD_TASKS_EMULATOR_HOST K_SERVICE=startTransformPipeline \
            AUTH_REQUIRED=0 GCE_METADATA_HOST="127.0.0.1:$MD_PORT" FIRESTORE_ENDPOINT="http://$FIRESTORE_EMULATOR_HOST" \
            GCP_TASKS_ENDPOINT="http://127.0.0.1:$MD_PORT/v2" TASKS_SERVICE_ACCOUNT="bench@demo-bench.iam.gserviceaccount.com" \
            TRANSFORM_JOB_URL=https://transform.invalid/job LOG_LEVEL=WARNING \
            setsid "$BUILD/bin/functions" --target startTransformPipeline --host 127.0.0.1 --port "$fn" \
            >>"$log" 2>&1 </dev/null &
    else
        TRANSFORM_STUB_DURATION_MS=$STUB LOG_LEVEL=WARNING setsid "$BUILD/bin/functions" --host 127.0.0.1 \
            --port "$fn" >>"$log" 2>&1 </dev/null &
    fi
    pid=$!
    wait_http "http://127.0.0.1:$fn/robots.txt" 20
    out=$(BENCH_FIRST_MODE=$mode "$B" first "http://127.0.0.1:$fn" 20 "$2")
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    sed -n "s/^TARGET | first request, $mode mode *| \([0-9.]*\) ms *| warm median \([0-9.]*\) ms.*/\1 \2/p" <<<"$out"
    grep -v '^TARGET' <<<"$out" | sed 's/^/    /' >&2
}

# first_line MODE WARM: the MODE target line over BENCH_FIRST_SERVERS fresh servers, the
# first of them after WARM direct call sequences.
first_line() {
    local mode=$1 warm=$2 n=${BENCH_FIRST_SERVERS:-5} i pairs="" first_ms warm_ms ratio
    : >"$BUILD/bench/logs/$mode.log"
    echo "$mode mode: $n fresh servers, each its first start request against its next 20"
    for ((i = 1; i <= n; i++)); do
        pairs+="$(fresh_server "$mode" "$warm")"$'\n'
        warm=0 # the emulators are warm after the first server's sequences
    done
    read -r first_ms warm_ms ratio < <(awk 'NF == 2 { f[n] = $1; w[n] = $2; r[n] = $1 / $2; n++ }
        function median(a,   i, j, t) { for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                       return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2 }
        END { if (n == 0) print "- - -"; else printf "%.2f %.2f %.2f\n", median(f), median(w), median(r) }' <<<"$pairs")
    echo "$pairs" | awk 'NF == 2 { printf "  server %d: first %s ms, warm median %s ms\n", ++i, $1, $2 }'
    target "first request, $mode mode" "$first_ms ms" "warm median $warm_ms ms" "${ratio}x (median)" \
        "<= 2x warm" "$([ "$ratio" = - ] && echo "NOT MET" || met "$ratio <= 2")"
}
first_line emulator "$FIRST_WARM"
MD_PORT=$(free_port)
setsid node bench/node/fake_google.js "$MD_PORT" >"$BUILD/bench/logs/production.log.fake" 2>&1 </dev/null &
_stack_pids+=("$!")
wait_http "http://127.0.0.1:$MD_PORT/" 20
for _ in 1 2 3 4 5; do
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"task":{}}' \
        "http://127.0.0.1:$MD_PORT/v2/projects/demo-bench/locations/europe-west1/queues/warm/tasks"
done
first_line production "$FIRST_WARM"
# Lifecycle and latency next, before the throughput rows put thousands of sessions and jobs
# into the emulator.
run lifecycle "$FUNCTIONS_URL" 5 $STUB
run latency "$FUNCTIONS_URL" "${BENCH_LATENCY_N:-200}"
# Throughput and CPU per start request: startTransformPipeline alone in its own process,
# as it is deployed (its own Cloud Run service). The tasks it enqueues go where the direct
# calls' tasks go (nowhere: the tasks emulator's one attempt fails to connect), so the two
# sides of each row do the same work: in production the jobs run in their own service,
# while here they would share the two cores and the emulators with the rows (measured:
# the rate at 10 clients 56 % of the direct calls' with them, 74 % without; the job path
# has the lifecycle row above and `make load`). The queue is created again when the
# service starts, dropping what earlier runs left. The service gets one CPU, as
# `scripts/deploy` gives it (--cpu=1): its pool then runs jobs on one worker at a time,
# as it does deployed (on both of this machine's CPUs it costs about 5 % more per request:
# docs/performance-start.md, phase 8).
start_fn=$(free_port)
one_cpu=$(taskset -pc $$ | sed 's/.*: //; s/.*[,-]//') # the last this shell may use
TRANSFORM_JOB_URL="http://127.0.0.1:1/none" LOG_LEVEL=WARNING \
    setsid taskset -c "$one_cpu" "$BUILD/bin/functions" --target startTransformPipeline --host 127.0.0.1 \
    --port "$start_fn" >"$BUILD/bench/logs/start-service.log" 2>&1 </dev/null &
export BENCH_SERVER_PID=$!
_stack_pids+=("$BENCH_SERVER_PID")
wait_http "http://127.0.0.1:$start_fn/robots.txt" 20
echo "start service: startTransformPipeline alone (pid $BENCH_SERVER_PID) on CPU $one_cpu, its tasks sent nowhere as the direct calls' are"
# The emulators' JVM first (pipeline_bench.c, warm): real Firestore does not warm up.
"$B" warm "http://127.0.0.1:$start_fn" 50 "${BENCH_WARM_CALLS:-25000}" "${BENCH_WARM_MAX_S:-120}"
run throughput "http://127.0.0.1:$start_fn" 10 "${BENCH_SECONDS:-10}"
run throughput "http://127.0.0.1:$start_fn" 50 "${BENCH_SECONDS:-10}"
