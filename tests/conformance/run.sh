#!/usr/bin/env bash
# usage: tests/conformance/run.sh   (make conformance; BUILD=dir, FF_CONFORMANCE_* below)
# Runs Google's Functions Framework conformance client against build/bin/conformance-functions,
# once per mode, each in its own directory under $BUILD/conformance/ (the client writes its
# logs and reads function_output.json there) and within FF_CONFORMANCE_TIMEOUT seconds.
# Prints every run with its exit status; exits non-zero when any run fails or the client
# is missing (never a silent pass).
#   FF_CONFORMANCE_CLIENT             the client (default: CLIENT below, outside the repository)
#   FF_CONFORMANCE_CLIENT_STRUCTURED  the structured-mode variant (default: the client's
#                                     path with "-structured" appended)
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/cli.sh
script_help "$@"
BUILD=${BUILD:-build}
BIN=$PWD/$BUILD/bin/conformance-functions
CLIENT=${FF_CONFORMANCE_CLIENT:-../shared/conformance/client}
STRUCTURED=${FF_CONFORMANCE_CLIENT_STRUCTURED:-$CLIENT-structured}
TIMEOUT=${FF_CONFORMANCE_TIMEOUT:-120}
OUT=$PWD/$BUILD/conformance

for c in "$CLIENT" "$STRUCTURED"; do
    if [ ! -x "$c" ]; then
        echo "conformance: client not found at '$c' (set FF_CONFORMANCE_CLIENT): FAILED" >&2
        exit 1
    fi
done
CLIENT=$(realpath "$CLIENT")
STRUCTURED=$(realpath "$STRUCTURED")
[ -x "$BIN" ] || { echo "conformance: $BIN not built" >&2; exit 1; }

port_busy() { (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; }

failed=0 runs=0
# run NAME CLIENT ARGS... : one client run; the server command comes from the arguments.
run() {
    local name=$1 client=$2
    shift 2
    local dir=$OUT/$name
    rm -rf "$dir" && mkdir -p "$dir"
    runs=$((runs + 1))
    if port_busy; then
        echo "conformance: $name: port 8080 is taken by another process: FAILED"
        failed=$((failed + 1))
        return
    fi
    (cd "$dir" && TMPDIR=$dir FF_CONFORMANCE_PIDFILE=$dir/server.pid \
        timeout -k 5 "$TIMEOUT" "$client" -buildpacks=false -start-delay=1 "$@" >client.log 2>&1)
    echo "$client -buildpacks=false -start-delay=1 $*" >"$dir/command"
    local rc=$?
    # the client kills the server's process group; a run cut by the timeout may leave it
    if [ -s "$dir/server.pid" ] && kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then
        kill -KILL "$(cat "$dir/server.pid")" 2>/dev/null
    fi
    local log=$dir/client.log checks
    checks=$(grep -a -o -E '(HTTP|Typed|CloudEvent|Legacy event|Concurrency) validation passed' "$log" |
        sed 's/ validation passed//' | paste -sd, -)
    printf 'conformance: %-24s exit %d  events passed %d, failed %d, skipped %d; passed: %s%s\n' "$name" "$rc" \
        "$(grep -a -c '(PASSED)' "$log")" "$(grep -a -c '(FAILED)' "$log")" "$(grep -a -c '(SKIPPED' "$log")" \
        "${checks:-none}" "$([ $rc -ne 0 ] && echo '  FAILED')"
    [ $rc -eq 0 ] || { failed=$((failed + 1)); tail -30 "$log" | sed 's/^/    | /'; }
}

srv() { echo "-cmd=$BIN --host 127.0.0.1 --port 8080 --target $1 --signature-type $2"; }

run http              "$CLIENT"     -type=http "$(srv http http)"
run typed             "$CLIENT"     -type=http -declarative-type=typed "$(srv typed typed)"
run cloudevent-binary "$CLIENT"     -type=cloudevent "$(srv cloudevent cloudevent)"
run cloudevent-structured "$STRUCTURED" -type=cloudevent "$(srv cloudevent cloudevent)"
run event-binary      "$CLIENT"     -type=legacyevent "$(srv event event)"
run event-structured  "$STRUCTURED" -type=legacyevent "$(srv event event)"
run http-concurrency       "$CLIENT" -type=http -validate-concurrency "$(srv http_slow http)"
run typed-concurrency      "$CLIENT" -type=http -declarative-type=typed -validate-concurrency "$(srv typed_slow typed)"
run cloudevent-concurrency "$CLIENT" -type=cloudevent -validate-concurrency "$(srv cloudevent_slow cloudevent)"
run event-concurrency      "$CLIENT" -type=legacyevent -validate-concurrency "$(srv event_slow event)"
# configuration by environment only: no flag at all on the command line
for t in http:http cloudevent:cloudevent event:legacyevent; do
    fn=${t%%:*} type=${t##*:}
    run "$fn-env-only" "$CLIENT" -type="$type" "-cmd=$BIN" \
        "-envs=FUNCTION_TARGET=$fn,FUNCTION_SIGNATURE_TYPE=${fn},PORT=8080,FF_HOST=127.0.0.1"
done
echo "conformance: $runs runs, $((runs - failed)) passed, $failed failed"
[ $failed -eq 0 ]
