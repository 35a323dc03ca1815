# Shared shell helpers for scripts/: free ports, waiting for a server, stopping process groups.
# Sourced, not run.

# Prints a TCP port that is free on 127.0.0.1 right now.
free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_http URL SECONDS: waits until URL answers any HTTP status; fails after SECONDS.
wait_http() {
    local url=$1 limit=$2 i
    for ((i = 0; i < limit * 10; i++)); do
        curl -s -o /dev/null --max-time 1 "$url" && return 0
        sleep 0.1
    done
    echo "timed out waiting for $url" >&2
    return 1
}

# stop_group PID: ends the process group led by PID (a Java or Node tree), then waits.
stop_group() {
    local pid=$1 i
    kill -TERM -- "-$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 -- "-$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
}

FIRESTORE_EMULATOR_BIN=/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator

# start_firestore PORT LOGFILE [RULES]: starts the Firestore emulator in its own process
# group; prints its PID.
start_firestore() {
    local port=$1 log=$2 rules=${3:-}
    local args=(start --host=127.0.0.1 --port="$port" --database-mode=firestore-native)
    [ -n "$rules" ] && args+=(--rules="$rules")
    setsid "$FIRESTORE_EMULATOR_BIN" "${args[@]}" >"$log" 2>&1 </dev/null &
    echo $!
}
