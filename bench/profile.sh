#!/usr/bin/env bash
# usage: bench/profile.sh pipeline|bad-request|trivial [N]   (BUILD=dir; default N 200/2000/2000)
# Counts the instructions the server executes per request under callgrind, which is
# repeatable on a busy machine where wall-clock figures are not. The server is warmed up
# first (10 requests), counters are zeroed, N requests are sent, the counters dumped:
#   pipeline      startTransformPipeline against the emulators, N fresh sessions, 10 clients
#   bad-request   the 400 path (POST without projectId), wrk-free: curl keep-alive, sequential
#   trivial       the test binary's hello function, same driver
# Prints instructions per request and the top functions (inclusive), and leaves the
# callgrind file under $BUILD/bench/profile/ for callgrind_annotate / kcachegrind.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"
BUILD=${BUILD:-build}
what=${1:?usage: bench/profile.sh pipeline|bad-request|trivial [N]}
mkdir -p "$BUILD/bench/profile"
out=$(realpath "$BUILD/bench/profile")/$what.callgrind
rm -f "$out" "$out".*
export GNUTLS_NO_IMPLICIT_INIT=1
VG="valgrind --tool=callgrind --callgrind-out-file=$out --dump-instr=no --separate-threads=no"

# report N: dumps the counters of the process and prints Ir per request and the top list
report() {
    local n=$1 file total
    callgrind_control -d "$SERVER_PID" >/dev/null
    sleep 0.5
    file=$(ls -t "$out".* | head -1)
    total=$(callgrind_annotate "$file" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    echo "$what: $total instructions over $n requests = $((total / n)) per request ($file)"
    callgrind_annotate --inclusive=yes "$file" | sed -n '/^Ir/,$p' | sed -n '3,40p'
}

# sequential N: N keep-alive requests of the kind named by $what, from one curl process
sequential() {
    local n=$1 url=$2 args=()
    if [ "$what" = bad-request ]; then
        args=(-X POST -H 'Content-Type: application/json' --data '{}')
    fi
    # one curl process, N URLs on one connection
    local urls=() i
    for ((i = 0; i < n; i++)); do urls+=("$url"); done
    curl -s "${args[@]}" "${urls[@]}" >/dev/null
}

case $what in
pipeline)
    . bench/stack.sh
    export FUNCTIONS_WRAP=$VG FUNCTIONS_WAIT=120
    stack_up 200
    SERVER_PID=$FUNCTIONS_PID
    "$BUILD/bench/pipeline_bench" requests "$FUNCTIONS_URL" 10 1 >/dev/null
    callgrind_control -z "$SERVER_PID" >/dev/null
    n=${2:-200}
    "$BUILD/bench/pipeline_bench" requests "$FUNCTIONS_URL" "$n" 10
    report "$n"
    ;;
bad-request | trivial)
    . scripts/lib.sh
    port=$(free_port)
    if [ "$what" = trivial ]; then
        cmd=("$BUILD/bin/functions-test" --target hello) path=/
    else
        cmd=("$BUILD/bin/functions" --target startTransformPipeline) path=/
        export FIRESTORE_EMULATOR_HOST=127.0.0.1:9 GOOGLE_CLOUD_PROJECT=demo-bench \
            TRANSFORM_JOB_URL=http://127.0.0.1:9/job
    fi
    LOG_LEVEL=WARNING PORT=$port setsid $VG "${cmd[@]}" --host 127.0.0.1 >/dev/null 2>&1 </dev/null &
    SERVER_PID=$!
    trap 'stop_group "$SERVER_PID"' EXIT INT TERM
    wait_http "http://127.0.0.1:$port/" 120 >/dev/null
    sequential 10 "http://127.0.0.1:$port$path"
    callgrind_control -z "$SERVER_PID" >/dev/null
    n=${2:-2000}
    sequential "$n" "http://127.0.0.1:$port$path"
    report "$n"
    ;;
*)
    echo "bench/profile.sh: unknown profile '$what' (pipeline, bad-request, trivial)" >&2
    exit 2
    ;;
esac
