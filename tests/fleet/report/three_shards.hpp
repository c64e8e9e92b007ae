// The summary tests' fixture: three hand-filled shards with different traffic, and the
// samples they were given, for the tests to check against.
#pragma once

#include <cstdint>
#include <vector>

#include "fleet/stats/fleet_stats.hpp"
#include "tests/support/hand_filled_fleet.hpp"

namespace lampi::testing {

using fleet::bump;
using fleet::count_failure;

constexpr std::size_t topic_index(model::Topic t) {
  return model::index_of(t);
}

// Three shards with different traffic: latency on two topics, one QoS 0 topic with no
// PUBACKs, one topic only received, and counters that differ per shard.
struct ThreeShards {
  HandFilledFleet fleet{3};
  std::vector<std::int64_t> changed_us, associated_us, lag_us;

  ThreeShards() {
    fleet.config.lamps = 30;
    for (std::size_t k = 0; k < 3; ++k) {
      auto& st = fleet.shard(k);
      auto n = static_cast<std::uint64_t>(k + 1);
      bump(st.connect_attempts, 10 * n + 2);
      bump(st.connects, 10 * n);
      bump(st.reconnects, n);
      bump(st.disconnects[static_cast<std::size_t>(fleet::DisconnectReason::lost)], n);
      bump(st.disconnects[static_cast<std::size_t>(fleet::DisconnectReason::keepalive)],
           k == 2 ? 4 : 0);
      bump(st.set_config_invalid[static_cast<std::size_t>(model::InvalidClass::wrong_type)], n);
      bump(st.service_crashes, n);
      bump(st.service_restarts, n - 1);
      bump(st.bridge_queued, 100 * n);
      bump(st.bridge_dropped, n);
      bump(st.inflight_dropped, 2 * n);
      bump(st.timeouts, 3 * n);
      bump(st.late_acks, n);
      bump(st.unacked_at_end, 5 * n);
      bump(st.unacked_at_power_off, 7 * n);
      bump(st.unsent_at_stop, 11 * n);
      auto& changed = st.topics[topic_index(model::Topic::changed)];
      bump(changed.requests, 1000 * n);
      // n failures: every shard's first not sent, the rest timed out.
      count_failure(changed, fleet::FailureReason::not_sent);
      for (std::uint64_t i = 1; i < n; ++i) count_failure(changed, fleet::FailureReason::timeout);
      bump(changed.acked, 1000 * n - n);
      bump(st.topics[topic_index(model::Topic::state_lamp_service)].requests, 7 * n);
      bump(st.topics[topic_index(model::Topic::set_config)].received, 50 * n);
    }
    // Response times spread over three decades, dealt round the shards.
    for (std::int64_t i = 0; i < 3000; ++i) {
      std::int64_t us = 40 + (i * 7919) % 250'000;
      fleet.shard(static_cast<std::size_t>(i % 3))
          .latency[topic_index(model::Topic::changed)]
          .response.record(us);
      changed_us.push_back(us);
    }
    // One shard only answered on this topic.
    for (std::int64_t i = 0; i < 40; ++i) {
      std::int64_t us = 900'000 + i * 1000;
      fleet.shard(1).latency[topic_index(model::Topic::associated)].response.record(us);
      associated_us.push_back(us);
    }
    bump(fleet.shard(1).topics[topic_index(model::Topic::associated)].requests, 40);
    for (std::int64_t i = 0; i < 600; ++i) {
      std::int64_t us = (i * 131) % 20'000;
      fleet.shard(static_cast<std::size_t>(i % 3)).schedule_lag.record(us);
      lag_us.push_back(us);
    }
  }
};

}  // namespace lampi::testing
