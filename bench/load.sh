#!/usr/bin/env bash
# The load test (make load): LOAD_CLIENTS (200) connections drive startTransformPipeline
# on fresh seeded sessions for LOAD_SECONDS (60) through the real emulators, with the
# tasks emulator delivering every job; then verifies zero 5xx, one job per 200, every
# job completed and every session mirroring it; and that the functions process's RSS
# and open file descriptors return to their baseline. Figures printed; exit 1 on FAIL.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. bench/stack.sh
stack_up "${LOAD_STUB_MS:-0}"
rss() { awk '$1=="VmRSS:" {print $2}' "/proc/$FUNCTIONS_PID/status"; }
hwm() { awk '$1=="VmHWM:" {print $2}' "/proc/$FUNCTIONS_PID/status"; }
fds() { ls "/proc/$FUNCTIONS_PID/fd" | wc -l; }
# Warm up once so the baseline includes the pooled connections and worker threads.
curl -s -o /dev/null "$FUNCTIONS_URL/robots.txt"
base_rss=$(rss) base_fds=$(fds)
rc=0
"$BUILD/bench/pipeline_bench" load "$FUNCTIONS_URL" "${LOAD_CLIENTS:-200}" "${LOAD_SECONDS:-60}" || rc=$?
sleep 5 # idle keep-alive connections close
after_rss=$(rss) after_fds=$(fds) peak=$(hwm)
echo "functions process: RSS baseline $((base_rss / 1024)) MiB, after $((after_rss / 1024)) MiB," \
    "peak $((peak / 1024)) MiB; open fds baseline $base_fds, after $after_fds"
# Worker threads and pooled connections stay (bounded); growth beyond that is a leak.
if [ "$after_fds" -gt $((base_fds + 80)) ] || [ "$after_rss" -gt $((base_rss * 3 + 32768)) ]; then
    echo "resources did not return to baseline: FAIL"
    rc=1
fi
exit $rc
