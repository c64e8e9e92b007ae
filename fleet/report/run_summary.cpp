#include "fleet/report/run_summary.hpp"

#include "fleet/report/cloud_report.hpp"

#include <fmt/format.h>

namespace lampi::fleet {

namespace {

double ms(std::int64_t us) {
  return static_cast<double>(us) / 1000.0;
}

double mib(std::uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

}  // namespace

void set_latency(TopicRow& row, const LatencyHistogram& h) {
  row.has_latency = h.count() > 0;
  row.median_ms = ms(h.percentile(0.50));
  row.average_ms = h.mean() / 1000.0;
  row.min_ms = ms(h.min());
  row.max_ms = ms(h.max());
  row.p95_ms = ms(h.percentile(0.95));
  row.p99_ms = ms(h.percentile(0.99));
  row.latency = h;
}

namespace {

// "lost x5, refused x2": the disconnects of a run whose lamps did not bridge.
// `disconnects` holds every reason in DisconnectReason's order.
std::string failure_counts(const RunSummary& s) {
  std::string out;
  for (std::size_t i = 0; i < s.disconnects.size(); ++i) {
    const auto& [reason, n] = s.disconnects[i];
    if (n > 0 && is_failure(static_cast<DisconnectReason>(i)))
      out += fmt::format("{}{} x{}", out.empty() ? "" : ", ", reason, n);
  }
  return out;
}

}  // namespace

double failure_ratio(const TopicRow& r) {
  // A publish that failed while the fleet itself held its lamp's socket is not the broker's.
  const auto judged =
      r.failures - r.failures_by_reason[static_cast<std::size_t>(FailureReason::fleet_fault)];
  return r.requests ? static_cast<double>(judged) / static_cast<double>(r.requests) : 0.0;
}

std::vector<std::string> config_warnings(const FleetConfig& config) {
  std::vector<std::string> out;
  if (config.broker && config.broker->tls && !config.tls.verify)
    out.push_back(
        "TLS certificate verification was off (broker.tls.verify: false): the lamps did not "
        "check the broker's certificate or host name as real lamps do.");
  return out;
}

RunSummary summarize(const FleetStatsView& fleet, const RunEnd& end) {
  const double seconds = end.seconds;
  const std::uint64_t bridged_peak = end.bridged_peak;
  RunSummary s;
  s.config = fleet.config();
  s.warnings = config_warnings(s.config);
  s.local_broker = end.local_broker;
  s.memory = end.memory;
  s.started_at = end.started_at;
  s.ended_at = end.ended_at;
  s.seconds = seconds;
  s.planned_seconds = end.planned_seconds;
  s.interrupted = end.interrupted;
  s.lamps_bridged_at_end = end.bridged_at_end;
  s.lamps_hatched_at_end = end.hatched_at_end;
  s.lamps = shard_slice(fleet.config()).count;
  s.lamps_bridged_peak = bridged_peak;
  std::array<TopicRow, model::kTopicCount> rows{};
  std::array<LatencyHistogram, model::kTopicCount> latency{};
  LatencyHistogram lag, ramp_lag, steady_lag, all;
  std::int64_t steady_from_us = 0;
  std::array<std::uint64_t, kDisconnectReasonCount> disconnects{};
  std::array<std::uint64_t, model::kInvalidClassCount> invalid{};
  for (const FleetStats* shard : fleet.shards()) {
    const FleetStats& st = *shard;
    s.connect_attempts += read(st.connect_attempts);
    s.connects += read(st.connects);
    s.reconnects += read(st.reconnects);
    s.lamps_flapping += read(st.lamps_flapping);
    for (std::size_t i = 0; i < kDisconnectReasonCount; ++i)
      disconnects[i] += read(st.disconnects[i]);
    for (std::size_t i = 0; i < model::kInvalidClassCount; ++i)
      invalid[i] += read(st.set_config_invalid[i]);
    s.service_crashes += read(st.service_crashes);
    s.service_restarts += read(st.service_restarts);
    s.lamps_cycled += read(st.lamps_cycled);
    s.bridge_queued += read(st.bridge_queued);
    s.bridge_dropped += read(st.bridge_dropped);
    s.inflight_dropped += read(st.inflight_dropped);
    s.timeouts += read(st.timeouts);
    s.late_acks += read(st.late_acks);
    s.unacked_at_end += read(st.unacked_at_end);
    s.unacked_at_power_off += read(st.unacked_at_power_off);
    s.unsent_at_stop += read(st.unsent_at_stop);
    lag.merge(st.schedule_lag);
    ramp_lag.merge(st.schedule_lag_ramp);
    steady_lag.merge(st.schedule_lag_steady);
    steady_from_us = std::max(steady_from_us, st.steady_from_us);
    for (std::size_t t = 0; t < model::kTopicCount; ++t) {
      rows[t].requests += read(st.topics[t].requests);
      rows[t].failures += read(st.topics[t].failures);
      for (std::size_t r = 0; r < kFailureReasonCount; ++r)
        rows[t].failures_by_reason[r] += read(st.topics[t].failures_by_reason[r]);
      rows[t].received += read(st.topics[t].received);
      latency[t].merge(st.latency[t].response);
    }
  }
  for (std::size_t i = 0; i < kDisconnectReasonCount; ++i)
    s.disconnects.emplace_back(disconnect_reason_name(static_cast<DisconnectReason>(i)),
                               disconnects[i]);
  for (std::size_t i = 0; i < model::kInvalidClassCount; ++i)
    s.set_config_invalid.emplace_back(invalid_class_name(static_cast<model::InvalidClass>(i)),
                                      invalid[i]);

  TopicRow& total = s.total;
  for (std::size_t t = 0; t < model::kTopicCount; ++t) {
    auto& row = rows[t];
    if (row.requests == 0 && row.received == 0) continue;
    row.name = topic_pattern(static_cast<model::Topic>(t));
    set_latency(row, latency[t]);
    row.rate_per_s = seconds > 0 ? static_cast<double>(row.requests) / seconds : 0;
    total.requests += row.requests;
    total.failures += row.failures;
    for (std::size_t r = 0; r < kFailureReasonCount; ++r)
      total.failures_by_reason[r] += row.failures_by_reason[r];
    total.received += row.received;
    all.merge(latency[t]);
    s.rows.push_back(row);
  }
  set_latency(total, all);
  total.rate_per_s = seconds > 0 ? static_cast<double>(total.requests) / seconds : 0;

  s.schedule_lag_p50_ms = ms(lag.percentile(0.5));
  s.schedule_lag_p99_ms = ms(lag.percentile(0.99));
  s.schedule_lag_max_ms = ms(lag.max());
  s.ramp_seconds = static_cast<double>(steady_from_us) / 1e6;
  s.ramp_lag_p99_ms = ms(ramp_lag.percentile(0.99));
  s.steady_lag_p99_ms = ms(steady_lag.percentile(0.99));
  s.reached_steady_state = steady_lag.count() > 0;
  s.broker_events = end.broker_events;
  s.verdict = judge_run(s);
  return s;
}

Verdict judge_run(const RunSummary& s) {
  return verdict_for(
      {.schedule_lag_p99_ms = s.reached_steady_state ? s.steady_lag_p99_ms : s.schedule_lag_p99_ms,
       .ramp_lag_p99_ms = s.reached_steady_state ? s.ramp_lag_p99_ms : 0.0,
       .ramp_seconds = s.ramp_seconds,
       .p95_response_ms = s.total.p95_ms,
       .failure_ratio = failure_ratio(s.total),
       .response_timeout_ms = s.config.response_timeout.count() * 1000.0,
       .lamps_hatched = s.lamps_hatched_at_end,
       .lamps_bridged = s.lamps_bridged_at_end,
       .lamps_bridged_peak = s.lamps_bridged_peak,
       .min_bridged_ratio = s.config.slo.min_bridged_ratio.value_or(kDefaultMinBridgedRatio),
       .connect_failures = failure_counts(s),
       .interrupted = s.interrupted,
       .seconds = s.seconds,
       .planned_seconds = s.planned_seconds,
       .broker_events = s.broker_events,
       .lamps_flapping = s.lamps_flapping,
       .cloud_failure = s.cloud ? accounting_failure(*s.cloud) : std::string()});
}

void judge_slos(RunSummary& s, const SloConfig& slo) {
  const TopicRow& total = s.total;
  auto add = [&](std::string name, std::string threshold, std::string actual, bool ok) {
    ok = ok && !s.generator_saturated();
    s.slos.push_back({std::move(name), std::move(threshold), std::move(actual), ok});
    s.slos_passed = s.slos_passed && ok;
  };
  if (slo.p95_response_seconds) {
    double limit_ms = *slo.p95_response_seconds * 1000.0;
    add("p95_response_time", fmt::format("<= {:.1f} ms", limit_ms),
        fmt::format("{:.1f} ms", total.p95_ms), total.has_latency && total.p95_ms <= limit_ms);
  }
  if (slo.max_failure_ratio) {
    double ratio = failure_ratio(total);
    add("max_failure_ratio", fmt::format("<= {:.4f}", *slo.max_failure_ratio),
        fmt::format("{:.4f}", ratio), ratio <= *slo.max_failure_ratio);
  }
  if (slo.min_bridged_ratio) {
    double ratio =
        s.lamps ? static_cast<double>(s.lamps_bridged_at_end) / static_cast<double>(s.lamps) : 0.0;
    add("min_bridged_ratio", fmt::format(">= {:.4f}", *slo.min_bridged_ratio),
        fmt::format("{:.4f}", ratio), ratio >= *slo.min_bridged_ratio);
  }
}

std::string render_table(const RunSummary& s) {
  std::string out;
  out += fmt::format("{:<52} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}\n", "Topic",
                     "# reqs", "# fails", "Median", "Average", "Min", "Max", "p95", "p99", "req/s");
  out += std::string(138, '-') + '\n';
  auto row = [&](const TopicRow& r) {
    if (r.has_latency)
      out += fmt::format(
          "{:<52} {:>9} {:>9} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f} {:>9.1f}\n",
          r.name, r.requests, r.failures, r.median_ms, r.average_ms, r.min_ms, r.max_ms, r.p95_ms,
          r.p99_ms, r.rate_per_s);
    else
      out +=
          fmt::format("{:<52} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9.1f}\n", r.name,
                      r.requests, r.failures, "-", "-", "-", "-", "-", "-", r.rate_per_s);
  };
  for (const auto& r : s.rows) row(r);
  out += std::string(138, '-') + '\n';
  row(s.total);
  out += fmt::format(
      "(response times in ms, from each message's scheduled send time to its PUBACK)\n\n");
  const ShardConfig& shard = s.config.shard;
  if (!s.merged_from.empty())
    out += fmt::format(
        "Merged: {} shards of a {}-lamp fleet, added up; schedule lag is the worst "
        "shard's, the peak the sum of the shards' peaks\n",
        s.merged_from.size(), s.config.lamps);
  else if (shard.count > 1)
    out += fmt::format(
        "Shard {} of {}: {} of the fleet's {} lamps (lampi-fleet merge adds the "
        "shards up)\n",
        shard.index.value_or(0), shard.count, s.lamps, s.config.lamps);
  out += fmt::format(
      "Lamps: {} configured, {} bridged at peak, {} of {} powered on bridged at the end | "
      "connects {} of {} attempts, {} reconnects\n",
      s.lamps, s.lamps_bridged_peak, s.lamps_bridged_at_end, s.lamps_hatched_at_end, s.connects,
      s.connect_attempts, s.reconnects);
  // Sixteen reasons, most of them zero in any one run: the table names only what happened
  // (the JSON and the report keep every reason).
  out += "Disconnects:";
  bool any_disconnect = false;
  for (const auto& [k, v] : s.disconnects) {
    if (v == 0) continue;
    out += fmt::format(" {} {}", k, v);
    any_disconnect = true;
  }
  if (!any_disconnect) out += " none";
  out += "\nInvalid set_config:";
  for (const auto& [k, v] : s.set_config_invalid) out += fmt::format(" {} {}", k, v);
  out += fmt::format(
      "\nService crashes {} (restarts {}) | bridge queued {}, dropped {}, unsent at the stop {} | "
      "in-flight cap drops {}\n",
      s.service_crashes, s.service_restarts, s.bridge_queued, s.bridge_dropped, s.unsent_at_stop,
      s.inflight_dropped);
  out += fmt::format(
      "PUBACKs: timeouts {} (of them {} acknowledged late) | never acknowledged: {} by the end, "
      "{} at their lamp's power-off\n",
      s.timeouts, s.late_acks, s.unacked_at_end, s.unacked_at_power_off);
  out += fmt::format("Schedule lag: p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms",
                     s.schedule_lag_p50_ms, s.schedule_lag_p99_ms, s.schedule_lag_max_ms);
  if (s.reached_steady_state)
    out += fmt::format(" | p99 in the ramp-up (first {:.0f} s) {:.2f} ms, after it {:.2f} ms",
                       s.ramp_seconds, s.ramp_lag_p99_ms, s.steady_lag_p99_ms);
  out += "\n";
  if (s.memory.rss_at_end > 0) {
    out += fmt::format("Memory: RSS {:.1f} MiB at the end", mib(s.memory.rss_at_end));
    if (s.memory.rss_after_ramp > 0)
      out += fmt::format(", {:.1f} MiB after the ramp-up ({:.0f} s in): {:+.1f}%",
                         mib(s.memory.rss_after_ramp), s.memory.after_ramp_s,
                         s.memory.growth_percent());
    if (s.lamps > 0)
      out += fmt::format(" | {:.1f} KiB per lamp", static_cast<double>(s.memory.rss_at_end) /
                                                       1024.0 / static_cast<double>(s.lamps));
    out += "\n";
  }
  if (s.lamps_cycled > 0 || !s.faults.empty()) {
    out += fmt::format(
        "Faults: {} power cycles (churn), {} publishes they delayed (failures as fleet_fault, not "
        "judged)",
        s.lamps_cycled,
        s.total.failures_by_reason[static_cast<std::size_t>(FailureReason::fleet_fault)]);
    for (const auto& f : s.faults)
      out += fmt::format(" | {} at {:.0f} s: {} lamps, {}", fault_kind_name(f.event.kind),
                         f.event.at.count(), f.lamps,
                         f.recovered_after_s
                             ? fmt::format("whole again after {:.0f} s", *f.recovered_after_s)
                             : std::string("not whole again by the end"));
    out += "\n";
  }
  if (s.cloud) out += cloud_table_lines(*s.cloud);
  for (const auto& w : s.warnings) out += fmt::format("Warning: {}\n", w);
  out += fmt::format("Verdict: {}\n", verdict_text(s.verdict));
  for (const auto& slo : s.slos)
    out += fmt::format("SLO {}: {} (wanted {}) {}\n", slo.name, slo.actual, slo.threshold,
                       slo.passed ? "PASS" : "FAIL");
  return out;
}

}  // namespace lampi::fleet
