#include "fleet/report/summary_json.hpp"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

#include "fleet/config/effective_config.hpp"
#include "fleet/report/cloud_report.hpp"

namespace lampi::fleet {

namespace {

using Json = nlohmann::ordered_json;

// dump(2) gives each number of a bucket's [upper_us, count] a line of its own; put each pair
// on one line instead. A JSON string holds no raw line break, so only arrays match.
std::string pairs_on_one_line(const std::string& text) {
  auto skip_spaces = [&](std::size_t i) {
    while (i < text.size() && text[i] == ' ') ++i;
    return i;
  };
  auto number_at = [&](std::size_t i) {
    std::size_t end = i + (i < text.size() && text[i] == '-' ? 1 : 0);
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    return end;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "[\n") == 0) {
      std::size_t a = skip_spaces(i + 2), a_end = number_at(a);
      if (a_end > a && text.compare(a_end, 2, ",\n") == 0) {
        std::size_t b = skip_spaces(a_end + 2), b_end = number_at(b);
        std::size_t close = b_end < text.size() && text[b_end] == '\n' ? skip_spaces(b_end + 1) : 0;
        if (b_end > b && close > 0 && close < text.size() && text[close] == ']') {
          out += "[" + text.substr(a, a_end - a) + ", " + text.substr(b, b_end - b) + "]";
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

Json topic_json(const TopicRow& r) {
  Json reasons = Json::object();
  for (std::size_t i = 0; i < kFailureReasonCount; ++i)
    reasons[failure_reason_name(static_cast<FailureReason>(i))] = r.failures_by_reason[i];
  Json row = {{"name", r.name},         {"requests", r.requests},
              {"failures", r.failures}, {"failures_by_reason", std::move(reasons)},
              {"received", r.received}, {"rate_per_s", r.rate_per_s}};
  if (r.has_latency)
    row["response_ms"] = {{"median", r.median_ms}, {"average", r.average_ms}, {"min", r.min_ms},
                          {"max", r.max_ms},       {"p95", r.p95_ms},         {"p99", r.p99_ms}};
  row["latency_histogram"] = histogram_json(r.latency);
  return row;
}

}  // namespace

std::string utc_timestamp(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto whole = floor<seconds>(t);
  auto millis = duration_cast<milliseconds>(floor<milliseconds>(t) - whole).count();
  std::time_t seconds_since_epoch = system_clock::to_time_t(whole);
  std::tm tm{};
  gmtime_r(&seconds_since_epoch, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

Json histogram_json(const LatencyHistogram& h) {
  Json buckets = Json::array();
  for (const auto& b : h.nonempty_buckets()) buckets.push_back(Json::array({b.upper_us, b.count}));
  return {{"count", h.count()},
          {"sum_us", h.sum()},
          {"min_us", h.min()},
          {"max_us", h.max()},
          {"buckets", std::move(buckets)}};
}

std::string render_json(const RunSummary& s) {
  Json j;
  j["lampi_fleet"] = {{"version", s.build.version},
                      {"revision", s.build.revision},
                      {"build_type", s.build.build_type}};
  j["started_at"] = utc_timestamp(s.started_at);
  j["ended_at"] = utc_timestamp(s.ended_at);
  j["seconds"] = s.seconds;
  j["planned_seconds"] = s.planned_seconds;
  j["aborted"] = s.interrupted;
  j["lamps"] = s.lamps;
  j["lamps_bridged_peak"] = s.lamps_bridged_peak;
  j["lamps_bridged_at_end"] = s.lamps_bridged_at_end;
  j["lamps_hatched_at_end"] = s.lamps_hatched_at_end;
  j["connect_attempts"] = s.connect_attempts;
  j["connects"] = s.connects;
  j["reconnects"] = s.reconnects;
  j["disconnects"] = Json::object();
  for (const auto& [k, v] : s.disconnects) j["disconnects"][k] = v;
  j["set_config_invalid"] = Json::object();
  for (const auto& [k, v] : s.set_config_invalid) j["set_config_invalid"][k] = v;
  j["service_crashes"] = s.service_crashes;
  j["service_restarts"] = s.service_restarts;
  j["lamps_cycled"] = s.lamps_cycled;
  j["memory"] = {{"rss_after_ramp_bytes", s.memory.rss_after_ramp},
                 {"after_ramp_s", s.memory.after_ramp_s},
                 {"rss_end_bytes", s.memory.rss_at_end},
                 {"growth_percent", s.memory.growth_percent()}};
  auto& faults = j["faults"] = Json::array();
  for (const auto& f : s.faults)
    faults.push_back(
        {{"at_s", f.event.at.count()},
         {"kind", fault_kind_name(f.event.kind)},
         {"share", f.event.kind == FaultKind::storm ? 1.0 : f.event.share},
         {"lasting_s", f.event.kind == FaultKind::stall || f.event.kind == FaultKind::restart
                           ? Json(f.event.lasting.count())
                           : Json(nullptr)},
         {"lamps", f.lamps},
         {"recovered_after_s", f.recovered_after_s ? Json(*f.recovered_after_s) : Json(nullptr)}});
  j["bridge_queued"] = s.bridge_queued;
  j["bridge_dropped"] = s.bridge_dropped;
  j["inflight_dropped"] = s.inflight_dropped;
  j["timeouts"] = s.timeouts;
  j["lamps_flapping"] = s.lamps_flapping;
  j["late_acks"] = s.late_acks;
  j["unacked_at_end"] = s.unacked_at_end;
  j["unacked_at_power_off"] = s.unacked_at_power_off;
  j["unsent_at_stop"] = s.unsent_at_stop;
  j["schedule_lag_ms"] = {{"p50", s.schedule_lag_p50_ms},
                          {"p99", s.schedule_lag_p99_ms},
                          {"max", s.schedule_lag_max_ms},
                          {"ramp_seconds", s.ramp_seconds},
                          {"ramp_p99", s.ramp_lag_p99_ms},
                          {"steady_p99", s.steady_lag_p99_ms},
                          {"judged_on", s.reached_steady_state ? "steady_state" : "whole_run"}};
  // The total last, named "Aggregated": readers have always taken topics[-1] as the total.
  auto& topics = j["topics"] = Json::array();
  for (const auto& r : s.rows) topics.push_back(topic_json(r));
  topics.push_back(topic_json(s.total));
  j["generator_saturated"] = s.generator_saturated();
  j["broker_saturated"] = s.broker_saturated();
  j["valid"] = measured_the_broker(s.verdict.code);
  j["verdict"] = verdict_text(s.verdict);
  j["verdict_code"] = verdict_names(s.verdict.code).code;
  j["warnings"] = s.warnings;
  j["outage"] = nullptr;
  if (const auto& o = s.broker_events.outage)
    j["outage"] = {{"start_s", o->start_s},
                   {"recovered_s", o->recovered_s ? Json(*o->recovered_s) : Json(nullptr)},
                   {"bridged_before", o->bridged_before},
                   {"bridged_lowest", o->bridged_lowest}};
  j["stall"] = nullptr;
  if (const auto& st = s.broker_events.stall)
    j["stall"] = {{"start_s", st->start_s}, {"seconds", st->seconds}, {"bridged", st->bridged}};
  auto& slos = j["slos"] = Json::array();
  for (const auto& slo : s.slos)
    slos.push_back({{"name", slo.name},
                    {"threshold", slo.threshold},
                    {"actual", slo.actual},
                    {"passed", slo.passed}});
  j["slos_passed"] = s.slos_passed;
  auto& parts = j["merged_from"] = Json::array();
  for (const auto& part : s.merged_from)
    parts.push_back({{"shard", part.index},
                     {"file", part.source},
                     {"verdict_code", verdict_names(part.verdict).code},
                     {"started_at", utc_timestamp(part.started_at)},
                     {"ended_at", utc_timestamp(part.ended_at)}});
  j["cloud"] = s.cloud ? cloud_json(*s.cloud) : Json(nullptr);
  j["local_broker"] = s.local_broker;
  j["config"] = effective_config(s.config);
  return pairs_on_one_line(j.dump(2)) + "\n";
}

}  // namespace lampi::fleet
