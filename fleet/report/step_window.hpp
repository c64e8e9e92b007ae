// One step's measurement: the fleet's seconds that fall inside the step's window (after
// its ramp and settle, before the next step's ramp), added up into a StepMeasure.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fleet/report/knee_search.hpp"
#include "fleet/stats/latency_histogram.hpp"

namespace lampi::fleet {

// What the fleet did in one sampling interval, [from_s, to_s) of the pass.
struct FleetSecond {
  double from_s = 0, to_s = 0;
  std::uint64_t published = 0;  // in this interval
  std::uint64_t failures = 0;   // in this interval
  LatencyHistogram response{};  // PUBACKs of this interval
  LatencyHistogram schedule_lag{};
  double loop_lag_ms = 0;
  std::uint64_t bridged = 0;  // when the interval was sampled, just after to_s
};

class StepWindow {
 public:
  StepWindow(std::size_t lamps, double from_s, double until_s)
      : lamps_(lamps), from_s_(from_s), until_s_(until_s) {}

  // Counts the interval when it lies inside the window (the sampler's own jitter of a few
  // milliseconds aside): one that straddles an edge holds ramp or settle time.
  void add(const FleetSecond& s);
  std::size_t seconds_counted() const { return counted_; }
  StepMeasure measure() const;

 private:
  std::size_t lamps_;
  double from_s_, until_s_;
  std::size_t counted_ = 0;
  double seconds_ = 0;
  std::uint64_t published_ = 0, failures_ = 0;
  LatencyHistogram response_, lag_;
  double loop_lag_max_ms_ = 0;
  // The last count sampled before the window's end: the one sampled at its end already
  // sees the next step's first lamps.
  std::uint64_t bridged_ = 0;
  bool bridged_seen_ = false;
  std::uint64_t bridged_at_end_ = 0;
};

}  // namespace lampi::fleet
