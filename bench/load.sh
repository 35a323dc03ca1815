#!/usr/bin/env bash
# usage: bench/load.sh   (make load; BUILD=dir, LOAD_CLIENTS, LOAD_SECONDS, LOAD_THINK_MS, LOAD_STUB_MS)
# The load test: LOAD_CLIENTS (200) connections drive startTransformPipeline
# on fresh seeded sessions for LOAD_SECONDS (60) through the real emulators, with the
# tasks emulator delivering every job; then verifies zero 5xx, one job per 200, every
# job completed and every session mirroring it; and that the functions process's RSS
# and open file descriptors return to their baseline. Figures printed; exit 1 on FAIL.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"
BUILD=${BUILD:-build}
. bench/stack.sh
# Each client pauses LOAD_THINK_MS (1000) between requests: the Cloud Tasks emulator
# holds at most 10 000 queued tasks and dispatches 10 at a time (the production queue
# setting), so an unpaced run overflows it; past that the emulator refuses tasks and the
# function answers 500, which the test counts.
export LOAD_THINK_MS=${LOAD_THINK_MS:-1000}
stack_up "${LOAD_STUB_MS:-0}"
rss() { awk '$1=="VmRSS:" {print $2}' "/proc/$FUNCTIONS_PID/status"; }
hwm() { awk '$1=="VmHWM:" {print $2}' "/proc/$FUNCTIONS_PID/status"; }
fds() { ls "/proc/$FUNCTIONS_PID/fd" | wc -l; }
# Warm-up at the same concurrency fills what is bounded but lazily grown (worker
# threads, pooled connections, malloc arenas); the baseline is taken after it, idle. A
# leak shows as growth from there.
"$BUILD/bench/pipeline_bench" drive "$FUNCTIONS_URL" "${LOAD_CLIENTS:-200}" 10
sleep 5
base_rss=$(rss) base_fds=$(fds)
rc=0
"$BUILD/bench/pipeline_bench" load "$FUNCTIONS_URL" "${LOAD_CLIENTS:-200}" "${LOAD_SECONDS:-60}" || rc=$?
sleep 5 # idle keep-alive connections close
after_rss=$(rss) after_fds=$(fds) peak=$(hwm)
echo "functions process: RSS baseline $((base_rss / 1024)) MiB, after $((after_rss / 1024)) MiB," \
    "peak $((peak / 1024)) MiB; open fds baseline $base_fds, after $after_fds"
# Allowed: the idle outbound connections the pool keeps vary a little (at most 2 per
# pooled handle, 128 in all), plus 25 % RSS of allocator noise.
if [ "$after_fds" -gt $((base_fds + 16)) ] || [ "$after_rss" -gt $((base_rss + base_rss / 4)) ]; then
    echo "resources did not return to baseline: FAIL"
    rc=1
fi
exit $rc
