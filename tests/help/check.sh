#!/usr/bin/env bash
# usage: tests/help/check.sh   (make check-help; run by make test)
# Checks what the repository says about itself:
#   - `make help` lists targets, and README.md's "Make targets" table holds exactly its
#     lines (`make help HELP_FORMAT=md` prints them);
#   - build/bin/functions and each subcommand answer --help with their usage on stdout
#     and exit 0, and refuse an unknown flag with "unknown flag" and exit 2;
#   - every script of the tree (executable files in scripts/, bench/, fuzz/, tests/,
#     .ci/) does the same;
#   - the README's first screen shows exactly two commands: make run, make test;
#   - every relative link and every repository path named in the Markdown files exists,
#     and no tracked file names a path outside the repository (a machine's directory, the
#     spec as received) - the conformance client's default ../shared/conformance aside.
# Prints one line per failure and a summary; exits 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/cli.sh
script_help "$@"

BIN=${FF_BIN:-build/bin/functions}
checks=0 failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
pass() { checks=$((checks + 1)); }

# TODO(integrator): commands whose --help or unknown-flag answer another helper fixes on
# their branch; drop each line when that branch is merged (the check then covers it).
PENDING_HELP=()
PENDING_FLAG=()

is_pending() { # is_pending "command" LIST...
    local cmd=$1 p
    shift
    for p in "$@"; do [ "$p" = "$cmd" ] && return 0; done
    return 1
}

# check_help "shown name" COMMAND...: COMMAND --help exits 0 with "usage: NAME" first.
check_help() {
    local name=$1 out rc
    shift
    is_pending "$*" "${PENDING_HELP[@]}" && { echo "pending: $* --help (see PENDING_HELP)"; return; }
    out=$(timeout 30 "$@" --help 2>/dev/null)
    rc=$?
    if [ $rc -ne 0 ]; then
        fail "$* --help exits $rc, want 0"
    elif [[ $(head -1 <<<"$out") != "usage: $name"* ]]; then
        fail "$* --help: first line \"$(head -1 <<<"$out")\", want \"usage: $name ...\""
    else
        pass
    fi
}

# check_flag COMMAND...: COMMAND --no-such-flag exits 2 and says "unknown flag".
check_flag() {
    local err rc
    is_pending "$*" "${PENDING_FLAG[@]}" "${PENDING_HELP[@]}" &&
        { echo "pending: $* --no-such-flag (see PENDING_FLAG)"; return; }
    err=$(timeout 30 "$@" --no-such-flag 2>&1 >/dev/null)
    rc=$?
    if [ $rc -ne 2 ]; then
        fail "$* --no-such-flag exits $rc, want 2"
    elif ! grep -q 'unknown flag' <<<"$err"; then
        fail "$* --no-such-flag: \"$(head -1 <<<"$err")\" does not say \"unknown flag\""
    else
        pass
    fi
}

check_make_help() {
    local out rows readme_rows want
    out=$(make --no-print-directory help)
    if [ $? -ne 0 ] || [ -z "$out" ]; then
        fail "make help"
        return
    fi
    pass
    rows=$(make --no-print-directory help HELP_FORMAT=md)
    readme_rows=$(awk '/^## /{on=($0 == "## Make targets")} on' README.md | grep -E '^\| `make [a-z]')
    while IFS= read -r want; do
        grep -qxF -- "$want" <<<"$readme_rows" && pass || fail "README.md lacks the make help row: $want"
    done <<<"$rows"
    while IFS= read -r want; do
        grep -qxF -- "$want" <<<"$rows" && pass || fail "README.md row not in make help: $want"
    done <<<"$readme_rows"
}

check_binary() {
    local out sub
    check_help "functions" "$BIN"
    check_flag "$BIN"
    out=$("$BIN" --help 2>/dev/null)
    for sub in invoke seed get watch-job; do
        grep -q "functions $sub " <<<"$out" && pass || fail "$BIN --help does not list $sub"
        check_help "functions $sub" "$BIN" "$sub"
        check_flag "$BIN" "$sub"
    done
}

