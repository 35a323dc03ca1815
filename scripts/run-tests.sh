#!/usr/bin/env bash
# usage: scripts/run-tests.sh SUITE_BINARY...   (make test; BUILD=dir)
# Runs the given Criterion suite binaries against real emulators started here on free
# ports (Firestore, Cloud Tasks, Authentication), and stops the emulators (by process
# group) when the suites end, pass or fail. The Auth emulator's address goes to the
# suites as FF_TEST_AUTH_EMULATOR_HOST, not FIREBASE_AUTH_EMULATOR_HOST: a suite that
# wants the backend to trust its unsigned tokens says so itself.
# Prints each suite's Criterion summary, the failing tests' lines again, and a closing
# "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"
. scripts/lib.sh

BUILD=${BUILD:-build}
export FF_TEST_BUILD=$BUILD
export FF_TEST_FUNCTIONS_BIN=$PWD/$BUILD/bin/functions-test
mkdir -p "$BUILD/test-logs"
logdir=$(mktemp -d "$PWD/$BUILD/test-logs/run.XXXXXX")
echo "emulator logs: $logdir"
pids=()
cleanup() {
    for p in "${pids[@]}"; do stop_group "$p"; done
}
trap cleanup EXIT INT TERM

fs_port=$(free_port)
pids+=("$(start_firestore "$fs_port" "$logdir/firestore.log" "$PWD/firestore.rules")")
export FIRESTORE_EMULATOR_HOST=127.0.0.1:$fs_port
export GOOGLE_CLOUD_PROJECT=demo-test

tasks_port=$(free_port)
pids+=("$(scripts/node-emulator start tasks "$tasks_port" "$logdir/tasks.log")")
export CLOUD_TASKS_EMULATOR_HOST=127.0.0.1:$tasks_port
auth_port=$(free_port)
pids+=("$(scripts/node-emulator start auth "$auth_port" "$logdir/auth.log" "$GOOGLE_CLOUD_PROJECT")")
export FF_TEST_AUTH_EMULATOR_HOST=127.0.0.1:$auth_port

for e in "firestore $FIRESTORE_EMULATOR_HOST" "tasks $CLOUD_TASKS_EMULATOR_HOST" "auth $FF_TEST_AUTH_EMULATOR_HOST"; do
    read -r name host <<<"$e"
    wait_http "http://$host/" 60 || { cat "$logdir/$name.log"; exit 1; }
done

passed=0 failed=0 status=0 failures=""
for suite in "$@"; do
    echo "== $(basename "$suite")"
    wrapper=()
    # FF_VALGRIND=1: every test process under memcheck; invalid accesses and definite
    # leaks make the test crash (exit 99), so Criterion counts them.
    [ "${FF_VALGRIND:-0}" = 1 ] && wrapper=(valgrind --quiet --trace-children=yes --leak-check=full
        --errors-for-leak-kinds=definite --error-exitcode=99)
    out=$("${wrapper[@]}" "$suite" --jobs="${CRITERION_JOBS:-2}" ${CRITERION_ARGS:-} 2>&1)
    rc=$?
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -a 'Synthesis:' | tail -1)
    p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$line")
    f=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$line")
    c=$(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$line")
    # Repeated at the end: CI shows only the tail of a long run.
    failures+=$(printf '%s\n' "$out" | awk -v s="$(basename "$suite")" '
        /\[FAIL\]|CRASH|Assertion Failed|Timed out|ERROR: (Address|Leak)Sanitizer|runtime error:/ { print s ": " $0; m = 1; next }
        m && /^\[----\]   / { print s ": " $0; next }
        { m = 0 }')$'\n'
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0} + ${c:-0}))
    if [ -z "$line" ]; then failed=$((failed + 1)); failures+="$(basename "$suite"): no summary, exit $rc"$'\n'; fi
    [ $rc -ne 0 ] || [ -z "$line" ] && status=1
done
if [ -n "${failures//$'\n'/}" ]; then
    echo "== failures"
    printf '%s' "$failures" | grep -v '^$'
fi
echo "$passed passed, $failed failed"
exit $status
