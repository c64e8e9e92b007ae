// The live view of a run: one line a second on a terminal, a log line every ten seconds
// otherwise.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fleet/stats/fleet_stats_view.hpp"
#include "fleet/stats/run_timeline.hpp"

namespace lampi::fleet {

struct ProgressSample {
  double elapsed_s = 0;
  std::int64_t lamps = 0;
  std::array<std::int64_t, kPhaseCount> by_phase{};
  double published_per_s = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
  PercentilesMs percentiles_ms{};  // this interval's, at kReportedPercentiles
  double failures_per_s = 0, connects_per_s = 0, reconnects_per_s = 0;
  bool acked = false;                        // any PUBACK in this interval
  std::uint64_t requests = 0, failures = 0;  // totals so far
  bool acked_ever = false;                   // any PUBACK since the start
  double total_median_ms = 0, total_average_ms = 0, total_min_ms = 0, total_max_ms = 0;
  double schedule_lag_max_ms = 0;
  double schedule_lag_p99_ms = 0;
  std::uint64_t connects = 0, reconnects = 0;  // totals so far
  std::int64_t inflight = 0;                   // publishes awaiting PUBACK now
  double loop_lag_max_ms = 0;
  std::array<std::uint64_t, kDisconnectReasonCount> disconnects{};  // totals so far
  std::vector<FailureNote> failure_notes;  // taken with this second's histograms
};

// The run's one sampler: it owns the IntervalReader, so each second's histograms are
// taken once, here, and sample() is non-const because it empties the shards' mailboxes.
class ProgressMeter {
 public:
  ProgressMeter(FleetStatsView fleet, IntervalReader intervals)
      : fleet_(std::move(fleet)), intervals_(std::move(intervals)) {}
  // Reads the shards' counters and takes this second's histograms.
  ProgressSample sample(double elapsed_s);
  std::uint64_t bridged_peak() const { return bridged_peak_; }

 private:
  FleetStatsView fleet_;
  IntervalReader intervals_;
  std::uint64_t last_requests_ = 0, last_failures_ = 0, last_connects_ = 0, last_reconnects_ = 0;
  double last_elapsed_ = 0;
  std::uint64_t bridged_peak_ = 0;
  LatencyHistogram responses_;  // every interval's, merged: the run's so far
};

// The generator cannot keep its own schedule: results would measure lampi-fleet.
bool generator_saturated(const ProgressSample& s);

std::string format_progress(const ProgressSample& s);
TimelinePoint to_timeline_point(const ProgressSample& s);

}  // namespace lampi::fleet
