#!/usr/bin/env bash
# usage: scripts/run-local.sh   (make run; RUN_ONCE=1 exits after the demo job)
# The local stack, one command:
#   emulators (Firestore with firestore.rules, Cloud Tasks, Auth) on the ports of
#   firebase.json -> build/bin/functions serving every function with AUTH_REQUIRED=1 as in
#   production (the Auth emulator's tokens trusted: emulator mode) -> the guest demo page
#   (web/) on its own origin -> a demo experience -> a guest signs in anonymously and
#   creates its session itself, under the rules -> one pipeline run with its token,
#   followed live -> the final job and session -> keeps serving until Ctrl-C, then stops
#   everything it started.
# RUN_ONCE=1 exits after the demo job instead of serving (used by the tests).
# Ports: FIRESTORE_PORT, TASKS_PORT, AUTH_PORT, FUNCTIONS_PORT override firebase.json;
# WEB_PORT (default 5080) the demo page's.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"
. scripts/lib.sh

export FF_RUN_DIR=${FF_RUN_DIR:-.run}
mkdir -p "$FF_RUN_DIR"
FUNCTIONS_PORT=${FUNCTIONS_PORT:-$(node -e "console.log(require('./firebase.json').emulators.functions.port)")}
WEB_PORT=${WEB_PORT:-5080}
PROJECT=demo-project
BIN=${FF_BIN:-build/bin/functions}
WEB_DIR=${FF_WEB_DIR:-build/web}
functions_pid="" web_pid=""

cleanup() {
    trap - EXIT INT TERM
    [ "$BASHPID" = "$$" ] || return 0 # only the script itself, not a subshell
    echo
    [ -n "$web_pid" ] && stop_group "$web_pid" && echo "demo page stopped"
    [ -n "$functions_pid" ] && stop_group "$functions_pid" && echo "functions stopped"
    scripts/emulators stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

eval "$(scripts/emulators start)"
export FUNCTIONS_URL=http://127.0.0.1:$FUNCTIONS_PORT
AUTH_REQUIRED=1 setsid "$BIN" --host 127.0.0.1 --port "$FUNCTIONS_PORT" >"$FF_RUN_DIR/functions.log" 2>&1 </dev/null &
functions_pid=$!
export WEB_URL=http://127.0.0.1:$WEB_PORT DEMO_PROJECT=$PROJECT
setsid node tools/serve-web.js "$WEB_PORT" "$WEB_DIR" >"$FF_RUN_DIR/web.log" 2>&1 </dev/null &
web_pid=$!
for s in "functions $FUNCTIONS_URL/robots.txt $functions_pid" "web $WEB_URL/ $web_pid"; do
    read -r name url pid <<<"$s"
    if ! wait_http "$url" 20 || ! kill -0 "$pid" 2>/dev/null; then
        cat "$FF_RUN_DIR/$name.log" >&2
        exit 1
    fi
done
echo "functions: serving every function at $FUNCTIONS_URL, ID tokens required (log: $FF_RUN_DIR/functions.log)"

# A guest's own session, created as the guest does it (scripts/guest-session): prints
# "UID TOKEN"; extra arguments (--user UID) pick a named test user.
new_session() {
    local id out
    id=demo-session-$(date +%s%N | cut -c1-13)
    out=$(scripts/guest-session "$PROJECT" "$id" "$@") || return 1
    echo "$id $out"
}

"$BIN" seed scripts/fixtures/demo.json
line=$(new_session) || exit 1
read -r session uid token <<<"$line"
echo "a guest signed in anonymously ($uid) and created its session $session in project $PROJECT"
out=$("$BIN" invoke startTransformPipeline --query projectId=$PROJECT --header "Authorization: Bearer $token" \
    --body "{\"sessionId\":\"$session\",\"stepId\":\"transform\"}") || { echo "$out" >&2; exit 1; }
job=$(sed -n 's/.*"jobId":"\([^"]*\)".*/\1/p' <<<"$out")
echo "started job $job"
"$BIN" watch-job $PROJECT "$job"

line=$(new_session --user demo-guest) || exit 1
read -r next next_uid next_token <<<"$line"
cat <<MSG

The stack is up:
  functions           $FUNCTIONS_URL/{startTransformPipeline,transformPipelineJob,cleanupStaleJobs}
  Firestore emulator  http://$FIRESTORE_EMULATOR_HOST
  Tasks emulator      http://$CLOUD_TASKS_EMULATOR_HOST
  Auth emulator       http://$FIREBASE_AUTH_EMULATOR_HOST
Try it in a browser (a guest's whole flow): $WEB_URL/
Another run, on the freshly created session $next of the test user $next_uid:
  scripts/invoke startTransformPipeline --auth user:$next_uid --query projectId=$PROJECT \\
       --body '{"sessionId":"$next","stepId":"transform"}'
  or: curl -s -X POST '$FUNCTIONS_URL/startTransformPipeline?projectId=$PROJECT' \\
       -H 'Content-Type: application/json' -H 'Authorization: Bearer $next_token' \\
       -d '{"sessionId":"$next","stepId":"transform"}'
  then: scripts/watch-job $PROJECT <jobId>
MSG
[ "${RUN_ONCE:-0}" = 1 ] && exit 0
echo "Serving until Ctrl-C."
wait "$functions_pid"
