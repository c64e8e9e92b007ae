#include "fleet/report/locust_csv.hpp"

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

#include "fleet/config/config_loader.hpp"
#include "fleet/report/output_file.hpp"

namespace lampi::fleet {

namespace {

// Locust's own columns, in its order; the percentiles (kReportedPercentiles) follow the
// first list, and come between the two lists of the history.
constexpr std::array<std::string_view, 11> kStatsColumns = {"Type",
                                                            "Name",
                                                            "Request Count",
                                                            "Failure Count",
                                                            "Median Response Time",
                                                            "Average Response Time",
                                                            "Min Response Time",
                                                            "Max Response Time",
                                                            "Average Content Size",
                                                            "Requests/s",
                                                            "Failures/s"};
constexpr std::array<std::string_view, 6> kHistoryColumns = {
    "Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"};
constexpr std::array<std::string_view, 7> kHistoryTotalColumns = {
    "Total Request Count",         "Total Failure Count",     "Total Median Response Time",
    "Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
    "Total Average Content Size"};
constexpr std::array<std::string_view, 4> kFailuresColumns = {"Method", "Name", "Error",
                                                              "Occurrences"};

// One CSV line under RFC 4180's quoting: a field with a comma, quote or line break is quoted.
class Line {
 public:
  Line& add(std::string_view field) {
    if (fields_++ > 0) text_ += ',';
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
      text_ += field;
      return *this;
    }
    text_ += '"';
    for (char c : field) text_ += c == '"' ? std::string("\"\"") : std::string(1, c);
    text_ += '"';
    return *this;
  }
  template <std::size_t N>
  Line& add_all(const std::array<std::string_view, N>& fields) {
    for (auto f : fields) add(f);
    return *this;
  }
  Line& add(std::uint64_t n) { return add(std::to_string(n)); }
  Line& add(std::int64_t n) { return add(std::to_string(n)); }
  std::string end() { return std::move(text_) + '\n'; }

 private:
  std::string text_;
  std::size_t fields_ = 0;
};

// Plain decimals to the microsecond (for times in ms) and no trailing zeros: 11, 13.2, 0.04.
std::string decimal(double v) {
  std::string out = fmt::format("{:.3f}", v);
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out == "-0" ? "0" : out;
}
std::string measured(bool any, double value) {
  return any ? decimal(value) : std::string(kNotAvailable);
}

Line& percentile_names(Line& line) {
  for (const auto& p : kReportedPercentiles) line.add(p.name);
  return line;
}

double per_second(std::uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

std::string stats_row(const TopicRow& r, std::string_view type, double seconds) {
  Line line;
  line.add(type).add(r.name).add(r.requests).add(r.failures);
  for (double v : {r.median_ms, r.average_ms, r.min_ms, r.max_ms})
    line.add(measured(r.has_latency, v));
  line.add(kNotAvailable).add(decimal(r.rate_per_s)).add(decimal(per_second(r.failures, seconds)));
  const bool any = r.latency.count() > 0;
  for (const auto& p : kReportedPercentiles)
    line.add(measured(any, static_cast<double>(r.latency.percentile(p.q)) / 1000.0));
  return line.end();
}

std::string failure_text(FailureReason why, const FleetConfig& c) {
  switch (why) {
    case FailureReason::timeout:
      return fmt::format("Timeout: no PUBACK within {} (workload.response_timeout)",
                         format_duration(c.response_timeout));
    case FailureReason::inflight_cap:
      return fmt::format(
          "Dropped: {} publishes already awaiting PUBACK on the lamp (lamp.bridge_queue_limit)",
          c.model.bridge_queue_limit);
    case FailureReason::not_sent:
      return "Not sent: the lamp's connection was down";
    case FailureReason::unacknowledged:
      return "Unacknowledged: still awaiting PUBACK when the run ended";
    case FailureReason::fleet_fault:
      return "The fleet's own fault (faults.events): no PUBACK in time while the lamp's socket "
             "was held unread or its connection killed";
  }
  return "Unknown";
}

}  // namespace

std::string render_stats_csv(const RunSummary& s) {
  std::string out = percentile_names(Line().add_all(kStatsColumns)).end();
  // Topics only received on (set_config) are not requests: their counts are in the JSON.
  for (const auto& r : s.rows)
    if (r.requests > 0) out += stats_row(r, kPublishType, s.seconds);
  // As Locust: the total is named Aggregated and has no type.
  out += stats_row(s.total, "", s.seconds);
  return out;
}

std::string render_stats_history_csv(const RunSummary& s, const RunTimeline& timeline) {
  Line header;
  header.add_all(kHistoryColumns);
  percentile_names(header).add_all(kHistoryTotalColumns);
  std::string out = header.end();
  for (const auto& p : timeline) {
    auto at = s.started_at + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                 std::chrono::duration<double>(p.t_s));
    auto unix_seconds = std::chrono::floor<std::chrono::seconds>(at).time_since_epoch().count();
    Line line;
    line.add(static_cast<std::int64_t>(unix_seconds))
        .add(p.lamps_bridged)
        .add("")
        .add(s.total.name)
        .add(decimal(p.requests_per_s))
        .add(decimal(p.failures_per_s));
    for (double v : p.percentiles_ms) line.add(measured(p.has_latency, v));
    line.add(p.total_requests).add(p.total_failures);
    for (double v : {p.total_median_ms, p.total_average_ms, p.total_min_ms, p.total_max_ms})
      line.add(measured(p.total_has_latency, v));
    out += line.add(kNotAvailable).end();
  }
  return out;
}

std::string render_failures_csv(const RunSummary& s) {
  std::string out = Line().add_all(kFailuresColumns).end();
  for (const auto& r : s.rows)
    for (std::size_t i = 0; i < kFailureReasonCount; ++i)
      if (r.failures_by_reason[i] > 0)
        out += Line()
                   .add(kPublishType)
                   .add(r.name)
                   .add(failure_text(static_cast<FailureReason>(i), s.config))
                   .add(r.failures_by_reason[i])
                   .end();
  return out;
}

std::array<std::string, kCsvSuffixes.size()> locust_csv_paths(const std::string& prefix) {
  std::array<std::string, kCsvSuffixes.size()> out;
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = prefix + kCsvSuffixes[i];
  return out;
}

void write_locust_csv(const std::string& prefix, const RunSummary& s, const RunTimeline& timeline) {
  const auto paths = locust_csv_paths(prefix);
  const std::array<std::string, 3> contents = {
      render_stats_csv(s), render_stats_history_csv(s, timeline), render_failures_csv(s)};
  std::string errors;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    try {
      write_output_file(paths[i], contents[i]);
    } catch (const std::exception& e) {
      errors += (errors.empty() ? "" : "; ") + std::string(e.what());
    }
  }
  if (!errors.empty()) throw std::runtime_error(errors);
}

}  // namespace lampi::fleet
