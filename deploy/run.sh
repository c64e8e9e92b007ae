#!/usr/bin/env bash
# Installs what is missing, builds lampi-fleet, and runs it in the directory you call this
# from, so relative paths you give (-c my.yaml, --summary-json out.json, --report r.html)
# are yours. With no arguments: 200 lamps for 30 s against a local mosquitto that
# lampi-fleet starts and stops itself. Arguments go to `lampi-fleet run` (see
# `lampi-fleet run --help`); a first argument `run`, `validate` or `--version` goes to
# lampi-fleet as it is (`deploy/run.sh validate -c my.yaml`).
#
# Installing and building print nothing unless they fail, when their log is shown (a
# Release build prints GCC 12's false-positive warnings from the standard headers on the
# way). LAMPI_BUILD_DIR builds somewhere other than build-release/ in the repository; a
# directory already configured is used as it is, and only its lampi-fleet target is built.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${LAMPI_BUILD_DIR:-$repo/build-release}
mkdir -p "$build"
build=$(cd "$build" && pwd)

# quietly NAME COMMAND...: runs COMMAND with its output in $build/NAME.log, shown if it fails.
quietly() {
  local name=$1 log=$build/$1.log
  shift
  if ! "$@" >"$log" 2>&1; then
    echo "deploy/run.sh: $name failed; its log, $log:" >&2
    cat "$log" >&2
    exit 1
  fi
}

if [[ ! -x $build/fleet/lampi-fleet ]]; then
  echo "Installing what is missing and building lampi-fleet; the first time takes a few" \
    "minutes (logs in $build)..." >&2
fi
quietly setup bash "$repo/deploy/setup-debian.sh"
if [[ ! -f $build/CMakeCache.txt ]]; then
  quietly configure cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLAMPI_BUILD_TESTS=OFF
fi
quietly build cmake --build "$build" -j "$(nproc)" --target lampi-fleet

if (($# == 0)); then
  set -- run -c "$repo/config/local.yaml"
elif [[ $1 != run && $1 != validate && $1 != --version ]]; then
  set -- run "$@"
fi
exec "$build/fleet/lampi-fleet" "$@"
