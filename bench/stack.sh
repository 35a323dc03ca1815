# Sourced by bench scripts: brings up the Firestore and Cloud Tasks emulators and the
# functions server on free ports, and tears everything down on exit, pass or fail. Their
# logs go under $BUILD/bench/logs/ (the path is printed).
#   stack_up STUB_MS      exports FIRESTORE_EMULATOR_HOST, CLOUD_TASKS_EMULATOR_HOST,
#                         GOOGLE_CLOUD_PROJECT; sets FUNCTIONS_URL and FUNCTIONS_PID
#   FUNCTIONS_WRAP        a command the functions server runs under (bench/profile.sh:
#                         valgrind); its PID is then the wrapper's, which execs the server
. scripts/lib.sh
_stack_pids=()
_stack_down() {
    for p in "${_stack_pids[@]}"; do stop_group "$p"; done
}
trap _stack_down EXIT INT TERM

stack_up() {
    local stub=$1 logdir fs tasks fn
    mkdir -p "$BUILD/bench/logs"
    logdir=$(mktemp -d "$BUILD/bench/logs/stack.XXXXXX")
    echo "bench stack: emulator and functions logs in $logdir"
    fs=$(free_port)
    tasks=$(free_port)
    fn=$(free_port)
    _stack_pids+=("$(start_firestore "$fs" "$logdir/firestore.log")")
    _stack_pids+=("$(scripts/node-emulator start tasks "$tasks" "$logdir/tasks.log")")
    wait_http "http://127.0.0.1:$fs/" 60 && wait_http "http://127.0.0.1:$tasks/" 60
    export FIRESTORE_EMULATOR_HOST=127.0.0.1:$fs CLOUD_TASKS_EMULATOR_HOST=127.0.0.1:$tasks
    export GOOGLE_CLOUD_PROJECT=demo-bench
    TRANSFORM_STUB_DURATION_MS=$stub LOG_LEVEL=WARNING setsid ${FUNCTIONS_WRAP:-} "$BUILD/bin/functions" --host 127.0.0.1 \
        --port "$fn" >"$logdir/functions.log" 2>&1 </dev/null &
    FUNCTIONS_PID=$!
    _stack_pids+=("$FUNCTIONS_PID")
    FUNCTIONS_URL=http://127.0.0.1:$fn
    wait_http "$FUNCTIONS_URL/robots.txt" "${FUNCTIONS_WAIT:-20}"
}
