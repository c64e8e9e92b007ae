// One point a second of a run, kept for the HTML report's charts.
#pragma once

#include <cstdint>
#include <vector>

namespace lampi::fleet {

struct TimelinePoint {
  double t_s = 0;  // seconds since the run started
  std::int64_t lamps_bridged = 0;
  std::int64_t lamps_connecting = 0;  // booting or connecting
  std::int64_t lamps_backing_off = 0;
  double requests_per_s = 0;  // out-going publishes
  double failures_per_s = 0;
  bool has_latency = false;  // any PUBACK in this second
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
  double connects_per_s = 0;
  double reconnects_per_s = 0;
};

using RunTimeline = std::vector<TimelinePoint>;

}  // namespace lampi::fleet
