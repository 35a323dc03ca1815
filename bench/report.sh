# Sourced by bench scripts: one line per issue-13 target, in one format so a regression is
# visible at a glance, printed where it is measured and collected in
# $BUILD/bench/targets.txt for the summary at the end of `make bench` (bench/summary.sh):
#   TARGET | what | figure | baseline (same run) | ratio | target | met / NOT MET
TARGETS_FILE=${BENCH_TARGETS:-${BUILD:-build}/bench/targets.txt}
mkdir -p "$(dirname "$TARGETS_FILE")"

# target WHAT FIGURE BASELINE RATIO TARGET MET
target() {
    local line
    line=$(printf 'TARGET | %-30s | %-12s | %-26s | %-13s | %-26s | %s' "$@")
    echo "$line"
    echo "$line" >>"$TARGETS_FILE"
}

# met EXPR: "met" when the awk expression holds, else "NOT MET"
met() { awk "BEGIN { exit !($1) }" && echo met || echo "NOT MET"; }

# div A B [FORMAT]: A / B, "n/a" when B is 0
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b > 0) printf f, a / b; else printf "n/a" }'; }

# cpu_ticks PID: utime + stime of the process so far, in clock ticks (/proc/PID/stat)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
CLK_TCK=$(getconf CLK_TCK)
