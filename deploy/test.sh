#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, and runs the whole test
# suite twice: a normal build, then under AddressSanitizer + UndefinedBehaviorSanitizer.
# Tests start their own mosquitto (and Prometheus) on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/setup-debian.sh
jobs=$(nproc)

cmake -S . -B build -DLAMPI_WERROR=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

if [[ "${LAMPI_SKIP_SANITIZERS:-0}" != 1 ]]; then
  cmake -S . -B build-asan -DLAMPI_WERROR=ON -DLAMPI_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  cmake --build build-asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"
fi
