#!/usr/bin/env bash
# make run: the local stack, one command.
#   emulators (Firestore with firestore.rules, Cloud Tasks) on the ports of firebase.json
#   -> build/bin/functions serving every function (the task queue is created with the
#   production settings when startTransformPipeline starts) -> a demo workspace,
#   experience, project and session -> one pipeline run, followed live -> the final job
#   and session -> keeps serving until Ctrl-C, then stops everything it started.
# RUN_ONCE=1 exits after the demo job instead of serving (used by the tests).
# Ports: FIRESTORE_PORT, TASKS_PORT, FUNCTIONS_PORT override firebase.json.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

export FF_RUN_DIR=${FF_RUN_DIR:-.run}
mkdir -p "$FF_RUN_DIR"
FUNCTIONS_PORT=${FUNCTIONS_PORT:-$(node -e "console.log(require('./firebase.json').emulators.functions.port)")}
PROJECT=demo-project
BIN=${FF_BIN:-build/bin/functions}
functions_pid=""

cleanup() {
    trap - EXIT INT TERM
    [ "$BASHPID" = "$$" ] || return 0 # only the script itself, not a subshell
    echo
    [ -n "$functions_pid" ] && stop_group "$functions_pid" && echo "functions stopped"
    scripts/emulators stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

eval "$(scripts/emulators start)"
export FUNCTIONS_URL=http://127.0.0.1:$FUNCTIONS_PORT
setsid "$BIN" --host 127.0.0.1 --port "$FUNCTIONS_PORT" >"$FF_RUN_DIR/functions.log" 2>&1 </dev/null &
functions_pid=$!
if ! wait_http "$FUNCTIONS_URL/robots.txt" 20 || ! kill -0 "$functions_pid" 2>/dev/null; then
    cat "$FF_RUN_DIR/functions.log" >&2
    exit 1
fi
echo "functions: serving every function at $FUNCTIONS_URL (log: $FF_RUN_DIR/functions.log)"

new_session() {
    local id=demo-session-$(date +%s%N | cut -c1-13)
    "$BIN" seed scripts/fixtures/session.json --var PROJECT=$PROJECT --var SESSION="$id" >/dev/null
    echo "$id"
}

"$BIN" seed scripts/fixtures/demo.json
session=$(new_session)
echo "seeded project $PROJECT, session $session"
out=$("$BIN" invoke startTransformPipeline --query projectId=$PROJECT \
    --body "{\"sessionId\":\"$session\",\"stepId\":\"transform\"}") || { echo "$out" >&2; exit 1; }
job=$(sed -n 's/.*"jobId":"\([^"]*\)".*/\1/p' <<<"$out")
echo "started job $job"
"$BIN" watch-job $PROJECT "$job"

next=$(new_session)
cat <<MSG

The stack is up:
  functions           $FUNCTIONS_URL/{startTransformPipeline,transformPipelineJob,cleanupStaleJobs}
  Firestore emulator  http://$FIRESTORE_EMULATOR_HOST
  Tasks emulator      http://$CLOUD_TASKS_EMULATOR_HOST
Another run, on the freshly seeded session $next:
  curl -s -X POST '$FUNCTIONS_URL/startTransformPipeline?projectId=$PROJECT' \\
       -H 'Content-Type: application/json' -d '{"sessionId":"$next","stepId":"transform"}'
  then: scripts/watch-job $PROJECT <jobId>
MSG
[ "${RUN_ONCE:-0}" = 1 ] && exit 0
echo "Serving until Ctrl-C."
wait "$functions_pid"
