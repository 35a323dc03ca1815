#!/usr/bin/env bash
# usage: scripts/deps.sh   (make deps; make test, run, bench and load run it first)
# Installs what the build, the tests and the local stack need, and only what is missing.
# Debian packages come from apt-get; npm packages from tools/package-lock.json (npm ci).
# A second run installs nothing and prints nothing but "dependencies: ok".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cli.sh
script_help "$@"

APT_PACKAGES=(
    build-essential pkg-config clang libclang-rt-14-dev
    libh2o-evloop-dev libjansson-dev libcurl4-openssl-dev libjwt-dev libssl-dev libcriterion-dev
    libmimalloc-dev
    wrk nodejs npm openjdk-17-jre-headless google-cloud-cli-firestore-emulator
    curl procps iproute2 valgrind
    chromium fonts-dejavu-core
)
# chromium (Debian's, headless): the real-browser test of the guest demo page (tests/browser).

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from elsewhere than Debian (e.g. the machine image): accept what is on PATH.
if command -v node >/dev/null && command -v npm >/dev/null; then
    missing=("${missing[@]/nodejs/}"); missing=("${missing[@]/npm/}")
fi
# Java may be installed under another package name.
if command -v java >/dev/null; then missing=("${missing[@]/openjdk-17-jre-headless/}"); fi
read -r -a missing <<<"${missing[*]:-}"

if [ ${#missing[@]} -gt 0 ]; then
    echo "dependencies: installing Debian packages: ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -f tools/package-lock.json ]; then
    stamp=tools/node_modules/.lock-stamp
    if [ ! -f "$stamp" ] || ! cmp -s tools/package-lock.json "$stamp"; then
        echo "dependencies: installing npm packages from tools/package-lock.json (npm ci --ignore-scripts)"
        (cd tools && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
        cp tools/package-lock.json "$stamp"
    fi
fi
echo "dependencies: ok"
