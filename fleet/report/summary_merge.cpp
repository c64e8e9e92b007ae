#include "fleet/report/summary_merge.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>

#include "fleet/config/config_loader.hpp"
#include "fleet/config/effective_config.hpp"

namespace lampi::fleet {

namespace {

using Json = nlohmann::json;
using TimePoint = std::chrono::system_clock::time_point;

// Reads one file's fields, every error naming the file and the field's path.
const std::regex kTimestamp(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");

class Fields {
 public:
  explicit Fields(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& path, const std::string& problem) const {
    throw SummaryError(fmt::format("{}: {}: {}", source_, path, problem));
  }
  const Json& at(const Json& j, const std::string& path, std::string_view key) const {
    if (!j.is_object() || !j.contains(key)) fail(join(path, key), "missing");
    return j.at(std::string(key));
  }
  std::uint64_t count(const Json& j, const std::string& path, std::string_view key) const {
    const Json& v = at(j, path, key);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
      fail(join(path, key), "expected a whole number, not negative; got " + v.dump());
    return v.get<std::uint64_t>();
  }
  std::int64_t whole(const Json& j, const std::string& path, std::string_view key) const {
    const Json& v = at(j, path, key);
    if (!v.is_number_integer()) fail(join(path, key), "expected a whole number; got " + v.dump());
    return v.get<std::int64_t>();
  }
  double number(const Json& j, const std::string& path, std::string_view key) const {
    const Json& v = at(j, path, key);
    if (!v.is_number()) fail(join(path, key), "expected a number; got " + v.dump());
    return v.get<double>();
  }
  bool boolean(const Json& j, const std::string& path, std::string_view key) const {
    const Json& v = at(j, path, key);
    if (!v.is_boolean()) fail(join(path, key), "expected true or false; got " + v.dump());
    return v.get<bool>();
  }
  std::string text(const Json& j, const std::string& path, std::string_view key) const {
    const Json& v = at(j, path, key);
    if (!v.is_string()) fail(join(path, key), "expected a string; got " + v.dump());
    return v.get<std::string>();
  }
  const Json& array(const Json& j, const std::string& path, std::string_view key) const {
    const Json& v = at(j, path, key);
    if (!v.is_array()) fail(join(path, key), "expected an array; got " + v.dump());
    return v;
  }
  // "2026-12-01T08:00:01.123Z", as utc_timestamp() writes it.
  TimePoint timestamp(const Json& j, std::string_view key) const {
    const std::string t = text(j, "", key);
    std::tm tm{};
    int millis = 0;
    int end = 0;
    if (!std::regex_match(t, kTimestamp) ||
        std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon,
                    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis, &end) != 7 ||
        end != static_cast<int>(t.size()))
      fail(std::string(key),
           "expected a UTC time such as \"2026-12-01T08:00:01.123Z\"; got " + quote_value(t));
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(millis);
  }
  // An object of counts with exactly the names `names` gives, in that order.
  template <class NameOf>
  std::vector<std::pair<std::string, std::uint64_t>> counts_by_name(const Json& j,
                                                                    const std::string& parent,
                                                                    std::string_view key,
                                                                    std::size_t n,
                                                                    NameOf name_of) const {
    const std::string path = join(parent, key);
    const Json& obj = at(j, parent, key);
    if (!obj.is_object()) fail(path, "expected an object of counts by name; got " + obj.dump());
    std::vector<std::pair<std::string, std::uint64_t>> out;
    std::set<std::string> known;
    for (std::size_t i = 0; i < n; ++i) {
      std::string name = name_of(i);
      // A file from an older build lacks the newer names: it counted none of them.
      out.emplace_back(name, obj.contains(name) ? count(obj, path, name) : 0);
      known.insert(std::move(name));
    }
    for (const auto& item : obj.items())
      if (!known.contains(item.key()))
        fail(join(path, item.key()),
             "is not known to this lampi-fleet (a newer one wrote it?); "
             "merge with the build that ran the shards");
    return out;
  }

 private:
  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }
  std::string source_;
};

LatencyHistogram read_histogram(const Fields& f, const Json& row, const std::string& path,
                                std::string_view key = "latency_histogram") {
  const Json& h = f.at(row, path, key);
  const std::string hp = path + "." + std::string(key);
  std::vector<LatencyHistogram::Bucket> buckets;
  const Json& list = f.at(h, hp, "buckets");
  if (!list.is_array()) f.fail(hp + ".buckets", "expected an array of [upper_us, count]");
  for (const auto& b : list) {
    if (!b.is_array() || b.size() != 2 || !b[0].is_number_integer() || !b[1].is_number_unsigned())
      f.fail(hp + ".buckets", "expected [upper_us, count] pairs; got " + b.dump());
    buckets.push_back({b[0].get<std::int64_t>(), b[1].get<std::uint64_t>()});
  }
  try {
    auto out = LatencyHistogram::from_raw(buckets, f.whole(h, hp, "sum_us"),
                                          f.whole(h, hp, "min_us"), f.whole(h, hp, "max_us"));
    if (out.count() != f.count(h, hp, "count"))
      f.fail(hp, "its buckets do not add up to its count");
    return out;
  } catch (const std::invalid_argument& e) {
    f.fail(hp, e.what());
  }
}

TopicRow read_row(const Fields& f, const Json& row, const std::string& path) {
  TopicRow r;
  r.name = f.text(row, path, "name");
  r.requests = f.count(row, path, "requests");
  r.failures = f.count(row, path, "failures");
  r.received = f.count(row, path, "received");
  r.rate_per_s = f.number(row, path, "rate_per_s");
  const auto reasons =
      f.counts_by_name(row, path, "failures_by_reason", kFailureReasonCount, [](std::size_t i) {
        return std::string(failure_reason_name(static_cast<FailureReason>(i)));
      });
  for (std::size_t i = 0; i < kFailureReasonCount; ++i) r.failures_by_reason[i] = reasons[i].second;
  set_latency(r, read_histogram(f, row, path));
  return r;
}

std::optional<VerdictCode> verdict_code_named(std::string_view code) {
  for (auto c : {VerdictCode::ok, VerdictCode::broker_saturated, VerdictCode::generator_saturated,
                 VerdictCode::not_connected, VerdictCode::interrupted, VerdictCode::outage,
                 VerdictCode::stalled, VerdictCode::duplicate_ids, VerdictCode::cloud_mismatch})
    if (verdict_names(c).code == code) return c;
  return std::nullopt;
}

// The config, nulls left out, is itself a config (docs/summary-json.md): JSON is YAML.
FleetConfig read_config(const Fields& f, const Json& j, std::string_view source) {
  Json config = f.at(j, "", "config");
  std::function<void(Json&)> drop_nulls = [&](Json& node) {
    if (!node.is_object()) return;
    for (auto it = node.begin(); it != node.end();) {
      if (it->is_null()) {
        it = node.erase(it);
      } else {
        drop_nulls(*it);
        ++it;
      }
    }
  };
  drop_nulls(config);
  try {
    return parse_config(config.dump(), fmt::format("{} (its config)", source));
  } catch (const ConfigError& e) {
    throw SummaryError(e.what());
  }
}

// What a fleet's shards must agree on: every key but those each process sets for itself.
Json fleet_defining(const FleetConfig& c) {
  Json j = effective_config(c);
  j["shard"].erase("index");
  for (const char* key : {"report", "metrics"}) j.erase(key);
  j["run"].erase("threads");
  j["run"].erase("state_file");  // each shard keeps its own lamps' states
  j["connect"].erase("source_addresses");
  j["connect"].erase("max_in_flight");
  j["broker"].erase("url");
  j["broker"]["tls"].erase("ca_file");
  j["broker"]["tls"].erase("cert_file");
  j["broker"]["tls"].erase("key_file");
  j["broker"]["tls"].erase("client_ca_file");
  return j;
}

// The first key (a dotted path) where two configs differ, "" when none does.
std::string first_difference(const Json& a, const Json& b, const std::string& path = "") {
  if (a.is_object() && b.is_object()) {
    for (const auto& item : a.items()) {
      const std::string key = path.empty() ? item.key() : path + "." + item.key();
      if (!b.contains(item.key())) return key;
      if (auto d = first_difference(item.value(), b.at(item.key()), key); !d.empty()) return d;
    }
    for (const auto& item : b.items())
      if (!a.contains(item.key())) return path.empty() ? item.key() : path + "." + item.key();
    return "";
  }
  return a == b ? "" : path;
}

std::string shown_at(const Json& j, const std::string& path) {
  const Json* node = &j;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t dot = path.find('.', start);
    std::string key =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object() || !node->contains(key)) return "unset";
    node = &node->at(key);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node->dump();
}

