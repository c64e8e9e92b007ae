// Shards' statistics filled in by a test, and the view reporting reads of them: what the
// engine hands the progress meter, the summary and the metrics, without an engine.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "fleet/config/fleet_config.hpp"
#include "fleet/stats/fleet_stats_view.hpp"

namespace lampi::testing {

struct HandFilledFleet {
  explicit HandFilledFleet(std::size_t shard_count) {
    // FleetStats is large and immovable (atomics, a mutex): one heap object per shard.
    for (std::size_t i = 0; i < shard_count; ++i)
      shards.push_back(std::make_unique<fleet::FleetStats>());
  }

  fleet::FleetStats& shard(std::size_t i) { return *shards.at(i); }

  fleet::FleetStatsView view() const {
    std::vector<const fleet::FleetStats*> stats;
    for (const auto& s : shards) stats.push_back(s.get());
    return fleet::FleetStatsView(config, std::move(stats), generator_saturated);
  }

  fleet::IntervalReader interval_reader() {
    std::vector<fleet::FleetStats*> stats;
    for (const auto& s : shards) stats.push_back(s.get());
    return fleet::IntervalReader(std::move(stats));
  }

  // What a shard does once a second: hand this second's histograms to the mailbox.
  static void publish(fleet::FleetStats& st, std::initializer_list<std::int64_t> response_us,
                      std::initializer_list<std::int64_t> lag_us = {}) {
    fleet::FleetStats::Interval fresh;
    for (auto us : response_us) fresh.response.record(us);
    for (auto us : lag_us) fresh.schedule_lag.record(us);
    st.publish_interval(fresh);
  }

  fleet::FleetConfig config;
  std::vector<std::unique_ptr<fleet::FleetStats>> shards;
  std::atomic<bool> generator_saturated{false};
};

}  // namespace lampi::testing
