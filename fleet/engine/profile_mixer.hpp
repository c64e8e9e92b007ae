// Which profile each lamp follows, in hatch order. Every prefix of the order carries the
// shares as exactly as whole lamps allow, so a ramp-up, a run stopped early and the
// full fleet all see the configured mix.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fleet/config/fleet_config.hpp"

namespace lampi::fleet {

// Tijdeman's chairman-assignment algorithm (1980): after any n lamps, each of the K
// profiles with a share has been handed out within 1 - 1/(2K - 2) lamps of share * n,
// i.e. always less than one lamp off (half a lamp for two profiles, 5/6 for four).
// Deterministic: the same shares give the same order. Exact integer arithmetic on the
// shares to a millionth of a percent, for up to 10^9 lamps.
class ProfileMixer {
 public:
  explicit ProfileMixer(std::span<const ProfileShare> shares);

  // The next lamp's profile (idle when no share is given).
  model::Profile next();

 private:
  struct Entry {
    model::Profile profile;
    std::int64_t weight;     // the share in millionths of a percent, above 0
    std::int64_t given = 0;  // lamps handed this profile so far
  };
  std::vector<Entry> entries_;
  std::int64_t total_weight_ = 0;
  std::int64_t handed_out_ = 0;
};

}  // namespace lampi::fleet
