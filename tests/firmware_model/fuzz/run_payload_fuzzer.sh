#!/usr/bin/env bash
# Builds payload_fuzzer.cpp with clang (libFuzzer, ASan, UBSan) over the firmware model's
# payload code, and runs it from the seeds for a bounded time. Exit 0: no crash, no leak,
# no sanitizer report and no broken invariant; libFuzzer leaves the input that failed in
# WORK_DIR otherwise.
# Usage: run_payload_fuzzer.sh WORK_DIR [SECONDS=30]
set -euo pipefail
src=$(cd "$(dirname "$0")/../../.." && pwd)
work=${1:?usage: run_payload_fuzzer.sh WORK_DIR [SECONDS]}
secs=${2:-30}
cxx=${LAMPI_FUZZ_CXX:-clang++}
command -v "$cxx" >/dev/null ||
  { echo "$cxx not found: deploy/setup-debian.sh installs clang" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work/corpus"
model="$src/firmware_model"
"$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -I"$src" "$src/tests/firmware_model/fuzz/payload_fuzzer.cpp" "$model/python_json.cpp" \
  "$model/python_json_loads.cpp" "$model/set_config.cpp" "$model/lamp_state.cpp" \
  -o "$work/payload_fuzzer"
cp "$src"/tests/firmware_model/fuzz/seeds/* "$work/corpus/"
cd "$work"
# Inputs up to 64 kB reach deep nesting and long strings; one input over 10 s is a hang.
./payload_fuzzer -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 corpus
