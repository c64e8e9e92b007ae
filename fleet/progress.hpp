// The live view of a run: one line a second on a terminal, a log line every ten seconds
// otherwise.
#pragma once

#include <cstdint>
#include <string>

#include "fleet_engine.hpp"

namespace lampi::fleet {

struct ProgressSample {
  double elapsed_s = 0;
  std::int64_t lamps = 0;
  std::array<std::int64_t, kPhaseCount> by_phase{};
  double published_per_s = 0;
  double p50_ms = 0, p95_ms = 0;
  std::uint64_t failures = 0;
  double schedule_lag_max_ms = 0;
  double loop_lag_max_ms = 0;
};

class ProgressMeter {
 public:
  explicit ProgressMeter(const FleetEngine& engine) : engine_(engine) {}
  // Reads the shards' counters and this second's histograms.
  ProgressSample sample(double elapsed_s);
  std::uint64_t bridged_peak() const { return bridged_peak_; }

 private:
  const FleetEngine& engine_;
  std::uint64_t last_requests_ = 0;
  double last_elapsed_ = 0;
  std::uint64_t bridged_peak_ = 0;
};

std::string format_progress(const ProgressSample& s);

}  // namespace lampi::fleet
