#!/usr/bin/env bash
# The seed's MQTT test at growing fleet sizes: seed-worst-case lamps (10 lamp/changed per
# interaction, 1-2 s apart) against a local single-threaded mosquitto. Prints, per size,
# what the fleet offered, what the broker acknowledged in time, p95, and the verdict: the
# broker should saturate while the generator still keeps its schedule.
# Usage: tests/bench/saturation_bench.sh [BUILD_DIR] [SECONDS] [THREADS] [LAMPS...]
set -euo pipefail
build=${1:-build-release}
secs=${2:-40}
threads=${3:-1}
shift $(( $# < 3 ? $# : 3 ))
sizes=("$@")
((${#sizes[@]})) || sizes=(1000 2000 4000 6000)
bin="$build/fleet/lampi-fleet"
out=$(mktemp -d)
printf '%7s %12s %12s %9s %10s %s\n' lamps offered/s acked/s p95_ms lag_p99_ms verdict
for n in "${sizes[@]}"; do
  "$bin" run --lamps "$n" --threads "$threads" --profile seed-worst-case --hatch-rate 500 \
    --duration "${secs}s" --metrics-listen "" --summary-json "$out/s.json" --report "$out/r.html" \
    >/dev/null 2>&1 || true
  python3 - "$out/s.json" "$n" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
total = s["topics"][-1]
acked = total["requests"] - total["failures"]
print(f'{sys.argv[2]:>7} {total["rate_per_s"]:12.0f} {acked / s["seconds"]:12.0f} '
      f'{total.get("response_ms", {}).get("p95", 0):9.1f} {s["schedule_lag_ms"]["p99"]:10.1f} {s["verdict"][:60]}')
PY
done
rm -rf "$out"