void check_one_fleet(std::span<const ShardSummary> shards) {
  const ShardSummary& first = shards.front();
  const std::size_t count = first.summary.config.shard.count;
  const Json fleet = fleet_defining(first.summary.config);
  std::map<std::size_t, const ShardSummary*> by_index;
  for (const auto& shard : shards) {
    const FleetConfig& c = shard.summary.config;
    if (!shard.summary.merged_from.empty())
      throw SummaryError(
          fmt::format("{}: is a merged summary already; merge the shards' own "
                      "summaries",
                      shard.source));
    const Json mine = fleet_defining(c);
    if (auto key = first_difference(fleet, mine); !key.empty())
      throw SummaryError(
          fmt::format("{}: config.{} is {}, but {} in {}: these are not shards of one fleet",
                      shard.source, key, shown_at(mine, key), shown_at(fleet, key), first.source));
    const std::size_t index = c.shard.index.value_or(0);
    auto [at, fresh] = by_index.emplace(index, &shard);
    if (!fresh)
      throw SummaryError(
          fmt::format("{} and {} are both shard {} of {}: give each shard's "
                      "summary once",
                      at->second->source, shard.source, index, count));
  }
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < count; ++i)
    if (!by_index.contains(i)) missing.push_back(std::to_string(i));
  if (!missing.empty())
    throw SummaryError(fmt::format(
        "{} {} of {} {} missing: merged {} of {} summaries; a fleet's verdict needs every "
        "shard's",
        missing.size() == 1 ? "shard" : "shards", fmt::join(missing, ", "), count,
        missing.size() == 1 ? "is" : "are", shards.size(), count));
}

