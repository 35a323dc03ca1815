# Command-line conventions of the scripts (sourced, not run).
# `functions_cli NAME ARGS...` (scripts/seed, scripts/watch-job)
# runs `build/bin/functions NAME ARGS...` (FF_BIN overrides the binary) with the local
# emulators' environment (scripts/emulators env) unless FIRESTORE_EMULATOR_HOST is set.
# Relative paths in ARGS stay relative to the caller's directory. --help prints the
# script's usage: the subcommand's, under the script's name.

functions_cli() {
    local name=$1 script root bin
    shift
    script=scripts/$(basename "$0")
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    bin=${FF_BIN:-$root/build/bin/functions}
    if [ ! -x "$bin" ]; then
        echo "$script: $bin is not built: run make" >&2
        exit 2
    fi
    local a
    for a in "$@"; do
        if [ "$a" = --help ] || [ "$a" = -h ]; then
            "$bin" "$name" --help | sed "1s|usage: functions $name|usage: $script|"
            echo "  $script runs build/bin/functions $name with the local emulators' environment"
            echo "  (scripts/emulators env) unless FIRESTORE_EMULATOR_HOST is already set."
            exit 0
        fi
    done
    [ -n "${FIRESTORE_EMULATOR_HOST:-}" ] || eval "$("$root/scripts/emulators" env)"
    exec "$bin" "$name" "$@"
}

# script_help "$@": for a script whose header comment (the lines after #!) is its usage,
# starting "# usage: ...": prints it on --help or -h and exits 0; any other argument
# starting with '-' is refused with "unknown flag" and exit status 2.
script_help() {
    local a
    for a in "$@"; do
        case $a in
        -h | --help)
            sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
            exit 0
            ;;
        -*)
            echo "$(basename "$(dirname "$0")")/$(basename "$0"): unknown flag $a (--help for usage)" >&2
            exit 2
            ;;
        esac
    done
}
