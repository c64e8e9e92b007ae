#include "fleet/report/html_report.hpp"

#include "fleet/report/cloud_report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "fleet/report/html_page.hpp"
#include "fleet/report/output_file.hpp"
#include "fleet/report/summary_json.hpp"
#include "fleet/report/svg_chart.hpp"

namespace lampi::fleet {

namespace {

using svg::escape;

// The run report's own rules, after kPageBaseCss.
constexpr std::string_view kCss = R"css(
.subtitle{margin:2px 0 0;color:#57606a}
section{background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:18px 22px;
  margin:18px 0}
.verdict{display:flex;align-items:center;gap:18px;margin:18px 0;padding:16px 22px;
  border-radius:10px;color:#fff}
.verdict-ok{background:#1a7f37}
.verdict-saturated{background:#d9730d}
.verdict-invalid{background:#cf222e}
.verdict-interrupted{background:#6e7781}
.verdict .badge{font-size:22px;font-weight:800;letter-spacing:.04em;white-space:nowrap}
.verdict .detail{font-size:15px}
.warning{margin:0 0 18px;padding:12px 22px;border-radius:6px;background:#fff8c5;
border:1px solid #d4a72c;color:#3b2300}
.facts{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
@media (max-width:720px){.facts{grid-template-columns:repeat(2,1fr)}}
.fact{background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:10px 14px}
.fact .label{color:#57606a;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.fact .value{font-size:21px;font-weight:650;font-variant-numeric:tabular-nums;
  white-space:nowrap}
svg.chart{display:block;width:100%;height:auto;margin:4px 0 18px}
svg.chart text{font-family:inherit}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid #eaeef2;text-align:right;vertical-align:top}
th{background:#f6f8fa;color:#424a53;font-weight:600;white-space:nowrap}
td.topic,table.config-table td{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;
  font-size:13px}
tr.aggregated td{font-weight:700;border-top:2px solid #afb8c1;background:#f6f8fa}
td.nonzero{color:#cf222e;font-weight:600}
.pass{color:#1a7f37;font-weight:700}
.fail{color:#cf222e;font-weight:700}
.note{color:#57606a;font-size:12px;margin:8px 0 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:14px}
.cards h3{margin:0 0 6px;font-size:14px;color:#424a53}
table.config-table th,table.config-table td{text-align:left}
table.config-table td:first-child{width:28%}
table.config-table td:last-child{word-break:break-all}
footer{color:#8c959f;font-size:12px;text-align:center}
)css";

std::string_view verdict_class(VerdictCode code) {
  switch (code) {
    case VerdictCode::ok:
      return "verdict-ok";
    case VerdictCode::broker_saturated:
      return "verdict-saturated";
    case VerdictCode::generator_saturated:
    case VerdictCode::not_connected:
    case VerdictCode::outage:
    case VerdictCode::stalled:
    case VerdictCode::duplicate_ids:
    case VerdictCode::cloud_mismatch:
      return "verdict-invalid";
    case VerdictCode::interrupted:
      return "verdict-interrupted";
  }
  return "verdict-ok";
}

// The detail follows a label in the table ("OK: the broker kept up"); under the badge it
// stands alone, so it starts with a capital.
std::string sentence(std::string_view detail) {
  std::string out(detail);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string count(std::uint64_t v) {
  auto digits = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string ms(double v) {
  return fmt::format("{:.1f}", v);
}

std::string duration(double seconds) {
  auto total = static_cast<long long>(std::llround(seconds));
  if (total < 60) return fmt::format("{:.1f} s", seconds);
  if (total < 3600) return fmt::format("{}m {:02}s", total / 60, total % 60);
  return fmt::format("{}h {:02}m {:02}s", total / 3600, total % 3600 / 60, total % 60);
}

void fact(std::string& out, std::string_view label, const std::string& value) {
  out += fmt::format(
      "<div class=\"fact\"><div class=\"label\">{}</div><div class=\"value\">{}</div></div>",
      escape(label), escape(value));
}

void header(std::string& out, const RunSummary& s, std::string_view title) {
  out += fmt::format("<header><h1>{}</h1><p class=\"subtitle\">lampi-fleet run report</p></header>",
                     escape(title));
  out += fmt::format(
      "<div class=\"verdict {}\"><span class=\"badge\">{}</span><span class=\"detail\">{}"
      "</span></div>",
      verdict_class(s.verdict.code), escape(verdict_names(s.verdict.code).label),
      escape(sentence(s.verdict.detail)));

  for (const auto& w : s.warnings)
    out += fmt::format("<div class=\"warning\"><strong>Warning:</strong> {}</div>", escape(w));

  const TopicRow& total = s.total;
  out += "<div class=\"facts\">";
  fact(out, "Started (UTC)", utc_timestamp(s.started_at).substr(0, 19) + "Z");
  fact(out, "Duration", duration(s.seconds));
  fact(out, "Lamps", count(s.lamps));
  fact(out, "Bridged at peak", count(s.lamps_bridged_peak));
  fact(out, "Requests/s", fmt::format("{:.1f}", total.rate_per_s));
  fact(out, "Requests", count(total.requests));
  fact(out, "Failures",
       fmt::format("{} ({:.2f}%)", count(total.failures), 100.0 * failure_ratio(total)));
  fact(out, "p95 response (ms)", total.has_latency ? ms(total.p95_ms) : "-");
  fact(out, "p99 response (ms)", total.has_latency ? ms(total.p99_ms) : "-");
  out += "</div>";
}

void slo_table(std::string& out, const RunSummary& s) {
  if (s.slos.empty()) return;
  std::size_t failed = 0;
  for (const auto& slo : s.slos) failed += slo.passed ? 0 : 1;
  out += fmt::format(
      "<section class=\"slos\" id=\"slos\"><h2>Service-level objectives: <span "
      "class=\"{}\">{}</span></h2>",
      s.slos_passed ? "pass" : "fail",
      s.slos_passed ? std::string("all passed")
                    : fmt::format("{} of {} failed", failed, s.slos.size()));
  out +=
      "<table><thead><tr><th>Objective</th><th>Threshold</th><th>Actual</th><th>Result</th>"
      "</tr></thead><tbody>";
  for (const auto& slo : s.slos)
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                       escape(slo.name), escape(slo.threshold), escape(slo.actual),
                       slo.passed ? "pass" : "fail", slo.passed ? "PASS" : "FAIL");
  out += "</tbody></table></section>";
}

// A merge has no timeline of its own: it names its shards, whose reports have the charts.
void shard_table(std::string& out, const RunSummary& s) {
  if (s.merged_from.empty()) return;
  out += fmt::format(
      "<section id=\"shards\"><h2>Merged from {} shards</h2><p>Counts are the shards' sums and "
      "response times come from their merged histograms; schedule lag is the worst shard's. "
      "The charts over time are in each shard's own report.</p>",
      s.merged_from.size());
  out +=
      "<table><thead><tr><th>Shard</th><th>Summary</th><th>Verdict</th><th>Started (UTC)</th>"
      "<th>Ended (UTC)</th></tr></thead><tbody>";
  for (const auto& part : s.merged_from)
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>", part.index,
        escape(part.source), verdict_class(part.verdict), escape(verdict_names(part.verdict).label),
        utc_timestamp(part.started_at), utc_timestamp(part.ended_at));
  out += "</tbody></table></section>";
}

template <typename Get>
svg::Series series(std::string name, std::string color, const RunTimeline& timeline, Get get) {
  svg::Series s{std::move(name), std::move(color), {}};
  s.points.reserve(timeline.size());
  for (const auto& p : timeline) s.points.push_back({p.t_s, get(p)});
  return s;
}

void charts(std::string& out, const RunTimeline& tl) {
  using P = TimelinePoint;
  auto as_double = [](std::int64_t v) { return static_cast<double>(v); };
  // A second with no PUBACK has no response time, not a zero one: leave a gap.
  auto latency = [](double P::*field) {
    return [field](const P& p) { return p.has_latency ? std::optional(p.*field) : std::nullopt; };
  };
  const std::vector<svg::LineChart> all = {
      {.id = "lamps",
       .title = "Lamps bridged, connecting and backing off",
       .y_label = "lamps",
       .y_integer = true,
       .series = {series("Bridged", "#0969da", tl,
                         [&](const P& p) { return as_double(p.lamps_bridged); }),
                  series("Connecting", "#bf8700", tl,
                         [&](const P& p) { return as_double(p.lamps_connecting); }),
                  series("Backing off", "#cf222e", tl,
                         [&](const P& p) { return as_double(p.lamps_backing_off); })}},
      {.id = "requests",
       .title = "Requests per second and failures per second",
       .y_label = "per second",
       .series = {series("Requests/s", "#1a7f37", tl, [](const P& p) { return p.requests_per_s; }),
                  series("Failures/s", "#cf222e", tl,
                         [](const P& p) { return p.failures_per_s; })}},
      {.id = "response-times",
       .title = "Response time percentiles (publish to PUBACK)",
       .y_label = "ms",
       .series = {series("p50", "#0969da", tl, latency(&P::p50_ms)),
                  series("p95", "#bc4c00", tl, latency(&P::p95_ms)),
                  series("p99", "#8250df", tl, latency(&P::p99_ms))}},
      {.id = "connects",
       .title = "Connects and reconnects per second",
       .y_label = "per second",
       .series = {series("Connects/s", "#0969da", tl, [](const P& p) { return p.connects_per_s; }),
                  series("Reconnects/s", "#bc4c00", tl,
                         [](const P& p) { return p.reconnects_per_s; })}},
  };
  out += "<section class=\"charts\" id=\"charts\"><h2>Over time</h2>";
  for (const auto& chart : all) out += svg::render_line_chart(chart);
  out += "</section>";
}

void topic_table(std::string& out, const RunSummary& s) {
  out +=
      "<section class=\"topics\" id=\"topics\"><h2>Requests by topic</h2><table "
      "class=\"stats\"><thead><tr>"
      "<th>Topic</th><th># reqs</th><th># fails</th><th># received</th><th>Median</th>"
      "<th>Average</th><th>Min</th><th>Max</th><th>p95</th><th>p99</th><th>req/s</th>"
      "</tr></thead><tbody>";
  auto row = [&](const TopicRow& r, bool is_total) {
    out +=
        fmt::format("<tr{}><td class=\"topic\">{}</td><td>{}</td><td{}>{}</td><td>{}</td>",
                    is_total ? " class=\"aggregated\"" : "", escape(r.name), count(r.requests),
                    r.failures ? " class=\"nonzero\"" : "", count(r.failures), count(r.received));
    for (double v : {r.median_ms, r.average_ms, r.min_ms, r.max_ms, r.p95_ms, r.p99_ms})
      out += fmt::format("<td>{}</td>", r.has_latency ? ms(v) : "-");
    out += fmt::format("<td>{:.1f}</td></tr>", r.rate_per_s);
  };
  for (const auto& r : s.rows) row(r, false);
  row(s.total, true);
  out +=
      "</tbody></table><p class=\"note\">Response times in ms, from each message's scheduled "
      "send time to its PUBACK; QoS 0 topics have none (-).</p></section>";
}

using Rows = std::vector<std::pair<std::string, std::string>>;

void card(std::string& out, std::string_view heading, const Rows& rows) {
  out += fmt::format("<div><h3>{}</h3><table class=\"kv\"><tbody>", escape(heading));
  for (const auto& [k, v] : rows)
    out += fmt::format("<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(v));
  out += "</tbody></table></div>";
}

Rows counted(const std::vector<std::pair<std::string, std::uint64_t>>& by) {
  Rows rows;
  for (const auto& [k, v] : by) rows.emplace_back(k, count(v));
  if (rows.empty()) rows.emplace_back("(none)", "");
  return rows;
}

void counters(std::string& out, const RunSummary& s) {
  out += "<section class=\"counters\" id=\"counters\"><h2>Counters</h2><div class=\"cards\">";
  card(out, "Connections",
       {{"connect attempts", count(s.connect_attempts)},
        {"connects", count(s.connects)},
        {"reconnects", count(s.reconnects)},
        {"lamps bridged at peak", count(s.lamps_bridged_peak)}});
  card(out, "Disconnects by reason", counted(s.disconnects));
  card(out, "Invalid set_config by class", counted(s.set_config_invalid));
  card(out, "Lamp service",
       {{"crashes", count(s.service_crashes)}, {"restarts", count(s.service_restarts)}});
  if (s.memory.rss_at_end > 0)
    card(
        out, "Memory (RSS)",
        {{"after the ramp-up",
          s.memory.rss_after_ramp > 0
              ? fmt::format("{:.1f} MiB ({:.0f} s in)",
                            static_cast<double>(s.memory.rss_after_ramp) / 1048576.0,
                            s.memory.after_ramp_s)
              : std::string("-")},
         {"at the end",
          fmt::format("{:.1f} MiB", static_cast<double>(s.memory.rss_at_end) / 1048576.0)},
         {"growth", s.memory.rss_after_ramp > 0 ? fmt::format("{:+.1f}%", s.memory.growth_percent())
                                                : std::string("-")}});
  if (s.lamps_cycled > 0 || !s.faults.empty()) {
    Rows faults{{"power cycles (churn)", count(s.lamps_cycled)}};
    for (const auto& f : s.faults)
      faults.push_back({fmt::format("{} at {:.0f} s, {} lamps", fault_kind_name(f.event.kind),
                                    f.event.at.count(), count(f.lamps)),
                        f.recovered_after_s
                            ? fmt::format("whole again after {:.0f} s", *f.recovered_after_s)
                            : std::string("not whole again by the end")});
    card(out, "Faults the fleet caused", faults);
  }
  card(out, "Delivery",
       {{"bridge queued", count(s.bridge_queued)},
        {"bridge dropped", count(s.bridge_dropped)},
        {"unsent at the stop", count(s.unsent_at_stop)},
        {"in-flight cap drops", count(s.inflight_dropped)},
        {"timeouts", count(s.timeouts)},
        {"acknowledged late", count(s.late_acks)},
        {"never acknowledged by the end", count(s.unacked_at_end)},
        {"unanswered at power-off", count(s.unacked_at_power_off)}});
  card(out, "Generator",
       {{"schedule lag p50 (ms)", fmt::format("{:.2f}", s.schedule_lag_p50_ms)},
        {"schedule lag p99 (ms)", fmt::format("{:.2f}", s.schedule_lag_p99_ms)},
        {"schedule lag max (ms)", fmt::format("{:.2f}", s.schedule_lag_max_ms)},
        {fmt::format("lag p99, ramp-up: first {:.0f} s (ms)", s.ramp_seconds),
         s.reached_steady_state ? fmt::format("{:.2f}", s.ramp_lag_p99_ms) : "the whole run"},
        {"lag p99 after the ramp-up (ms)", s.reached_steady_state
                                               ? fmt::format("{:.2f}", s.steady_lag_p99_ms)
                                               : "none: the run ended in its ramp-up"},
        {"generator saturated", s.generator_saturated() ? "yes" : "no"},
        {"broker saturated", s.broker_saturated() ? "yes" : "no"}});
  out += "</div></section>";
}

void config_table(std::string& out, const ConfigRows& rows) {
  out += "<section class=\"config\" id=\"config\"><h2>Configuration</h2>";
  if (rows.empty()) {
    out += "<p class=\"note\">No configuration was recorded.</p></section>";
    return;
  }
  out += "<table class=\"config-table\"><thead><tr><th>Key</th><th>Value</th></tr></thead><tbody>";
  for (const auto& [k, v] : rows)
    out += fmt::format("<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(v));
  out += "</tbody></table></section>";
}

}  // namespace

std::string render_html_report(const RunSummary& summary, const RunTimeline& timeline,
                               const ConfigRows& config_rows, std::string_view title) {
  std::string out;
  out.reserve(64 * 1024 + timeline.size() * 160);
  out += html_page_start(escape(title), kCss);
  header(out, summary, title);
  slo_table(out, summary);
  shard_table(out, summary);
  if (summary.merged_from.empty() || !timeline.empty()) charts(out, timeline);
  topic_table(out, summary);
  if (summary.cloud) out += cloud_html_section(*summary.cloud);
  counters(out, summary);
  config_table(out, config_rows);
  out += fmt::format(
      "<footer>Generated by lampi-fleet {} ({}, {} build). Self-contained: no "
      "scripts, nothing fetched.</footer></main></body></html>\n",
      escape(summary.build.version.empty() ? "(unknown version)" : summary.build.version),
      escape(summary.build.revision), escape(summary.build.build_type));
  return out;
}

void write_html_report(const std::filesystem::path& path, const RunSummary& summary,
                       const RunTimeline& timeline, const ConfigRows& config_rows,
                       std::string_view title) {
  write_output_file(path, render_html_report(summary, timeline, config_rows, title));
}

}  // namespace lampi::fleet
