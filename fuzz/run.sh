#!/usr/bin/env bash
# usage: fuzz/run.sh BUILD_DIR SECONDS HARNESS...   (make fuzz)
# Runs libFuzzer harnesses one after another.
# Each harness runs for SECONDS (-max_total_time) on a copy of fuzz/corpus/<harness> in a
# temporary directory (the committed corpus is never modified), with fuzz/<harness>.dict
# when present and -rss_limit_mb=${FUZZ_RSS_MB:-2048}. Prints one summary line per
# harness (name, runs, exec/s, coverage, result); a crash prints the end of the log and
# the artifact path under BUILD_DIR/fuzz/artifacts/<harness>/. Exits 1 when any harness
# crashed (or is missing), else 0. FUZZ_ARGS adds libFuzzer flags.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"
build=$1 seconds=$2
shift 2
status=0
for h in "$@"; do
    bin=$build/fuzz/$h
    if [ ! -x "$bin" ]; then
        printf '%-22s result=MISSING (%s not built)\n' "$h" "$bin"
        status=1
        continue
    fi
    tmp=$(mktemp -d "/tmp/ff-fuzz-$h.XXXXXX")
    artifacts=$build/fuzz/artifacts/$h
    mkdir -p "$tmp/corpus" "$artifacts"
    [ -d "fuzz/corpus/$h" ] && cp -r "fuzz/corpus/$h/." "$tmp/corpus/"
    dict=()
    [ -f "fuzz/$h.dict" ] && dict=(-dict="fuzz/$h.dict")
    "$bin" "$tmp/corpus" "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
        -timeout="${FUZZ_TIMEOUT:-60}" -print_final_stats=1 -artifact_prefix="$artifacts/" \
        ${FUZZ_ARGS:-} >"$tmp/log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/log" | tail -1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/log" | tail -1)
    last=$(grep -aE '^#[0-9]+' "$tmp/log" | tail -1)
    [ -z "$runs" ] && runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
    if [ $rc -eq 0 ]; then
        result=ok
    else
        status=1
        artifact=$(grep -aoE '(Test unit written to|artifact_prefix.*Test unit written to) [^ ]+' "$tmp/log" | tail -1 |
            awk '{print $NF}')
        result="CRASH rc=$rc artifact=${artifact:-none}"
        echo "---- $h: end of log ($tmp/log kept) ----"
        grep -avE '^#[0-9]+' "$tmp/log" | tail -60
    fi
    printf '%-22s runs=%s exec/s=%s cov=%s ft=%s corpus=%s result=%s\n' "$h" "${runs:-?}" "${eps:-?}" \
        "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
    if [ $rc -eq 0 ]; then rm -rf "$tmp"; else rm -rf "$tmp/corpus"; fi
done
exit $status