check_scripts() {
    local s
    while IFS= read -r s; do
        check_help "$s" "$s"
        check_flag "$s"
    done < <(git ls-files -co --exclude-standard scripts bench fuzz tests .ci |
        while IFS= read -r f; do [ -f "$f" ] && [ -x "$f" ] && echo "$f"; done)
}

check_first_screen() {
    local cmds
    cmds=$(awk '/^```/ { n++; next } n == 1 { sub(/ *#.*/, ""); if ($0 != "") print }' README.md)
    [ "$cmds" = $'make run\nmake test' ] && pass ||
        fail "README.md's first code block must be exactly 'make run' and 'make test', is: $cmds"
}

# Files whose text is checked: tracked or new, not ignored; no corpora or lockfiles.
text_files() {
    git ls-files -co --exclude-standard | grep -vE '(^|/)corpus/|package-lock\.json$|\.(dict|png|jpg)$'
}

check_references() {
    local md f link target tok top
    top=$(git ls-files -co --exclude-standard | cut -d/ -f1 | sort -u | tr '\n' '|')
    top=${top%|}
    while IFS= read -r md; do
        # [text](target) links
        while IFS= read -r link; do
            target=${link%%#*}
            [ -z "$target" ] && continue
            if ! inside "$(dirname "$md")/$target"; then
                fail "$md: link ($link) points outside the repository"
            elif [ -e "$(dirname "$md")/$target" ]; then
                pass
            else
                fail "$md: link ($link) does not resolve"
            fi
        done < <(grep -oE '\]\([^)[:space:]]+\)' "$md" | sed -E 's/^\]\((.*)\)$/\1/' |
            grep -vE '^(https?:|mailto:|#)')
        # `path` mentions that start at a top-level entry of the repository
        while IFS= read -r tok; do
            tok=${tok%%[:,;)]*}
            tok=${tok%/}
            [[ $tok =~ [*{}\<\>\$] ]] && continue
            [[ $tok =~ ^($top)(/|$) ]] || continue
            [ -e "$tok" ] && pass || fail "$md: \`$tok\` does not exist"
        done < <(grep -oE '`[^`]+`' "$md" | tr -d '`' | tr ' ' '\n' | grep -E '^[A-Za-z0-9_.][A-Za-z0-9_./-]*/' |
            grep -vE '^(build|\.run)/')
    done < <(text_files | grep -E '\.md$')
    outside_paths
}

# inside PATH: PATH (existing or not) is inside the repository.
inside() {
    [[ $(realpath -m -- "$1") == "$PWD"/* ]]
}

# A machine's directories, the spec as received, and ../ paths (in Markdown, or naming
# ../shared anywhere) that, taken from the file's directory, leave the repository or
# name nothing (the conformance client's default ../shared/conformance aside).
outside_paths() {
    local f hit path
    while IFS= read -r f; do
        while IFS= read -r hit; do
            echo "FAIL: $f:${hit%%:*}: names a path outside the repository: ${hit#*:}" >&2
            failures=$((failures + 1))
        done < <(grep -nE '/(work|home|Users)/|SPEC\.md' "$f" 2>/dev/null)
        while IFS= read -r path; do
            [[ $path == ../shared/conformance || $path == ../shared/conformance/* ]] && continue
            inside "$(dirname "$f")/$path" && [ -e "$(dirname "$f")/$path" ] && continue
            echo "FAIL: $f: $path is not a path of the repository (from the file's directory)" >&2
            failures=$((failures + 1))
        done < <(grep -oE '(\.\./)+[A-Za-z0-9_][A-Za-z0-9_./-]*' "$f" 2>/dev/null | sort -u |
            if [[ $f == *.md ]]; then cat; else grep -E '^(\.\./)+shared/'; fi)
    done < <(text_files | grep -v '^tests/help/check.sh$')
}

[ -x "$BIN" ] || { echo "check-help: $BIN is not built (make)" >&2; exit 1; }
check_make_help
check_binary
check_scripts
check_first_screen
check_references
echo "check-help: $checks passed, $failures failed"
[ $failures -eq 0 ]