// Seconds from the fleet's start (the first shard's) to a shard's: the shards' own event
// times count from their own starts, which a pod scheduled late puts minutes apart.
double offset_s(const RunSummary& shard, std::chrono::system_clock::time_point fleet_start) {
  return std::chrono::duration<double>(shard.started_at - fleet_start).count();
}

// The shards' outages as one, on the fleet's clock: it began with the first and lasted
// until the last recovered (never, if one did not). Its lamps are every shard's: those
// that saw no outage stayed bridged, as many as they had at the end.
std::optional<Outage> merged_outage(std::span<const ShardSummary> shards,
                                    std::chrono::system_clock::time_point fleet_start) {
  std::optional<Outage> out;
  bool all_recovered = true;
  std::int64_t unaffected = 0;
  for (const auto& shard : shards) {
    const auto& o = shard.summary.broker_events.outage;
    if (!o) {
      unaffected += static_cast<std::int64_t>(shard.summary.lamps_bridged_at_end);
      continue;
    }
    const double offset = offset_s(shard.summary, fleet_start);
    if (!out)
      out = Outage{.start_s = o->start_s + offset,
                   .recovered_s = std::nullopt,
                   .bridged_before = 0,
                   .bridged_lowest = 0};
    out->start_s = std::min(out->start_s, o->start_s + offset);
    all_recovered = all_recovered && o->recovered_s.has_value();
    if (o->recovered_s)
      out->recovered_s = std::max(out->recovered_s.value_or(0.0), *o->recovered_s + offset);
    out->bridged_before += o->bridged_before;
    out->bridged_lowest += o->bridged_lowest;
  }
  if (!out) return out;
  if (!all_recovered) out->recovered_s.reset();
  out->bridged_before += unaffected;
  out->bridged_lowest += unaffected;
  return out;
}

}  // namespace

