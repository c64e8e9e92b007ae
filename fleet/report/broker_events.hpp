// What the broker did to the run, read from its one-a-second timeline: an OUTAGE (it went
// away: bridged lamps fell well below what they had been) or a STALL (it kept the
// connections but acknowledged nothing while publishes waited). Named for what happened,
// so neither is mistaken for saturation (slow, but answering).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fleet/config/fleet_config.hpp"

#include "fleet/stats/run_timeline.hpp"

namespace lampi::fleet {

// A stall shorter than this is a hiccup, not a broker that stopped answering.
inline constexpr double kMinStallSeconds = 3.0;

struct Outage {
  double start_s = 0;                 // the first second below the bar
  std::optional<double> recovered_s;  // back at or above it; none: not by the end
  std::int64_t bridged_before = 0;    // the most bridged before it began
  std::int64_t bridged_lowest = 0;
};

struct Stall {
  double start_s = 0;
  double seconds = 0;        // the longest run of seconds without a PUBACK while publishes waited
  std::int64_t bridged = 0;  // lamps still bridged as it began
};

struct BrokerEvents {
  std::optional<Outage> outage;  // the first
  std::optional<Stall> stall;    // the longest, outside any outage
};

// `min_bridged_ratio`: an outage is bridged lamps under this share of the most bridged
// so far (ramp-up only ever adds lamps, so it cannot look like one). What the fleet's own
// `faults` caused is neither: a fall in bridged lamps that begins within 2 s of a kill or
// a storm, and seconds without a PUBACK during a stall and one response timeout after it.
BrokerEvents find_broker_events(const RunTimeline& timeline, double min_bridged_ratio,
                                std::span<const FaultEvent> faults = {},
                                double response_timeout_s = 0.5);

// What one faults.events entry did, read off the timeline.
struct FaultResult {
  FaultEvent event;
  std::uint64_t lamps = 0;  // lamps it hit
  // Seconds from the event until the fleet was whole again: bridged lamps back to 99% of
  // what they were just before (a kill, a storm), or the first second after a stall with
  // no failed publish. None: not by the end of the run.
  std::optional<double> recovered_after_s;
};
std::vector<FaultResult> fault_results(const RunTimeline& timeline,
                                       std::span<const FaultEvent> faults,
                                       std::span<const std::uint64_t> lamps_hit);

}  // namespace lampi::fleet
