#include "fleet/report/cloud_report.hpp"

#include <fmt/format.h>

#include "fleet/report/summary_json.hpp"
#include "fleet/report/svg_chart.hpp"

namespace lampi::fleet {

namespace {

using svg::escape;

double ms(std::int64_t us) {
  return static_cast<double>(us) / 1000.0;
}

}  // namespace

std::string latency_text(const LatencyHistogram& h) {
  if (h.count() == 0) return "none timed";
  return fmt::format("p50 {:.1f} ms, p95 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms ({} timed)",
                     ms(h.percentile(0.50)), ms(h.percentile(0.95)), ms(h.percentile(0.99)),
                     ms(h.max()), h.count());
}

std::string cloud_table_lines(const CloudAccounting& a) {
  std::string out = fmt::format(
      "Cloud ({}): {} of {} lamps consistent | messages acknowledged {}, received {}, lost {}, "
      "extra {} (duplicates or PUBACKs lost), altered or reordered {} | last views differing {}\n",
      cloud_mode_name(a.mode), a.lamps_consistent, a.lamps, a.acknowledged, a.received, a.lost,
      a.extra, a.altered, a.views_differ);
  out += fmt::format(
      "Cloud commands: seen {}, received by lamps {}, lost {} | web commands sent {}, answered {}, "
      "unanswered {} | round trip {}\n",
      a.commands_seen, a.commands_received, a.commands_lost, a.commands_sent, a.commands_answered,
      a.commands_unanswered, latency_text(a.round_trip));
  out += fmt::format(
      "Cloud wills: {} expected, {} seen, {} missing, {} late, delay {} | associations {} "
      "started, {} completed | stand-in disconnects {} ({} sessions lost){}\n",
      a.wills_expected, a.wills_seen, a.wills_missing, a.wills_late, latency_text(a.will_delay),
      a.associations_started, a.associations_completed, a.cloud_disconnects, a.cloud_sessions_lost,
      a.settled ? "" : " | NOT SETTLED: the broker's last deliveries or wills never came");
  for (const auto& d : a.differences)
    out += fmt::format("  lamp {}: {}{}\n", d.lamp, d.what, d.explained ? " (explained)" : "");
  if (a.differences_total > a.differences.size())
    out += fmt::format("  ... and {} more differences (the JSON lists the first {})\n",
                       a.differences_total - a.differences.size(), a.differences.size());
  return out;
}

nlohmann::ordered_json cloud_json(const CloudAccounting& a) {
  using Json = nlohmann::ordered_json;
  Json differences = Json::array();
  for (const auto& d : a.differences)
    differences.push_back({{"lamp", d.lamp}, {"what", d.what}, {"explained", d.explained}});
  const auto& h = a.round_trip;
  Json out = {{"mode", cloud_mode_name(a.mode)}, {"passed", a.passed()}};
  for (const auto& f : kCloudCounts) out[f.name] = a.*f.member;
  out["settled"] = a.settled;
  out["round_trip_ms"] = {{"p50", ms(h.percentile(0.50))},
                          {"p95", ms(h.percentile(0.95))},
                          {"p99", ms(h.percentile(0.99))},
                          {"max", ms(h.max())}};
  out["round_trip"] = histogram_json(h);
  const auto& w = a.will_delay;
  out["will_delay_ms"] = {
      {"p50", ms(w.percentile(0.50))}, {"p99", ms(w.percentile(0.99))}, {"max", ms(w.max())}};
  out["will_delay"] = histogram_json(w);
  out["differences"] = std::move(differences);
  return out;
}

std::string cloud_html_section(const CloudAccounting& a) {
  std::string out =
      fmt::format("<section id=\"cloud\"><h2>Cloud ({})</h2><p class=\"{}\">{}</p><table><tbody>",
                  cloud_mode_name(a.mode), a.passed() ? "pass" : "fail",
                  a.passed() ? "Every lamp accounted for." : escape(accounting_failure(a)));
  auto row = [&](std::string_view k, const std::string& v) {
    out += fmt::format("<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(v));
  };
  row("lamps consistent", fmt::format("{} of {}", a.lamps_consistent, a.lamps));
  row("messages acknowledged / received",
      fmt::format("{} / {} (lost {}, extra {}, altered or reordered {})", a.acknowledged,
                  a.received, a.lost, a.extra, a.altered));
  row("last views differing", std::to_string(a.views_differ));
  row("commands seen / received by lamps / lost",
      fmt::format("{} / {} / {}", a.commands_seen, a.commands_received, a.commands_lost));
  row("web commands sent / answered", fmt::format("{} / {}", a.commands_sent, a.commands_answered));
  row("command round trip", latency_text(a.round_trip));
  row("wills expected / seen / missing / late",
      fmt::format("{} / {} / {} / {}", a.wills_expected, a.wills_seen, a.wills_missing,
                  a.wills_late));
  row("will delay after the drop", latency_text(a.will_delay));
  row("associations started / completed",
      fmt::format("{} / {}", a.associations_started, a.associations_completed));
  row("stand-in disconnects (sessions lost)",
      fmt::format("{} ({})", a.cloud_disconnects, a.cloud_sessions_lost));
  out += "</tbody></table>";
  if (!a.differences.empty()) {
    out +=
        "<table><thead><tr><th>Lamp</th><th>Difference</th><th>Explained</th></tr></thead><tbody>";
    for (const auto& d : a.differences)
      out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", escape(d.lamp),
                         escape(d.what), d.explained ? "yes" : "no");
    out += "</tbody></table>";
  }
  out += "</section>";
  return out;
}

}  // namespace lampi::fleet
