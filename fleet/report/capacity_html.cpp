// The capacity search as one self-contained HTML page (inline CSS and SVG, no scripts):
// response time against load with the knee marked, as the seed's author read it by eye.
#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "fleet/report/capacity_report.hpp"
#include "fleet/report/html_page.hpp"
#include "fleet/report/summary_json.hpp"
#include "fleet/report/svg_chart.hpp"

namespace lampi::fleet {

namespace {

using svg::escape;

constexpr std::string_view kCss = R"css(
section{background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:18px 22px;
  margin:18px 0;overflow-x:auto}
.finding{margin:18px 0;padding:16px 22px;border-radius:10px;color:#fff}
.finding .badge{font-size:22px;font-weight:800;letter-spacing:.04em;margin-right:14px}
.finding-ok{background:#1a7f37}
.finding-broke{background:#d9730d}
.finding-invalid{background:#cf222e}
.finding-stopped{background:#6e7781}
.note{margin:0 0 18px;padding:12px 22px;border-radius:6px;background:#fff8c5;
  border:1px solid #d4a72c;color:#3b2300}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:4px 12px;text-align:right;border-bottom:1px solid #e4e7eb;white-space:nowrap}
td.why{text-align:left;white-space:normal}
tr.broke td{color:#cf222e}
footer{color:#57606a;font-size:12px;margin-top:24px}
)css";

const char* finding_class(SearchOutcome o) {
  switch (o) {
    case SearchOutcome::knee:
    case SearchOutcome::max_lamps:
      return "finding-ok";
    case SearchOutcome::below_start:
      return "finding-broke";
    case SearchOutcome::not_connected:
    case SearchOutcome::generator_limit:
      return "finding-invalid";
    case SearchOutcome::interrupted:
    case SearchOutcome::time_limit:
      return "finding-stopped";
  }
  return "finding-stopped";
}

// One series per pass and percentile: each pass climbs on its own, so its points ascend.
std::vector<svg::Series> response_series(const std::vector<StepResult>& steps) {
  std::vector<svg::Series> out;
  for (int pass = 1; pass <= 2; ++pass) {
    const char* suffix = pass == 1 ? "" : " (second pass)";
    svg::Series p50{fmt::format("p50{}", suffix), pass == 1 ? "#0969da" : "#54aeff", {}};
    svg::Series p95{fmt::format("p95{}", suffix), pass == 1 ? "#cf222e" : "#ff8182", {}};
    for (const auto& s : steps) {
      if (s.pass != pass) continue;
      const auto x = static_cast<double>(s.measure.lamps);
      p50.points.push_back({x, s.measure.p50_ms});
      p95.points.push_back({x, s.measure.p95_ms});
    }
    if (p50.points.empty()) continue;
    out.push_back(std::move(p50));
    out.push_back(std::move(p95));
  }
  return out;
}

std::vector<svg::Marker> knee_markers(const SearchResult& r) {
  std::vector<svg::Marker> out;
  if (r.held)
    out.push_back({.x = static_cast<double>(r.held->measure.lamps),
                   .label = fmt::format("capacity: {} lamps", r.held->measure.lamps),
                   .color = "#1a7f37"});
  if (r.broke)
    out.push_back({.x = static_cast<double>(r.broke->measure.lamps),
                   .label = fmt::format("broke: {} lamps ({})", r.broke->measure.lamps,
                                        step_break_code(r.broke->judgement.broke)),
                   .color = "#cf222e"});
  return out;
}

std::string response_chart(const CapacityRun& run) {
  svg::LineChart c{.id = "response-vs-load",
                   .title = "Response time against load (each step's window)",
                   .y_label = "ms",
                   .x_label = "lamps",
                   .x_axis = svg::XAxis::kNumber};
  c.series = response_series(run.steps);
  double lo = 0, hi = 0;
  bool any = false;
  for (const auto& s : run.steps) {
    const auto x = static_cast<double>(s.measure.lamps);
    lo = any ? std::min(lo, x) : x;
    hi = any ? std::max(hi, x) : x;
    any = true;
  }
  if (any)
    c.series.push_back({fmt::format("p95 SLO ({:g} ms)", run.slo.p95_ms),
                        "#8c959f",
                        {{lo, run.slo.p95_ms}, {hi, run.slo.p95_ms}}});
  c.markers = knee_markers(run.result);
  return svg::render_line_chart(c);
}

std::string throughput_chart(const CapacityRun& run) {
  svg::LineChart c{.id = "acked-vs-load",
                   .title = "Acknowledged messages per second against load",
                   .y_label = "messages/s",
                   .x_label = "lamps",
                   .x_axis = svg::XAxis::kNumber};
  for (int pass = 1; pass <= 2; ++pass) {
    svg::Series s{
        pass == 1 ? "acked/s" : "acked/s (second pass)", pass == 1 ? "#1a7f37" : "#4ac26b", {}};
    for (const auto& st : run.steps)
      if (st.pass == pass)
        s.points.push_back({static_cast<double>(st.measure.lamps), st.measure.acked_per_s()});
    if (!s.points.empty()) c.series.push_back(std::move(s));
  }
  c.markers = knee_markers(run.result);
  return svg::render_line_chart(c);
}

std::string step_rows(const std::vector<StepResult>& steps) {
  std::string out =
      "<table><thead><tr><th>pass</th><th>lamps</th><th>acked/s</th><th>p50 ms</th>"
      "<th>p95 ms</th><th>p99 ms</th><th>failures</th><th>bridged</th><th>lag p99 ms</th>"
      "<th>result</th></tr></thead><tbody>";
  auto ms = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.1f}", *v) : std::string("-");
  };
  for (const auto& s : steps) {
    const StepMeasure& m = s.measure;
    out += fmt::format(
        "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{:.0f}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{:.2f}%</td><td>{}</td><td>{:.1f}</td><td class=\"why\">{}</td></tr>",
        s.judgement.held() ? "held" : "broke", s.pass, m.lamps, m.acked_per_s(), ms(m.p50_ms),
        ms(m.p95_ms), ms(m.p99_ms), m.failure_ratio() * 100, m.bridged, m.schedule_lag_p99_ms,
        escape(s.judgement.held() ? std::string("held") : "broke: " + s.judgement.why));
  }
  return out + "</tbody></table>";
}

std::string settings_rows(const CapacityRun& run) {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"broker", run.broker},
      {"profiles", run.profiles},
      {"start / step / fine step / max lamps",
       fmt::format("{} / {} / {} / {}", run.plan.start, run.plan.step, run.plan.fine_step,
                   run.plan.max_lamps)},
      {"hatch rate", fmt::format("{:g} lamps/s", run.hatch_rate)},
      {"hold (settle)", fmt::format("{:g} s ({:g} s not measured)", run.hold_s, run.settle_s)},
      {"SLO: p95", fmt::format("{:g} ms", run.slo.p95_ms)},
      {"SLO: failure ratio", fmt::format("{:g}", run.slo.max_failure_ratio)},
      {"SLO: bridged ratio", fmt::format("{:g}", run.slo.min_bridged_ratio)},
      {"response timeout", fmt::format("{:g} ms", run.response_timeout_ms)},
      {"max duration", fmt::format("{:g} s", run.max_duration_s)},
      {"started (UTC), took",
       fmt::format("{}, {:.0f} s", utc_timestamp(run.started_at), run.seconds)}};
  std::string out = "<table><tbody>";
  for (const auto& [k, v] : rows)
    out += fmt::format("<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(v));
  return out + "</tbody></table>";
}

}  // namespace

std::string render_capacity_html(const CapacityRun& run) {
  const SearchResult& r = run.result;
  std::string out = html_page_start("lampi-fleet capacity", kCss);
  out += "<h1>lampi-fleet capacity</h1>";
  out += fmt::format(
      "<div class=\"finding {}\" data-outcome=\"{}\"><span class=\"badge\">{}</span>"
      "<span class=\"detail\">{}</span></div>",
      finding_class(r.outcome), outcome_names(r.outcome).code,
      escape(outcome_names(r.outcome).label), escape(r.summary));
  for (const auto& note : r.notes) out += fmt::format("<p class=\"note\">{}</p>", escape(note));
  out += "<section>" + response_chart(run) + "</section>";
  out += "<section>" + throughput_chart(run) + "</section>";
  out += "<section><h2>Steps</h2>" + step_rows(run.steps) + "</section>";
  out += "<section><h2>Settings</h2>" + settings_rows(run) + "</section>";
  out += fmt::format(
      "<footer>Generated by lampi-fleet {} ({}, {} build). Self-contained: no scripts, "
      "nothing fetched.</footer></main></body></html>\n",
      escape(run.build.version.empty() ? "(unknown version)" : run.build.version),
      escape(run.build.revision), escape(run.build.build_type));
  return out;
}

}  // namespace lampi::fleet
