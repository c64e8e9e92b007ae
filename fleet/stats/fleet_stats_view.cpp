#include "fleet/stats/fleet_stats_view.hpp"

namespace lampi::fleet {

FleetStats::Interval IntervalReader::take() {
  FleetStats::Interval merged;
  for (FleetStats* shard : shards_) {
    FleetStats::Interval one = shard->take_interval();
    merged.response.merge(one.response);
    merged.schedule_lag.merge(one.schedule_lag);
    for (auto& note : one.failure_notes) merged.failure_notes.push_back(std::move(note));
  }
  return merged;
}

}  // namespace lampi::fleet
