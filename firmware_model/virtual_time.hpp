// The model never reads a clock: every call is told the virtual time it happens at.
#pragma once

#include <chrono>
#include <cstdint>

namespace lampi::model {

// A tag clock for the fleet's virtual epoch. A point in time and a length of time are
// different types, so `time + time` does not compile and `time - time` is a Duration.
// It has no now() on purpose: the model must be told the time, never look it up.
struct VirtualClock {
  using duration = std::chrono::microseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<VirtualClock>;
  static constexpr bool is_steady = true;
};

using Duration = VirtualClock::duration;
// Microseconds since the fleet's virtual epoch.
using VirtualTime = VirtualClock::time_point;

inline constexpr VirtualTime kNever = VirtualTime::max();

// The virtual time `since_epoch` after the epoch.
constexpr VirtualTime at(Duration since_epoch) {
  return VirtualTime{since_epoch};
}

constexpr Duration seconds_to_duration(double s) {
  return Duration{static_cast<std::int64_t>(s * 1e6)};
}

}  // namespace lampi::model
