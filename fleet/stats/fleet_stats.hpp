// What one shard counts while it runs. Each shard is the only writer of its own
// FleetStats; other threads read the atomics (relaxed) for progress and metrics, and
// take histogram snapshots through a once-a-second mailbox, never per message.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "firmware_model/effects.hpp"
#include "firmware_model/topic.hpp"
#include "fleet/config/fleet_config.hpp"
#include "fleet/stats/latency_histogram.hpp"

namespace lampi::fleet {

enum class LampPhase : std::uint8_t { off, booting, connecting, bridged, backing_off, stopped };
inline constexpr std::size_t kPhaseCount = 6;
const char* phase_name(LampPhase p);

// Why a bridge connection ended, or never began: a bounded set (the `reason` label).
// Connect failures first, by what the socket, the CONNACK or OpenSSL said (see
// fleet/engine/link_end.hpp); then the ends of connections that had bridged.
enum class DisconnectReason : std::uint8_t {
  connection_refused,   // TCP: nothing listening (RST to the SYN)
  unreachable,          // TCP: no route, host or network unreachable
  connect_timeout,      // no CONNACK (or TCP/TLS never finished) within a keepalive
  not_authorized,       // CONNACK 5 / 0x87, 0x8A banned
  bad_credentials,      // CONNACK 4 / 0x86
  identifier_rejected,  // CONNACK 2 / 0x85
  server_unavailable,   // CONNACK 3 / 0x88, 0x89 busy, 0x97 quota, 0x9F rate
  protocol_rejected,    // CONNACK 1 / 0x81, 0x82, 0x84
  connack_refused,      // any other CONNACK refusal
  tls_verify_failed,    // the tls_* reasons: docs/fidelity.md
  tls_host_mismatch,
  tls_alert,
  tls_bad_client_cert,
  session_taken_over,  // MQTT 5 DISCONNECT 0x8E: another client connected with the same id
  lost,                // a connection that ended without a reason above
  keepalive,           // a bridged connection that went silent for 1.5 keepalives
  injected,            // the fleet's own fault injection closed it (faults.events)
  power_off,           // the lamp powered off: not a failure
};
inline constexpr std::size_t kDisconnectReasonCount = 18;
const char* disconnect_reason_name(DisconnectReason r);
// Every reason but a lamp's own power-off or the fleet's own faults: what the log tells and
// the verdict quotes.
constexpr bool is_failure(DisconnectReason r) {
  return r != DisconnectReason::power_off && r != DisconnectReason::injected;
}

const char* invalid_class_name(model::InvalidClass c);
// A remote topic with the device id as "+": "devices/+/lamp/changed". The label and
// table name of a topic's traffic; never a per-lamp value.
std::string topic_pattern(model::Topic t);

// One failed or lost connection told in words: which lamp, why, and what the library
// or the kernel said. Shards keep only the first few of each reason.
struct FailureNote {
  DisconnectReason reason;
  std::string lamp;    // the device id
  std::string detail;  // e.g. "Connection refused", "Connection Refused: not authorised."
};

// Enough to see each reason's lamps and words in the log; the counters carry the rest.
inline constexpr std::uint64_t kFailureNotesPerReason = 3;

// The ramp-up lasts until a shard's last lamp has powered on, and this long after, for it to
// bridge and boot. Its burst of connects and boot messages may saturate the generator or the
// broker for a while; that is shown, but a soak's validity is judged on the steady state.
inline constexpr std::int64_t kRampSettleSeconds = 10;

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
// `unacknowledged`: still without PUBACK when the run ended, its timeout not yet passed.
// `fleet_fault`: late because of the fleet's own faults (faults.events): a socket it held
// unread, or a bridge queue that waited while an injected kill kept the lamp offline.
// Counted, but the broker is not judged on it.
enum class FailureReason : std::uint8_t {
  timeout,
  inflight_cap,
  not_sent,
  unacknowledged,
  fleet_fault
};
inline constexpr std::size_t kFailureReasonCount = 5;
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

// The cloud stand-in's (fleet/cloud), written by its thread, read by metrics at a scrape.
struct CloudCounters {
  Counter messages{0};  // every message from the broker
  Counter commands_sent{0};
  Counter commands_answered{0};
  Counter associations_started{0};
  Counter associations_completed{0};
  Counter disconnects{0};
  BucketHistogram round_trip;  // web set_config published -> its lamp/changed at the cloud
  BucketHistogram will_delay;  // a lamp's connection closed without DISCONNECT -> its will
};

struct FleetStats {
  std::array<std::atomic<std::int64_t>, kPhaseCount> lamps_by_phase{};
  Counter connect_attempts{0};
  Counter connects{0};
  Counter reconnects{0};
  // Lamps whose bridged connection the broker took away again and again while it let them
  // straight back in, or told them (MQTT 5) another client took their session: the mark
  // of a second fleet or device using the same ids. Each lamp counted once.
  Counter lamps_flapping{0};
  std::array<Counter, kDisconnectReasonCount> disconnects{};
  std::array<TopicCounters, model::kTopicCount> topics{};
  Counter timeouts{0};        // publishes past the response timeout (failures)
  Counter late_acks{0};       // PUBACKs for those, their times in the percentiles all the same
  Counter unacked_at_end{0};  // publishes still without PUBACK when the shard stopped
  Counter unacked_at_power_off{0};  // in flight when their own lamp closed the connection
  Counter unsent_at_stop{0};        // messages in the lamps' bridge queues when the stop began
  Counter inflight_dropped{0};      // over the per-lamp in-flight bound
  std::array<Counter, model::kInvalidClassCount> set_config_invalid{};
  Counter service_crashes{0};
  Counter service_restarts{0};
  Counter lamps_cycled{0};  // power cycles of faults.churn_per_hour
  // PUBACKs of publishes the fleet's own faults delayed: their times are kept out of the
  // response-time percentiles, which judge the broker.
  Counter fault_delayed{0};
  std::array<Counter, kMaxFaultEvents> fault_lamps{};  // lamps each faults.events[i] hit
  Counter bridge_queued{0};
  Counter bridge_dropped{0};
  std::atomic<std::int64_t> bridge_queue_depth{0};
  std::atomic<std::int64_t> inflight{0};
  std::atomic<std::int64_t> loop_lag_us{0};    // last measured event-loop lag
  std::atomic<std::int64_t> worker_cpu_us{0};  // the shard thread's CPU time
  Counter socket_wakeups{0};                   // times a link's socket readiness woke the shard
  BucketHistogram command_round_trip;          // cloud set_config -> lamp/changed PUBACK
  BucketHistogram bridge_up;                   // connect requested -> CONNACK
  BucketHistogram schedule_lag_exported;

  // Owned by the shard thread: totals over the whole run.
  std::array<TopicLatency, model::kTopicCount> latency{};
  LatencyHistogram schedule_lag;
  // The same samples split at steady_from_us: the ramp-up's, then the steady state's.
  LatencyHistogram schedule_lag_ramp;
  LatencyHistogram schedule_lag_steady;
  std::int64_t steady_from_us = 0;  // since the run's start; set before the thread starts

  // Filled by the shard once a second, emptied by the one IntervalReader
  // (fleet_stats_view.hpp), so no other reader can steal its seconds.
  struct Interval {
    LatencyHistogram response;
    LatencyHistogram schedule_lag;
    std::vector<FailureNote> failure_notes;  // a few per reason per shard, for the log
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