// The "cloud" object summary_json.cpp's cloud_json() writes.
CloudAccounting read_cloud(const Fields& f, const Json& c) {
  CloudAccounting a;
  const std::string mode = f.text(c, "cloud", "mode");
  a.mode = mode == "active"    ? CloudMode::active
           : mode == "observe" ? CloudMode::observe
                               : CloudMode::off;
  if (a.mode == CloudMode::off)
    f.fail("cloud.mode", "expected active or observe; got " + quote_value(mode));
  for (const auto& field : kCloudCounts) a.*field.member = f.count(c, "cloud", field.name);
  a.settled = f.boolean(c, "cloud", "settled");
  a.round_trip = read_histogram(f, c, "cloud", "round_trip");
  a.will_delay = read_histogram(f, c, "cloud", "will_delay");
  for (const auto& d : f.array(c, "cloud", "differences")) {
    LampDifference diff{f.text(d, "cloud.differences[]", "lamp"),
                        f.text(d, "cloud.differences[]", "what"),
                        f.boolean(d, "cloud.differences[]", "explained")};
    if (!diff.explained && a.first_unexplained.empty())
      a.first_unexplained = fmt::format("lamp {}: {}", diff.lamp, diff.what);
    a.differences.push_back(std::move(diff));
  }
  if (a.unexplained > 0 && a.first_unexplained.empty())
    a.first_unexplained = "(beyond the differences listed)";
  return a;
}

void add_cloud(CloudAccounting& m, const CloudAccounting& s) {
  m.mode = s.mode;
  for (const auto& field : kCloudCounts) m.*field.member += s.*field.member;
  m.settled = m.settled && s.settled;
  m.round_trip.merge(s.round_trip);
  m.will_delay.merge(s.will_delay);
  if (m.first_unexplained.empty()) m.first_unexplained = s.first_unexplained;
  for (const auto& d : s.differences)
    if (m.differences.size() < kMaxListedDifferences) m.differences.push_back(d);
}

