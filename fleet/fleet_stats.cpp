#include "fleet_stats.hpp"

#include <algorithm>

namespace lampi::fleet {

const char* phase_name(LampPhase p) {
  switch (p) {
    case LampPhase::off:
      return "off";
    case LampPhase::booting:
      return "booting";
    case LampPhase::connecting:
      return "connecting";
    case LampPhase::bridged:
      return "bridged";
    case LampPhase::backing_off:
      return "backing_off";
    case LampPhase::stopped:
      return "stopped";
  }
  return "off";
}

const char* disconnect_reason_name(DisconnectReason r) {
  switch (r) {
    case DisconnectReason::refused:
      return "refused";
    case DisconnectReason::lost:
      return "lost";
    case DisconnectReason::keepalive:
      return "keepalive";
    case DisconnectReason::power_off:
      return "power_off";
  }
  return "lost";
}

void BucketHistogram::record(std::int64_t micros) {
  double seconds = static_cast<double>(micros) / 1e6;
  std::size_t i = 0;
  while (i < kBucketBounds.size() && seconds > kBucketBounds[i]) ++i;
  bump(buckets[i]);
  bump(count);
  bump(sum_us, static_cast<std::uint64_t>(std::max<std::int64_t>(micros, 0)));
}

void FleetStats::publish_interval(Interval& fresh) {
  std::lock_guard lock(mailbox_mutex_);
  mailbox_.response.merge(fresh.response);
  mailbox_.schedule_lag.merge(fresh.schedule_lag);
  fresh.response.reset();
  fresh.schedule_lag.reset();
}

FleetStats::Interval FleetStats::take_interval() {
  std::lock_guard lock(mailbox_mutex_);
  Interval out = mailbox_;
  mailbox_.response.reset();
  mailbox_.schedule_lag.reset();
  return out;
}

}  // namespace lampi::fleet
