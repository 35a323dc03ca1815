#!/usr/bin/env bash
# usage: bench/summary.sh   (make bench, last; BUILD=dir)
# Prints the target lines the bench scripts of this run collected in
# $BUILD/bench/targets.txt, as one table.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"
BUILD=${BUILD:-build}
f=$BUILD/bench/targets.txt
[ -s "$f" ] || { echo "bench/summary.sh: no target lines in $f (run make bench)" >&2; exit 1; }
echo
echo "issue 13 targets, this run (figure | baseline measured in the same run | ratio | target | met):"
sed 's/^TARGET | /  /' "$f"
echo "$(grep -c '| met$' "$f") of $(wc -l <"$f") targets met"
