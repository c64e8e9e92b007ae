#!/usr/bin/env bash
# Installs what is missing, builds lampi-fleet, and runs it. With no arguments: 200
# lamps for 30 s against a local mosquitto that lampi-fleet starts and stops itself.
# Any arguments go to `lampi-fleet run` (see `lampi-fleet run --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/setup-debian.sh >/dev/null
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DLAMPI_BUILD_TESTS=OFF >/dev/null
cmake --build build-release -j "$(nproc)" --target lampi-fleet >/dev/null

if (($# == 0)); then
  set -- -c config/local.yaml
fi
exec build-release/fleet/lampi-fleet run "$@"
