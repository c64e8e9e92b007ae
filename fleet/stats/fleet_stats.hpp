// What one shard counts while it runs. Each shard is the only writer of its own
// FleetStats; other threads read the atomics (relaxed) for progress and metrics, and
// take histogram snapshots through a once-a-second mailbox, never per message.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "firmware_model/effects.hpp"
#include "firmware_model/topic.hpp"
#include "fleet/stats/latency_histogram.hpp"

namespace lampi::fleet {

enum class LampPhase : std::uint8_t { off, booting, connecting, bridged, backing_off, stopped };
inline constexpr std::size_t kPhaseCount = 6;
const char* phase_name(LampPhase p);

// The tls_* reasons: a TLS connection that failed, by what OpenSSL saw (see
// fleet/engine/tls_context.hpp). Other TLS ends count as lost, or keepalive for a
// handshake that stalled.
enum class DisconnectReason : std::uint8_t {
  refused,
  lost,
  keepalive,
  power_off,
  tls_verify_failed,
  tls_host_mismatch,
  tls_alert,
  tls_bad_client_cert,
};
inline constexpr std::size_t kDisconnectReasonCount = 8;
const char* disconnect_reason_name(DisconnectReason r);

const char* invalid_class_name(model::InvalidClass c);
// A remote topic with the device id as "+": "devices/+/lamp/changed". The label and
// table name of a topic's traffic; never a per-lamp value.
std::string topic_pattern(model::Topic t);

using Counter = std::atomic<std::uint64_t>;

inline void bump(Counter& c, std::uint64_t n = 1) {
  // Single writer: a relaxed load/store pair is enough and avoids a locked add.
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
inline std::uint64_t read(const Counter& c) {
  return c.load(std::memory_order_relaxed);
}

// Why a publish failed: no PUBACK within the response timeout (or one that came later),
// dropped over the lamp's in-flight bound, or not sent because the connection was down.
enum class FailureReason : std::uint8_t { timeout, inflight_cap, not_sent };
inline constexpr std::size_t kFailureReasonCount = 3;
const char* failure_reason_name(FailureReason r);

struct TopicCounters {
  Counter requests{0};  // publishes handed to the connection
  Counter failures{0};  // refused, timed out or lost before PUBACK: failures_by_reason summed
  std::array<Counter, kFailureReasonCount> failures_by_reason{};
  Counter acked{0};
  Counter received{0};  // messages from the cloud on this topic
};

// One failed publish, counted under its reason too.
inline void count_failure(TopicCounters& t, FailureReason why) {
  bump(t.failures);
  bump(t.failures_by_reason[static_cast<std::size_t>(why)]);
}

// Prometheus buckets, cumulative since the start, readable from any thread.
inline constexpr std::array<double, 16> kBucketBounds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};

struct BucketHistogram {
  std::array<Counter, kBucketBounds.size() + 1> buckets{};  // the last one is +Inf
  Counter count{0};
  Counter sum_us{0};
  void record(std::int64_t micros);
};

struct TopicLatency {
  LatencyHistogram response;  // scheduled send -> PUBACK, for QoS > 0
  BucketHistogram exported;   // the same, in Prometheus buckets
};

struct FleetStats {
  std::array<std::atomic<std::int64_t>, kPhaseCount> lamps_by_phase{};
  Counter connect_attempts{0};
  Counter connects{0};
  Counter reconnects{0};
  std::array<Counter, kDisconnectReasonCount> disconnects{};
  std::array<TopicCounters, model::kTopicCount> topics{};
  Counter timeouts{0};
  Counter inflight_dropped{0};  // over the per-lamp in-flight bound
  std::array<Counter, model::kInvalidClassCount> set_config_invalid{};
  Counter service_crashes{0};
  Counter service_restarts{0};
  Counter bridge_queued{0};
  Counter bridge_dropped{0};
  std::atomic<std::int64_t> bridge_queue_depth{0};
  std::atomic<std::int64_t> inflight{0};
  std::atomic<std::int64_t> loop_lag_us{0};    // last measured event-loop lag
  std::atomic<std::int64_t> worker_cpu_us{0};  // the shard thread's CPU time
  BucketHistogram command_round_trip;          // cloud set_config -> lamp/changed PUBACK
  BucketHistogram bridge_up;                   // connect requested -> CONNACK
  BucketHistogram schedule_lag_exported;

  // Owned by the shard thread: totals over the whole run.
  std::array<TopicLatency, model::kTopicCount> latency{};
  LatencyHistogram schedule_lag;

  // Filled by the shard once a second, emptied by the one IntervalReader
  // (fleet_stats_view.hpp), so no other reader can steal its seconds.
  struct Interval {
    LatencyHistogram response;
    LatencyHistogram schedule_lag;
  };
  void publish_interval(Interval& fresh);

  void move_phase(LampPhase from, LampPhase to) {
    lamps_by_phase[static_cast<std::size_t>(from)].fetch_sub(1, std::memory_order_relaxed);
    lamps_by_phase[static_cast<std::size_t>(to)].fetch_add(1, std::memory_order_relaxed);
  }

 private:
  friend class IntervalReader;
  Interval take_interval();

  std::mutex mailbox_mutex_;
  Interval mailbox_;
};

}  // namespace lampi::fleet
