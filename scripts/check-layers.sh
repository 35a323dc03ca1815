#!/usr/bin/env bash
# usage: scripts/check-layers.sh   (make check-layers; run by make test)
# Checks the layering of docs/architecture.md from the #include lines:
#   runtime/src/ff, runtime/include/ff.h   the Functions Framework: its own headers,
#                                          libc, h2o, jansson; nothing of runtime/src/gcp,
#                                          runtime/include/gcp, curl, libjwt or OpenSSL
#   shared/                                its own headers, libc, jansson; nothing else
#   functions/                             the public headers only: ff.h, gcp/*.h,
#                                          shared/include/*.h, its own; no h2o, curl,
#                                          libjwt, OpenSSL, nothing under runtime/src
# Prints each violation as FILE:LINE: reason, and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"

INCLUDE_PATH=(runtime/include shared/include functions/src)
bad=0

violation() {
    echo "$1: $2" >&2
    bad=1
}

# resolve FILE HEADER: prints the repository path a quoted #include of FILE names, or
# nothing when it is not in the tree.
resolve() {
    local dir
    for dir in "$(dirname "$1")" "${INCLUDE_PATH[@]}"; do
        if [ -f "$dir/$2" ]; then
            realpath --relative-to=. "$dir/$2"
            return
        fi
    done
}

# includes FILE...: prints "file:line:kind:header" for each #include (kind: q or a).
includes() {
    grep -Hn '^[[:space:]]*#[[:space:]]*include' "$@" |
        sed -E 's/^([^:]*):([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]*)".*/\1:\2:q:\3/;
                s/^([^:]*):([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*<([^>]*)>.*/\1:\2:a:\3/'
}

# check LAYER ALLOWED_PATH_REGEX FORBIDDEN_SYSTEM_REGEX FILE...
check() {
    local layer=$1 allowed=$2 forbidden=$3 file line kind header target
    shift 3
    while IFS=: read -r file line kind header; do
        if [ "$kind" = a ]; then
            [[ $header =~ $forbidden ]] && violation "$file:$line" "$layer must not include <$header>"
            continue
        fi
        target=$(resolve "$file" "$header")
        if [ -z "$target" ]; then
            violation "$file:$line" "\"$header\" is not a header of the tree"
        elif ! [[ $target =~ $allowed ]]; then
            violation "$file:$line" "$layer must not include $target"
        fi
    done < <(includes "$@")
}

SYSTEM_OF_GCP='^(curl/|jwt\.h$|openssl/)'
check "the framework (runtime/src/ff)" '^runtime/(src/ff/[^/]+|include/ff)\.h$' "$SYSTEM_OF_GCP" \
    runtime/src/ff/*.[ch] runtime/include/ff.h
check "shared/" '^shared/include/[^/]+\.h$' "$SYSTEM_OF_GCP|^h2o" $(find shared -name '*.[ch]')
check "functions/" '^(runtime/include/(ff|gcp/[^/]+)|shared/include/[^/]+|functions/src/.+)\.h$' \
    "$SYSTEM_OF_GCP|^h2o" $(find functions -name '*.[ch]')

if [ $bad -ne 0 ]; then
    echo "check-layers: FAIL (see docs/architecture.md for what may use what)" >&2
    exit 1
fi
echo "check-layers: ok (framework, shared/, functions/)"
