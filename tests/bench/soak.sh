#!/usr/bin/env bash
# A soak with everything on, against the local mosquitto lampi-fleet starts: LAMPS lamps
# (touch-drag and idle), the cloud stand-in associating them and sending web commands, the
# churn power-cycling a share of them, and a kill, a stall, a reconnect storm and two
# restarts of the broker at set times. Prints what docs/benchmarks.md records: messages,
# reconnects, each fault's time to full recovery, losses, wills and their delay, the
# command round trip, and the process's RSS after the ramp-up and at the end (scraped from
# its /metrics).
# Usage: tests/bench/soak.sh [BUILD_DIR] [LAMPS] [SECONDS]
set -euo pipefail
build=${1:-build-release}
lamps=${2:-2000}
secs=${3:-180}
bin="$build/fleet/lampi-fleet"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
third=$((secs / 3))
cat > "$out/soak.yaml" <<YAML
lamps: $lamps
broker:
  reconnect: {base: 2s, cap: 10s}
connect:
  hatch_rate: 1000
run:
  duration: ${secs}s
workload:
  profiles: {touch-drag: 50, idle: 50}
cloud:
  mode: active
  association_delay: 2s
  web_sessions_per_second: 20
faults:
  churn_per_hour: 2
  churn_off_time: [5s, 20s]
  events:
    - {at: $((third / 2))s, kind: restart, lasting: 5s}
    - {at: ${third}s, kind: kill, share: 0.2}
    - {at: $((third + 20))s, kind: stall, share: 0.1, lasting: 10s}
    - {at: $((2 * third))s, kind: storm}
    - {at: $((2 * third + third / 2))s, kind: restart, lasting: 2s}
YAML
"$bin" run -c "$out/soak.yaml" --metrics-listen "127.0.0.1:$port" --summary-json "$out/s.json" \
  --report "$out/r.html" > "$out/run.log" 2>&1 &
pid=$!
rss() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^process_resident_memory_bytes/ {print $2}' | head -1; }
sleep $(( lamps / 1000 + 15 ))   # the ramp-up and its settling
rss_ramp=$(rss)
sleep $(( secs - lamps / 1000 - 17 ))
rss_end=$(rss)
wait "$pid" || true
python3 - "$out/s.json" "$rss_ramp" "$rss_end" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
total, c = s["topics"][-1], s["cloud"]
ramp, end = float(sys.argv[2]), float(sys.argv[3])
print(f'lamps {s["lamps"]}, {s["seconds"]:.0f} s: verdict {s["verdict_code"]}')
print(f'messages {total["requests"]} ({total["rate_per_s"]:.0f}/s), judged failures '
      f'{total["failures"] - total["failures_by_reason"]["fleet_fault"]}, delayed by the faults '
      f'{total["failures_by_reason"]["fleet_fault"]}, p95 {total.get("response_ms", {}).get("p95", 0):.1f} ms')
print(f'connects {s["connects"]}, reconnects {s["reconnects"]}, power cycles {s["lamps_cycled"]}')
for f in s["faults"]:
    print(f'  {f["kind"]} at {f["at_s"]:.0f} s: {f["lamps"]} lamps, whole again after {f["recovered_after_s"]} s')
print(f'cloud: {c["lamps_consistent"]} of {c["lamps"]} consistent, acknowledged {c["acknowledged"]}, '
      f'received {c["received"]}, lost {c["lost"]}, unexplained {c["unexplained"]}, '
      f'wills {c["wills_seen"]} of {c["wills_expected"]} ({c["wills_missing"]} missing, {c["wills_late"]} late), '
      f'commands {c["commands_answered"]} of {c["commands_sent"]}, stand-in sessions lost {c["cloud_sessions_lost"]}')
print(f'will delay p50 {c["will_delay_ms"]["p50"]:.1f} ms, p99 {c["will_delay_ms"]["p99"]:.1f} ms, '
      f'max {c["will_delay_ms"]["max"]:.1f} ms')
print(f'round trip p50 {c["round_trip_ms"]["p50"]:.1f} ms, p95 {c["round_trip_ms"]["p95"]:.1f} ms, '
      f'p99 {c["round_trip_ms"]["p99"]:.1f} ms')
print(f'RSS after the ramp-up {ramp / 2**20:.1f} MiB, at the end {end / 2**20:.1f} MiB '
      f'({(end - ramp) / ramp * 100:+.1f}%)')
PY
