#!/usr/bin/env bash
# usage: bench/run.sh (make bench; BUILD=dir, BENCH_RUNS=20, BENCH_DURATION=5s)
# The runtime against baselines run in the same invocation:
#   cold start   exec -> first response, median of N runs: the C runtime's trivial function
#                and its 400 path (startTransformPipeline refusing a request without
#                projectId: no remote call), a bare node HTTP server, the Node.js FF
#   RSS          idle (after the first request) and peak under load
#   requests/s   wrk, 50 connections, and CPU per request (utime + stime of the server
#                from /proc/PID/stat over the run / requests): C trivial, C 400 path,
#                node FF, bare node
# Each issue-13 target is printed as a TARGET line (bench/report.sh). Figures are
# printed, never asserted. The first run installs the Node.js baselines
# (bench/node/package-lock.json, npm ci) and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"
. scripts/lib.sh
BUILD=${BUILD:-build}
. bench/report.sh
RUNS=${BENCH_RUNS:-20}
DURATION=${BENCH_DURATION:-5s}

# As deployed (Dockerfile): GnuTLS, which libcurl links but never uses, skips its init.
export GNUTLS_NO_IMPLICIT_INIT=1
# The 400 path needs a configuration that passes the start-up checks and no server:
# validation refuses the request before any remote call.
export FIRESTORE_EMULATOR_HOST=127.0.0.1:9 GOOGLE_CLOUD_PROJECT=demo-bench TRANSFORM_JOB_URL=http://127.0.0.1:9/job

if [ ! -d bench/node/node_modules/@google-cloud/functions-framework ]; then
    echo "bench: installing the Node.js baselines into bench/node/node_modules" \
        "(npm ci --ignore-scripts, from bench/node/package-lock.json)"
    (cd bench/node && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
fi
make --no-print-directory BUILD="$BUILD" "$BUILD/bench/coldstart" >/dev/null

FFNODE="node bench/node/node_modules/@google-cloud/functions-framework/build/src/main.js --target=hello --source=bench/node/hello.js"
C_CMD="$BUILD/bin/functions-test --target hello --host 127.0.0.1"
C400_CMD="$BUILD/bin/functions --target startTransformPipeline --host 127.0.0.1"
BARE_CMD="node bench/node/bare.js"
BODY400='{"sessionId":"s1","stepId":"transform"}'

rss_kb() { awk -v k="$2" '$1==k":" {print $2}' "/proc/$1/status"; }

# measure CMD [WRK_ARGS...]: starts CMD on a free port; prints
# "idle_kb peak_kb rps cpu_us_per_request"
measure() {
    local cmd=$1 port pid idle peak out rps n t0 t1
    shift
    port=$(free_port)
    PORT=$port LOG_LEVEL=${BENCH_LOG_LEVEL:-INFO} setsid $cmd >/dev/null 2>&1 </dev/null &
    pid=$!
    wait_http "http://127.0.0.1:$port/" 20 >/dev/null
    curl -s -o /dev/null "http://127.0.0.1:$port/"
    sleep 0.5
    idle=$(rss_kb "$pid" VmRSS)
    t0=$(cpu_ticks "$pid")
    out=$(wrk -t2 -c50 -d"$DURATION" "$@" "http://127.0.0.1:$port/")
    t1=$(cpu_ticks "$pid")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    peak=$(rss_kb "$pid" VmHWM)
    stop_group "$pid"
    echo "$idle $peak $rps $(div "$(((t1 - t0) * 1000000 / CLK_TCK))" "$n" %.1f)"
}

ms() { awk -v x="$1" 'BEGIN { printf "%.2f", x / 1000 }'; }
mib() { awk -v x="$1" 'BEGIN { printf "%.1f", x / 1024 }'; }

echo "cold start (exec -> first response, $RUNS runs, median/min in ms)"
read -r c_med c_min < <("$BUILD/bench/coldstart" "$RUNS" / -- $C_CMD)
read -r b_med b_min < <(COLDSTART_BODY=$BODY400 COLDSTART_STATUS=400 \
    "$BUILD/bench/coldstart" "$RUNS" / -- $C400_CMD)
read -r n_med n_min < <("$BUILD/bench/coldstart" "$RUNS" / -- $BARE_CMD)
read -r f_med f_min < <("$BUILD/bench/coldstart" "$((RUNS / 4 + 1))" / -- $FFNODE)
printf '  %-22s %7s / %7s\n' "C trivial" "$(ms "$c_med")" "$(ms "$c_min")" \
    "C 400 path" "$(ms "$b_med")" "$(ms "$b_min")" \
    "bare node http" "$(ms "$n_med")" "$(ms "$n_min")" \
    "node FF" "$(ms "$f_med")" "$(ms "$f_min")"
target "cold start, 400 path" "$(ms "$b_med") ms" "bare node $(ms "$n_med") ms" "$(div "$n_med" "$b_med" %.1fx) faster" \
    "<= 3 ms and >= 30x faster" "$(met "$b_med <= 3000 && $n_med >= 30 * $b_med")"

echo "memory, throughput and CPU (wrk -t2 -c50 -d$DURATION; servers log at ${BENCH_LOG_LEVEL:-INFO})"
read -r c_idle c_peak c_rps c_cpu < <(measure "$C_CMD")
read -r b_idle b_peak b_rps b_cpu < <(measure "$C400_CMD" -s bench/post400.lua)
read -r f_idle f_peak f_rps f_cpu < <(measure "$FFNODE")
read -r n_idle n_peak n_rps n_cpu < <(measure "$BARE_CMD")
printf '  %-16s %10s %10s %12s %14s\n' "" "idle RSS" "peak RSS" "requests/s" "CPU/request"
for row in "C trivial:$c_idle:$c_peak:$c_rps:$c_cpu" "C 400 path:$b_idle:$b_peak:$b_rps:$b_cpu" \
    "node FF:$f_idle:$f_peak:$f_rps:$f_cpu" "bare node http:$n_idle:$n_peak:$n_rps:$n_cpu"; do
    IFS=: read -r name idle peak rps cpu <<<"$row"
    printf '  %-16s %8sMi %8sMi %12.0f %11s us\n' "$name" "$(mib "$idle")" "$(mib "$peak")" "$rps" "$cpu"
done
target "trivial req/s c=50" "$c_rps" "bare node $n_rps" "$(div "$c_rps" "$n_rps" %.2fx)" ">= 1.5x bare node" \
    "$(met "$c_rps >= 1.5 * $n_rps")"
target "trivial CPU/request c=50" "$c_cpu us" "bare node $n_cpu us" "$(div "$c_cpu" "$n_cpu" %.2fx)" \
    "< 1x bare node" "$(met "$c_cpu < $n_cpu")"
target "400 path req/s c=50" "$b_rps" "bare node $n_rps" "$(div "$b_rps" "$n_rps" %.2fx)" ">= 1.5x bare node" \
    "$(met "$b_rps >= 1.5 * $n_rps")"
target "400 path CPU/request c=50" "$b_cpu us" "bare node $n_cpu us" "$(div "$b_cpu" "$n_cpu" %.2fx)" \
    "< 1x bare node" "$(met "$b_cpu < $n_cpu")"
target "idle RSS, 400 path server" "$(mib "$b_idle") MiB" "bare node $(mib "$n_idle") MiB" \
    "$(div "$b_idle" "$n_idle" %.2fx)" "<= 6 MiB" "$(met "$b_idle <= 6 * 1024")"
