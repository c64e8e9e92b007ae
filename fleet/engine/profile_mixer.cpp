#include "fleet/engine/profile_mixer.hpp"

#include <cmath>

namespace lampi::fleet {

ProfileMixer::ProfileMixer(std::span<const ProfileShare> shares) {
  for (const auto& share : shares) {
    auto weight = static_cast<std::int64_t>(std::llround(share.percent * 1e6));
    if (weight <= 0) continue;  // a 0% profile is never handed out
    entries_.push_back({share.profile, weight});
    total_weight_ += weight;
  }
}

model::Profile ProfileMixer::next() {
  if (entries_.empty()) return model::Profile::idle;
  const std::int64_t t = ++handed_out_;
  if (entries_.size() == 1) {
    ++entries_.front().given;
    return entries_.front().profile;
  }
  // With lambda = weight / total and x = given: a profile may be chosen once it is owed at
  // least 1/d of a lamp (lambda t - x >= 1/d, d = 2K - 2), and among those the one whose
  // deadline (x + 1 - 1/d) / lambda comes first goes. Both are scaled by d * total to
  // stay in integers; one is always eligible, as the debts lambda t - x add up to 1.
  const auto d = static_cast<std::int64_t>(2 * entries_.size() - 2);
  Entry* best = nullptr;
  std::int64_t best_deadline = 0;  // d * x + d - 1, to be divided by the weight
  for (auto& e : entries_) {
    if (d * (e.weight * t - e.given * total_weight_) < total_weight_) continue;
    std::int64_t deadline = d * e.given + d - 1;
    if (!best || deadline * best->weight < best_deadline * e.weight) {
      best = &e;
      best_deadline = deadline;
    }
  }
  ++best->given;
  return best->profile;
}

}  // namespace lampi::fleet
