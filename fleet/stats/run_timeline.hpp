// One point a second of a run, kept for the HTML report's charts and the Locust-style
// stats history.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace lampi::fleet {

// The percentiles Locust reports, with its column names, in its order.
struct ReportedPercentile {
  double q;
  std::string_view name;
};
inline constexpr std::array<ReportedPercentile, 11> kReportedPercentiles = {{
    {0.50, "50%"},
    {0.66, "66%"},
    {0.75, "75%"},
    {0.80, "80%"},
    {0.90, "90%"},
    {0.95, "95%"},
    {0.98, "98%"},
    {0.99, "99%"},
    {0.999, "99.9%"},
    {0.9999, "99.99%"},
    {1.0, "100%"},
}};
using PercentilesMs = std::array<double, kReportedPercentiles.size()>;

struct TimelinePoint {
  double t_s = 0;  // seconds since the run started
  std::int64_t lamps_bridged = 0;
  std::int64_t lamps_connecting = 0;  // booting or connecting
  std::int64_t lamps_backing_off = 0;
  std::int64_t inflight = 0;  // publishes awaiting PUBACK at the sample
  double requests_per_s = 0;  // out-going publishes
  double failures_per_s = 0;
  bool has_latency = false;  // any PUBACK in this second
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
  PercentilesMs percentiles_ms{};  // this second's, at kReportedPercentiles
  double connects_per_s = 0;
  double reconnects_per_s = 0;
  // Since the run started.
  std::uint64_t total_requests = 0, total_failures = 0;
  bool total_has_latency = false;  // any PUBACK yet
  double total_median_ms = 0, total_average_ms = 0, total_min_ms = 0, total_max_ms = 0;
};

using RunTimeline = std::vector<TimelinePoint>;

}  // namespace lampi::fleet
