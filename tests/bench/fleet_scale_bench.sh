#!/usr/bin/env bash
# Connects N idle lamps (default 19,000) through lampi-fleet to a local mosquitto that
# lampi-fleet starts, and prints the process's RSS per lamp beyond a small-fleet baseline.
# Usage: tests/bench/fleet_scale_bench.sh [BUILD_DIR] [LAMPS]
set -euo pipefail
build=${1:-build-release}
lamps=${2:-19000}
baseline=1000
bin="$build/fleet/lampi-fleet"
[[ -x $bin ]] || { echo "build lampi-fleet first: cmake --build $build --target lampi-fleet" >&2; exit 2; }

# Runs the fleet for long enough to bridge every lamp, then prints the steady RSS (kB).
measure() {
  local n=$1 secs=$2 log
  log=$(mktemp)
  "$bin" run --lamps "$n" --profile idle --hatch-rate 1000 --duration "${secs}s" \
    --summary-json "$log.json" >"$log" 2>&1 &
  local pid=$! rss=0
  sleep $((secs - 3))
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  wait "$pid"
  local bridged
  bridged=$(python3 -c "import json,sys; print(json.load(open('$log.json'))['lamps_bridged_peak'])")
  echo "$rss $bridged"
  rm -f "$log" "$log.json"
}

read -r base_rss base_bridged < <(measure "$baseline" 15)
read -r big_rss big_bridged < <(measure "$lamps" 40)
per_lamp=$(python3 -c "print(f'{($big_rss - $base_rss) * 1024 / ($lamps - $baseline):.0f}')")
echo "baseline: $baseline lamps bridged=$base_bridged RSS=${base_rss} kB"
echo "fleet:    $lamps lamps bridged=$big_bridged RSS=${big_rss} kB"
echo "RSS per lamp beyond the baseline: ${per_lamp} bytes (target <= 4096)"
