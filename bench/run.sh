#!/usr/bin/env bash
# usage: bench/run.sh (make bench; BUILD=dir, BENCH_RUNS=20, BENCH_DURATION=5s)
# The runtime against baselines run in the same invocation.
#   cold start   exec -> first 200, median of N runs: C runtime vs a bare node HTTP server
#   RSS          idle (after the first request) and peak under load
#   requests/s   a trivial function under wrk, 50 connections: C runtime vs the Node.js
#                Functions Framework (and a bare node server for reference)
# Figures are printed, never asserted. The first run installs the Node.js baselines
# (bench/node/package-lock.json, npm ci) and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"
. scripts/lib.sh
BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-20}
DURATION=${BENCH_DURATION:-5s}

# As deployed (Dockerfile): GnuTLS, which libcurl links but never uses, skips its init.
export GNUTLS_NO_IMPLICIT_INIT=1

if [ ! -d bench/node/node_modules/@google-cloud/functions-framework ]; then
    echo "bench: installing the Node.js baselines into bench/node/node_modules" \
        "(npm ci --ignore-scripts, from bench/node/package-lock.json)"
    (cd bench/node && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
fi
make --no-print-directory BUILD="$BUILD" "$BUILD/bench/coldstart" >/dev/null

FFNODE="node bench/node/node_modules/@google-cloud/functions-framework/build/src/main.js --target=hello --source=bench/node/hello.js"
C_CMD="$BUILD/bin/functions-test --target hello --host 127.0.0.1"
BARE_CMD="node bench/node/bare.js"

rss_kb() { awk -v k="$2" '$1==k":" {print $2}' "/proc/$1/status"; }

# measure NAME CMD: starts CMD on a free port; prints "idle_kb peak_kb rps"
measure() {
    local cmd=$1 port pid idle peak rps
    port=$(free_port)
    PORT=$port setsid $cmd >/dev/null 2>&1 </dev/null &
    pid=$!
    wait_http "http://127.0.0.1:$port/" 20 >/dev/null
    curl -s -o /dev/null "http://127.0.0.1:$port/"
    sleep 0.5
    idle=$(rss_kb "$pid" VmRSS)
    rps=$(wrk -t2 -c50 -d"$DURATION" "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {print $2}')
    peak=$(rss_kb "$pid" VmHWM)
    stop_group "$pid"
    echo "$idle $peak $rps"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }

echo "cold start (exec -> first 200, $RUNS runs, median/min in ms)"
read -r c_med c_min < <("$BUILD/bench/coldstart" "$RUNS" / -- $C_CMD)
read -r n_med n_min < <("$BUILD/bench/coldstart" "$RUNS" / -- $BARE_CMD)
read -r f_med f_min < <("$BUILD/bench/coldstart" "$((RUNS / 4 + 1))" / -- $FFNODE)
printf '  C runtime          %7.2f / %7.2f\n' "$(awk -v x="$c_med" 'BEGIN{print x/1000}')" "$(awk -v x="$c_min" 'BEGIN{print x/1000}')"
printf '  bare node http     %7.2f / %7.2f   (C is %s faster)\n' "$(awk -v x="$n_med" 'BEGIN{print x/1000}')" \
    "$(awk -v x="$n_min" 'BEGIN{print x/1000}')" "$(ratio "$n_med" "$c_med")"
printf '  node FF            %7.2f / %7.2f   (C is %s faster)\n' "$(awk -v x="$f_med" 'BEGIN{print x/1000}')" \
    "$(awk -v x="$f_min" 'BEGIN{print x/1000}')" "$(ratio "$f_med" "$c_med")"

echo "memory and throughput (trivial function, wrk -t2 -c50 -d$DURATION)"
read -r c_idle c_peak c_rps < <(measure "$C_CMD")
read -r f_idle f_peak f_rps < <(measure "$FFNODE")
read -r n_idle n_peak n_rps < <(measure "$BARE_CMD")
printf '  %-16s %10s %10s %12s\n' "" "idle RSS" "peak RSS" "requests/s"
printf '  %-16s %8.1fMi %8.1fMi %12.0f\n' "C runtime" "$(awk -v x="$c_idle" 'BEGIN{print x/1024}')" \
    "$(awk -v x="$c_peak" 'BEGIN{print x/1024}')" "$c_rps"
printf '  %-16s %8.1fMi %8.1fMi %12.0f\n' "node FF" "$(awk -v x="$f_idle" 'BEGIN{print x/1024}')" \
    "$(awk -v x="$f_peak" 'BEGIN{print x/1024}')" "$f_rps"
printf '  %-16s %8.1fMi %8.1fMi %12.0f\n' "bare node http" "$(awk -v x="$n_idle" 'BEGIN{print x/1024}')" \
    "$(awk -v x="$n_peak" 'BEGIN{print x/1024}')" "$n_rps"
echo "ratios: requests/s C vs node FF $(ratio "$c_rps" "$f_rps"), vs bare node $(ratio "$c_rps" "$n_rps");" \
    "idle RSS node FF / C $(ratio "$f_idle" "$c_idle")"
