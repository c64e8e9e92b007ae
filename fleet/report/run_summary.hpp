// The end-of-run numbers: a Locust-style table per topic (the JSON, summary_json.hpp, and
// the CSV files, locust_csv.hpp, say the same), and the verdict on who saturated first.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fleet/report/verdict.hpp"
#include "fleet/stats/build_info.hpp"
#include "fleet/stats/cloud_accounting.hpp"
#include "fleet/stats/fleet_stats_view.hpp"
#include "fleet/stats/process_memory.hpp"

namespace lampi::fleet {

struct TopicRow {
  std::string name;  // e.g. "devices/+/lamp/changed"
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
  std::uint64_t received = 0;
  bool has_latency = false;  // QoS 0 topics have no PUBACK
  double median_ms = 0, average_ms = 0, min_ms = 0, max_ms = 0, p95_ms = 0, p99_ms = 0;
  double rate_per_s = 0;
  std::array<std::uint64_t, kFailureReasonCount> failures_by_reason{};  // adds up to failures
  LatencyHistogram latency{};  // the response times the numbers above are read from
};

// Failed publishes over publishes, but those a fault of the fleet's own caused (a stall);
// 0 with none.
double failure_ratio(const TopicRow& r);

// One service-level objective from the config's `slo:` section, judged at the end.
struct SloResult {
  std::string name;       // e.g. "p95_response_time"
  std::string threshold;  // e.g. "<= 200 ms"
  std::string actual;     // e.g. "143.2 ms"
  bool passed = true;
};

// How the run ended, as the run loop saw it.
struct RunEnd {
  // Wall-clock time, read by the caller: nothing here reads a clock, so the same run
  // renders the same bytes.
  std::chrono::system_clock::time_point started_at{}, ended_at{};
  double seconds = 0;          // actual
  double planned_seconds = 0;  // 0: until stopped
  bool interrupted = false;    // a signal before the planned duration
  std::uint64_t bridged_peak = 0;
  // From the last progress sample before the stop (0 hatched: not judged).
  std::uint64_t bridged_at_end = 0;
  std::uint64_t hatched_at_end = 0;
  bool local_broker = false;     // no broker.url: lampi-fleet started a mosquitto of its own
  BrokerEvents broker_events{};  // find_broker_events() over the run's timeline
  MemoryFigures memory{};        // read by the run loop
};

// One of the summaries a merged one adds up (lampi-fleet merge).
struct MergedShard {
  std::size_t index = 0;  // shard.index
  std::string source;     // the file it was read from
  VerdictCode verdict = VerdictCode::ok;
  std::chrono::system_clock::time_point started_at{}, ended_at{};
};

struct RunSummary {
  BuildInfo build;     // which lampi-fleet measured it
  FleetConfig config;  // the settings the run used (broker.url: the local mosquitto's, if so)
  bool local_broker = false;
  std::chrono::system_clock::time_point started_at{}, ended_at{};
  double seconds = 0;
  double planned_seconds = 0;
  bool interrupted = false;
  std::size_t lamps = 0;
  std::uint64_t lamps_bridged_peak = 0;
  std::uint64_t lamps_bridged_at_end = 0, lamps_hatched_at_end = 0;
  std::uint64_t connect_attempts = 0, connects = 0, reconnects = 0;
  std::uint64_t lamps_flapping = 0;                                // see FleetStats::lamps_flapping
  std::vector<std::pair<std::string, std::uint64_t>> disconnects;  // by reason
  std::vector<std::pair<std::string, std::uint64_t>> set_config_invalid;  // by class
  std::uint64_t service_crashes = 0, service_restarts = 0;
  // The fleet's own faults (config `faults`): the churn's power cycles, and each event with
  // the lamps it hit and how long until the fleet was whole again.
  std::uint64_t lamps_cycled = 0;
  std::vector<FaultResult> faults;
  MemoryFigures memory;  // this process's RSS (a merge: every shard's added up)
  std::uint64_t bridge_queued = 0, bridge_dropped = 0, inflight_dropped = 0, timeouts = 0;
  // Nothing lost without a count: PUBACKs after the timeout (their times are in the
  // percentiles), publishes never acknowledged by the end (failures) or when their own lamp
  // powered off (not failures), and messages the bridges still held when the stop began.
  std::uint64_t late_acks = 0, unacked_at_end = 0, unacked_at_power_off = 0, unsent_at_stop = 0;
  double schedule_lag_p50_ms = 0, schedule_lag_p99_ms = 0, schedule_lag_max_ms = 0;
  // The same, split at the end of the ramp-up (kRampSettleSeconds after the last lamp
  // powered on): the generator is judged on the steady state when the run reached one.
  double ramp_seconds = 0;
  double ramp_lag_p99_ms = 0, steady_lag_p99_ms = 0;
  bool reached_steady_state = false;
  std::vector<TopicRow> rows;    // topics with traffic, in topic order
  TopicRow total{"Aggregated"};  // every topic's together; rendered last, as Locust does
  Verdict verdict;
  BrokerEvents broker_events;
  std::vector<SloResult> slos;  // empty when the config sets none
  // Settings that weaken what the run proves, said wherever the verdict is (e.g. TLS
  // without certificate verification).
  std::vector<std::string> warnings;
  bool slos_passed = true;
  // With a cloud stand-in (cloud.mode): both sides of every lamp, compared at the end.
  std::optional<CloudAccounting> cloud;
  // Empty for a run; for a merge, the shards it adds up, by index.
  std::vector<MergedShard> merged_from;

  bool generator_saturated() const { return verdict.code == VerdictCode::generator_saturated; }
  bool broker_saturated() const { return verdict.code == VerdictCode::broker_saturated; }
  int exit_code() const { return exit_code_for(verdict.code, slos_passed); }
};

// What the config does that a reader of the results must know; also logged at start.
std::vector<std::string> config_warnings(const FleetConfig& config);

// Reads the shards' totals; call after they have finished.
RunSummary summarize(const FleetStatsView& fleet, const RunEnd& end);
// A row's figures (median, p95, ...) read off its histogram, which the row keeps.
void set_latency(TopicRow& row, const LatencyHistogram& h);
// The verdict on the numbers already in `s`: summarize() and merge_summaries() both end so.
Verdict judge_run(const RunSummary& s);
// Judges the config's SLOs against the run; an invalid run (generator saturated)
// fails them all, since it measured the generator.
void judge_slos(RunSummary& s, const SloConfig& slo);
std::string render_table(const RunSummary& s);

}  // namespace lampi::fleet
