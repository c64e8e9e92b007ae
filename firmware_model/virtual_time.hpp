// The model never reads a clock: every call is told the virtual time it happens at.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>

namespace lampi::model {

using Duration = std::chrono::microseconds;
// Microseconds since the fleet's virtual epoch.
using VirtualTime = std::chrono::microseconds;

inline constexpr VirtualTime kNever{std::numeric_limits<std::int64_t>::max()};

constexpr Duration seconds_to_duration(double s) {
  return Duration{static_cast<std::int64_t>(s * 1e6)};
}

}  // namespace lampi::model