RunSummary read_summary_json(std::string_view text, std::string_view source) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw SummaryError(
        fmt::format("{}: is not JSON ({}); expected a --summary-json file", source, e.what()));
  }
  Fields f(source);
  if (!j.is_object() || !j.contains("lampi_fleet"))
    throw SummaryError(
        fmt::format("{}: is not a lampi-fleet summary (no \"lampi_fleet\" field); "
                    "expected a --summary-json file",
                    source));
  RunSummary s;
  const Json& build = f.at(j, "", "lampi_fleet");
  s.build = {f.text(build, "lampi_fleet", "version"), f.text(build, "lampi_fleet", "revision"),
             f.text(build, "lampi_fleet", "build_type")};
  s.config = read_config(f, j, source);
  s.started_at = f.timestamp(j, "started_at");
  s.ended_at = f.timestamp(j, "ended_at");
  s.seconds = f.number(j, "", "seconds");
  s.planned_seconds = f.number(j, "", "planned_seconds");
  s.interrupted = f.boolean(j, "", "aborted");
  s.local_broker = f.boolean(j, "", "local_broker");
  s.lamps = f.count(j, "", "lamps");
  s.disconnects = f.counts_by_name(j, "", "disconnects", kDisconnectReasonCount, [](std::size_t i) {
    return std::string(disconnect_reason_name(static_cast<DisconnectReason>(i)));
  });
  s.set_config_invalid =
      f.counts_by_name(j, "", "set_config_invalid", model::kInvalidClassCount, [](std::size_t i) {
        return std::string(invalid_class_name(static_cast<model::InvalidClass>(i)));
      });
  for (auto [field, key] : {std::pair{&RunSummary::lamps_bridged_peak, "lamps_bridged_peak"},
                            {&RunSummary::lamps_bridged_at_end, "lamps_bridged_at_end"},
                            {&RunSummary::lamps_hatched_at_end, "lamps_hatched_at_end"},
                            {&RunSummary::connect_attempts, "connect_attempts"},
                            {&RunSummary::connects, "connects"},
                            {&RunSummary::reconnects, "reconnects"},
                            {&RunSummary::service_crashes, "service_crashes"},
                            {&RunSummary::service_restarts, "service_restarts"},
                            {&RunSummary::bridge_queued, "bridge_queued"},
                            {&RunSummary::bridge_dropped, "bridge_dropped"},
                            {&RunSummary::inflight_dropped, "inflight_dropped"},
                            {&RunSummary::timeouts, "timeouts"},
                            {&RunSummary::lamps_flapping, "lamps_flapping"},
                            {&RunSummary::late_acks, "late_acks"},
                            {&RunSummary::unacked_at_end, "unacked_at_end"},
                            {&RunSummary::unacked_at_power_off, "unacked_at_power_off"},
                            {&RunSummary::unsent_at_stop, "unsent_at_stop"}})
    s.*field = f.count(j, "", key);
  const Json& lag = f.at(j, "", "schedule_lag_ms");
  s.schedule_lag_p50_ms = f.number(lag, "schedule_lag_ms", "p50");
  s.schedule_lag_p99_ms = f.number(lag, "schedule_lag_ms", "p99");
  s.schedule_lag_max_ms = f.number(lag, "schedule_lag_ms", "max");
  s.ramp_seconds = f.number(lag, "schedule_lag_ms", "ramp_seconds");
  s.ramp_lag_p99_ms = f.number(lag, "schedule_lag_ms", "ramp_p99");
  s.steady_lag_p99_ms = f.number(lag, "schedule_lag_ms", "steady_p99");
  s.reached_steady_state = f.text(lag, "schedule_lag_ms", "judged_on") == "steady_state";

  const Json& topics = f.array(j, "", "topics");
  if (topics.empty()) f.fail("topics", "expected the rows, the total last; got none");
  for (std::size_t i = 0; i + 1 < topics.size(); ++i)
    s.rows.push_back(read_row(f, topics[i], fmt::format("topics[{}]", i)));
  s.total = read_row(f, topics.back(), fmt::format("topics[{}]", topics.size() - 1));

  const std::string code = f.text(j, "", "verdict_code");
  auto verdict = verdict_code_named(code);
  if (!verdict)
    f.fail("verdict_code", "not a verdict this lampi-fleet knows: " + quote_value(code));
  // The detail is what follows the label in the verdict's text, as verdict_text() wrote it.
  std::string detail = f.text(j, "", "verdict");
  const std::string label = std::string(verdict_names(*verdict).label) + ": ";
  if (detail.starts_with(label)) detail.erase(0, label.size());
  s.verdict = {*verdict, std::move(detail)};
  if (const Json& o = f.at(j, "", "outage"); !o.is_null())
    s.broker_events.outage =
        Outage{.start_s = f.number(o, "outage", "start_s"),
               .recovered_s = f.at(o, "outage", "recovered_s").is_null()
                                  ? std::nullopt
                                  : std::optional(f.number(o, "outage", "recovered_s")),
               .bridged_before = f.whole(o, "outage", "bridged_before"),
               .bridged_lowest = f.whole(o, "outage", "bridged_lowest")};
  if (const Json& st = f.at(j, "", "stall"); !st.is_null())
    s.broker_events.stall = Stall{.start_s = f.number(st, "stall", "start_s"),
                                  .seconds = f.number(st, "stall", "seconds"),
                                  .bridged = f.whole(st, "stall", "bridged")};
  for (const auto& w : f.array(j, "", "warnings")) {
    if (!w.is_string()) f.fail("warnings", "expected strings; got " + w.dump());
    s.warnings.push_back(w.get<std::string>());
  }
  for (const auto& slo : f.array(j, "", "slos"))
    s.slos.push_back({f.text(slo, "slos[]", "name"), f.text(slo, "slos[]", "threshold"),
                      f.text(slo, "slos[]", "actual"), f.boolean(slo, "slos[]", "passed")});
  s.slos_passed = f.boolean(j, "", "slos_passed");
  // Older builds wrote neither.
  if (j.contains("cloud") && !j["cloud"].is_null()) s.cloud = read_cloud(f, j["cloud"]);
  if (j.contains("lamps_cycled")) s.lamps_cycled = f.count(j, "", "lamps_cycled");
  if (j.contains("memory")) {
    s.memory.rss_after_ramp = f.count(j["memory"], "memory", "rss_after_ramp_bytes");
    s.memory.after_ramp_s = f.number(j["memory"], "memory", "after_ramp_s");
    s.memory.rss_at_end = f.count(j["memory"], "memory", "rss_end_bytes");
  }
  if (j.contains("faults"))
    for (const auto& e : f.array(j, "", "faults")) {
      FaultResult r;
      r.event.at = Seconds(f.number(e, "faults[]", "at_s"));
      const std::string kind = f.text(e, "faults[]", "kind");
      for (auto k : {FaultKind::kill, FaultKind::stall, FaultKind::storm, FaultKind::restart})
        if (kind == fault_kind_name(k)) r.event.kind = k;
      r.event.share = f.number(e, "faults[]", "share");
      if (!f.at(e, "faults[]", "lasting_s").is_null())
        r.event.lasting = Seconds(f.number(e, "faults[]", "lasting_s"));
      r.lamps = f.count(e, "faults[]", "lamps");
      if (!f.at(e, "faults[]", "recovered_after_s").is_null())
        r.recovered_after_s = f.number(e, "faults[]", "recovered_after_s");
      s.faults.push_back(r);
    }
  if (j.contains("merged_from"))  // older builds did not write it: a run, not a merge
    for (const auto& part : f.array(j, "", "merged_from")) {
      auto part_code = verdict_code_named(f.text(part, "merged_from[]", "verdict_code"));
      if (!part_code) f.fail("merged_from[].verdict_code", "not a verdict this lampi-fleet knows");
      s.merged_from.push_back({.index = f.count(part, "merged_from[]", "shard"),
                               .source = f.text(part, "merged_from[]", "file"),
                               .verdict = *part_code,
                               .started_at = f.timestamp(part, "started_at"),
                               .ended_at = f.timestamp(part, "ended_at")});
    }
  return s;
}

