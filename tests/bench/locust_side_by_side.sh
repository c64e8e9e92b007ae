#!/usr/bin/env bash
# The seed's MQTT test side by side: Locust with paho-mqtt (the seed's own tool, Debian's
# python3-locust and python3-paho-mqtt, tests/bench/seed_locustfile.py) and lampi-fleet's
# `seed-worst-case`, each against a fresh mosquitto of its own on a free loopback port,
# the same devices, hatch rate and duration, one after the other.
#
#   tests/bench/locust_side_by_side.sh [BINARY] [DEVICES] [SECONDS]
#
# Defaults: build-release/fleet/lampi-fleet, 700 devices (the seed's knee), 60 s. Prints,
# for each tool: messages acknowledged, acknowledged/s, the tool's CPU microseconds per
# acknowledged message and the broker's, the tool's RSS per device, p50 and p99 response
# time, failures. docs/benchmarks.md records the figures. Installs the two Debian packages
# when missing, as deploy/setup-debian.sh installs the rest.
set -euo pipefail
bin=${1:-build-release/fleet/lampi-fleet}
devices=${2:-700}
seconds=${3:-60}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/lampi-side-by-side-XXXXXX")
broker_pid=
cleanup() { [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

missing=()
for p in python3-locust python3-paho-mqtt; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
clk=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime of a live process

start_broker() {
  port=$(free_port)
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\nset_tcp_nodelay true\n' \
    "$port" >"$work/mosquitto.conf"
  /usr/sbin/mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
  broker_pid=$!
  sleep 0.5
}
# PID: waits for it to exit, sampling each second its peak RSS (peak, kB) and its CPU
# (ticks, as last read while it was alive).
watch() {
  local pid=$1 rss
  peak=0 ticks=0
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${rss:-0}" -gt "$peak" ] && peak=$rss
    ticks=$(cpu_ticks "$pid" 2>/dev/null || echo "$ticks")
    sleep 1
  done
  wait "$pid" || true
}
stop_broker() { kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true; broker_pid=; }

# TOOL ACKED P50_MS P99_MS FAILURES TOOL_TICKS BROKER_TICKS RSS_KB
report() {
  awk -v t="$1" -v n="$2" -v p50="$3" -v p99="$4" -v f="$5" -v tt="$6" -v bt="$7" -v rss="$8" \
      -v clk="$clk" -v d="$devices" -v s="$seconds" 'BEGIN {
    us = (n > 0) ? 1e6 / clk / n : 0;
    printf "%-12s %10d %9.0f %12.1f %12.1f %10.0f %9.1f %9.1f %9d\n",
           t, n, n / s, tt * us, bt * us, rss / d, p50, p99, f }'
}

echo "seed MQTT test side by side: $devices devices, hatch 100/s, $seconds s, $(nproc) cores, $(date -u +%FT%TZ)"
printf "%-12s %10s %9s %12s %12s %10s %9s %9s %9s\n" tool acked acked/s "tool us/msg" \
  "broker us/msg" "KiB/device" "p50 ms" "p99 ms" failures

# Locust, headless, its CSV for the numbers.
start_broker
b0=$(cpu_ticks "$broker_pid")
(cd "$work" && exec /usr/bin/python3 -m locust -f "$here/seed_locustfile.py" --headless -u "$devices" \
   -r 100 -t "${seconds}s" --host "127.0.0.1:$port" --csv locust --only-summary \
   --stop-timeout 2 >locust.out 2>&1) &
watch "$!"
b1=$(cpu_ticks "$broker_pid")
stop_broker
# The lamp/changed row of Locust's stats: request and failure counts, then percentiles.
read -r n f p50 p99 < <(python3 - "$work/locust_stats.csv" <<'EOF'
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    if row["Name"] == "lamp/changed":
        print(int(row["Request Count"]) - int(row["Failure Count"]), row["Failure Count"],
              row["50%"], row["99%"])
EOF
)
report locust "$n" "$p50" "$p99" "$f" "$ticks" "$((b1 - b0))" "$peak"

# lampi-fleet, one worker thread (the broker gets the other core), its JSON for the numbers.
start_broker
b0=$(cpu_ticks "$broker_pid")
"$bin" run -n "$devices" -p seed-worst-case --hatch-rate 100 -d "${seconds}s" -t 1 \
  -b "mqtt://127.0.0.1:$port" --metrics-listen 127.0.0.1:0 --report "" \
  --summary-json "$work/fleet.json" >"$work/fleet.out" 2>&1 &
watch "$!"
b1=$(cpu_ticks "$broker_pid")
stop_broker
read -r n f p50 p99 < <(python3 - "$work/fleet.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
row = next(r for r in j["topics"] if r["name"] == "devices/+/lamp/changed")
acked = row["latency_histogram"]["count"]
print(acked, row["failures"], row["response_ms"]["median"], row["response_ms"]["p99"])
EOF
)
report lampi-fleet "$n" "$p50" "$p99" "$f" "$ticks" "$((b1 - b0))" "$peak"
echo "(tool CPU is the whole process's, sampled each second until it exited; RSS its peak;"
echo " lampi-fleet's counts are lamp/changed only, its other topics' messages are extra work)"