RunSummary merge_summaries(std::span<const ShardSummary> shards) {
  if (shards.empty()) throw SummaryError("no summaries to merge");
  check_one_fleet(shards);
  const RunSummary& first = shards.front().summary;
  RunSummary m;
  m.build = first.build;
  m.config = first.config;
  m.config.shard.index.reset();  // the merge is every shard
  m.planned_seconds = first.planned_seconds;
  m.started_at = first.started_at;
  m.ended_at = first.ended_at;
  for (const auto& shard : shards) m.started_at = std::min(m.started_at, shard.summary.started_at);
  m.reached_steady_state = true;
  std::map<std::string, std::size_t> row_of;  // name -> position in m.rows
  std::map<std::size_t, TopicRow> rows;       // by topic order
  for (std::size_t t = 0; t < model::kTopicCount; ++t)
    row_of[topic_pattern(static_cast<model::Topic>(t))] = t;

  for (const auto& shard : shards) {
    const RunSummary& s = shard.summary;
    if (s.build.version != first.build.version || s.build.revision != first.build.revision) {
      std::string w = fmt::format(
          "The shards were measured by different lampi-fleet builds ({} {} in {}, {} {} in {}).",
          first.build.version, first.build.revision, shards.front().source, s.build.version,
          s.build.revision, shard.source);
      if (std::find(m.warnings.begin(), m.warnings.end(), w) == m.warnings.end())
        m.warnings.push_back(std::move(w));
    }
    for (const auto& w : s.warnings)
      if (std::find(m.warnings.begin(), m.warnings.end(), w) == m.warnings.end())
        m.warnings.push_back(w);
    m.local_broker = m.local_broker || s.local_broker;
    m.ended_at = std::max(m.ended_at, s.ended_at);
    m.interrupted = m.interrupted || s.interrupted;
    m.lamps += s.lamps;
    // Shards need not peak at the same moment: the sum is the most there could have been.
    m.lamps_bridged_peak += s.lamps_bridged_peak;
    m.lamps_bridged_at_end += s.lamps_bridged_at_end;
    m.lamps_hatched_at_end += s.lamps_hatched_at_end;
    m.connect_attempts += s.connect_attempts;
    m.connects += s.connects;
    m.reconnects += s.reconnects;
    m.lamps_flapping += s.lamps_flapping;
    if (m.disconnects.empty()) {
      m.disconnects = s.disconnects;
      m.set_config_invalid = s.set_config_invalid;
    } else {
      for (std::size_t i = 0; i < m.disconnects.size(); ++i)
        m.disconnects[i].second += s.disconnects[i].second;
      for (std::size_t i = 0; i < m.set_config_invalid.size(); ++i)
        m.set_config_invalid[i].second += s.set_config_invalid[i].second;
    }
    m.service_crashes += s.service_crashes;
    m.service_restarts += s.service_restarts;
    m.bridge_queued += s.bridge_queued;
    m.bridge_dropped += s.bridge_dropped;
    m.inflight_dropped += s.inflight_dropped;
    m.timeouts += s.timeouts;
    m.late_acks += s.late_acks;
    m.unacked_at_end += s.unacked_at_end;
    m.unacked_at_power_off += s.unacked_at_power_off;
    m.unsent_at_stop += s.unsent_at_stop;
    m.lamps_cycled += s.lamps_cycled;
    // The fleet's memory is every process's; its ramp ended with the slowest shard's.
    m.memory.rss_after_ramp += s.memory.rss_after_ramp;
    m.memory.rss_at_end += s.memory.rss_at_end;
    m.memory.after_ramp_s = std::max(m.memory.after_ramp_s, s.memory.after_ramp_s);
    if (s.cloud) {
      if (!m.cloud) m.cloud.emplace();
      add_cloud(*m.cloud, *s.cloud);
    }
    // The same events in every shard (one config): their lamps add up, and the fleet is
    // whole again when its slowest shard is.
    if (m.faults.empty()) {
      m.faults = s.faults;
    } else {
      for (std::size_t i = 0; i < m.faults.size() && i < s.faults.size(); ++i) {
        m.faults[i].lamps += s.faults[i].lamps;
        if (!m.faults[i].recovered_after_s || !s.faults[i].recovered_after_s)
          m.faults[i].recovered_after_s.reset();
        else
          m.faults[i].recovered_after_s =
              std::max(*m.faults[i].recovered_after_s, *s.faults[i].recovered_after_s);
      }
    }
    // The lag histograms stay with each shard: the fleet is judged by its worst shard, which
    // is what a generator that fell behind anywhere means for the whole run.
    m.schedule_lag_p50_ms = std::max(m.schedule_lag_p50_ms, s.schedule_lag_p50_ms);
    m.schedule_lag_p99_ms = std::max(m.schedule_lag_p99_ms, s.schedule_lag_p99_ms);
    m.schedule_lag_max_ms = std::max(m.schedule_lag_max_ms, s.schedule_lag_max_ms);
    m.ramp_seconds = std::max(m.ramp_seconds, s.ramp_seconds);
    m.ramp_lag_p99_ms = std::max(m.ramp_lag_p99_ms, s.ramp_lag_p99_ms);
    m.steady_lag_p99_ms = std::max(m.steady_lag_p99_ms, s.steady_lag_p99_ms);
    m.reached_steady_state = m.reached_steady_state && s.reached_steady_state;
    for (const auto& r : s.rows) {
      auto at = row_of.find(r.name);
      if (at == row_of.end())
        throw SummaryError(fmt::format("{}: topic {} is not one this lampi-fleet knows",
                                       shard.source, quote_value(r.name)));
      TopicRow& row = rows[at->second];
      row.name = r.name;
      row.requests += r.requests;
      row.failures += r.failures;
      row.received += r.received;
      // The shards ran side by side: the fleet's rate is the sum of theirs, where the
      // requests over the whole span would be diluted by starts minutes apart.
      row.rate_per_s += r.rate_per_s;
      for (std::size_t i = 0; i < kFailureReasonCount; ++i)
        row.failures_by_reason[i] += r.failures_by_reason[i];
      row.latency.merge(r.latency);
    }
    m.total.rate_per_s += s.total.rate_per_s;
    if (auto st = s.broker_events.stall;
        st && (!m.broker_events.stall || st->seconds > m.broker_events.stall->seconds)) {
      st->start_s += offset_s(s, m.started_at);
      m.broker_events.stall = st;
    }
    m.merged_from.push_back({.index = s.config.shard.index.value_or(0),
                             .source = shard.source,
                             .verdict = s.verdict.code,
                             .started_at = s.started_at,
                             .ended_at = s.ended_at});
  }
  std::sort(m.merged_from.begin(), m.merged_from.end(),
            [](const MergedShard& a, const MergedShard& b) { return a.index < b.index; });
  m.broker_events.outage = merged_outage(shards, m.started_at);
  m.seconds = std::chrono::duration<double>(m.ended_at - m.started_at).count();
  for (const auto& shard : shards) m.seconds = std::max(m.seconds, shard.summary.seconds);

  LatencyHistogram all;
  for (auto& [t, row] : rows) {
    const LatencyHistogram merged = row.latency;  // set_latency() assigns row.latency
    set_latency(row, merged);
    m.total.requests += row.requests;
    m.total.failures += row.failures;
    m.total.received += row.received;
    for (std::size_t i = 0; i < kFailureReasonCount; ++i)
      m.total.failures_by_reason[i] += row.failures_by_reason[i];
    all.merge(row.latency);
    m.rows.push_back(row);
  }
  set_latency(m.total, all);
  m.verdict = judge_run(m);
  judge_slos(m, m.config.slo);
  return m;
}

}  // namespace lampi::fleet
