// The report is checked by parsing what it wrote: a strict little tag scanner rebuilds the
// element tree (so an unescaped '<' or '&' or an unclosed tag fails), then the charts'
// coordinates are read back and compared with the values that went in.
#include <doctest/doctest.h>

#include <chrono>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fleet/report/html_report.hpp"
#include "tests/fleet/report/html_scan.hpp"
#include "tests/fleet/report/sample_run.hpp"

using namespace lampi::fleet;
using namespace lampi::testing::html;

namespace {

// ---- a run with known numbers ----------------------------------------------------------

constexpr int kSamples = 120;
// Seconds without a PUBACK: gaps of 1, 10, 1, 1 and 5 samples; 60 is left alone.
bool no_latency(int i) {
  return i == 0 || (i >= 30 && i < 40) || i == 59 || i == 61 || (i >= 80 && i < 85);
}

RunTimeline timeline() {
  RunTimeline tl;
  for (int i = 0; i < kSamples; ++i) {
    TimelinePoint p;
    p.t_s = i + 1.0;
    p.lamps_bridged = std::min(1000, 10 * i);  // ramps to 1000 at i = 100, then holds
    p.lamps_connecting = i < 100 ? 40 : 0;
    p.lamps_backing_off = i % 10 == 0 ? 3 : 0;
    p.requests_per_s = static_cast<double>(p.lamps_bridged) * 0.1;
    p.failures_per_s = i == 50 ? 5 : 0;
    p.has_latency = !no_latency(i);
    p.p50_ms = 10 + i * 0.1;
    p.p95_ms = 2 * p.p50_ms;
    p.p99_ms = 3 * p.p50_ms;
    p.connects_per_s = i < 100 ? 10 : 0;
    p.reconnects_per_s = i == 110 ? 5 : 0;
    tl.push_back(p);
  }
  return tl;
}

RunSummary summary() {
  RunSummary s;
  s.seconds = 120;
  s.started_at = std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} + std::chrono::hours{9} +
                 std::chrono::minutes{30} + std::chrono::milliseconds{250};
  s.lamps = 1000;
  s.lamps_bridged_peak = 1000;
  s.connect_attempts = 1010;
  s.connects = 1005;
  s.reconnects = 5;
  s.disconnects = {{"refused", 3}, {"lost", 2}, {"keepalive", 0}, {"power_off", 0}};
  s.set_config_invalid = {{"not_json", 7}};
  s.service_crashes = 4;
  s.service_restarts = 4;
  s.bridge_queued = 321;
  s.bridge_dropped = 9;
  s.inflight_dropped = 11;
  s.timeouts = 12;
  s.schedule_lag_p50_ms = 0.4;
  s.schedule_lag_p99_ms = 3.2;
  s.schedule_lag_max_ms = 17.9;
  s.rows.push_back(
      {"devices/+/lamp/changed", 12000, 12, 0, true, 12.5, 14.31, 1.5, 250.7, 40.6, 99.9, 100.0});
  s.rows.push_back(
      {"devices/+/lamp/connection/lamp_service/state", 1000, 0, 0, false, 0, 0, 0, 0, 0, 0, 8.3});
  s.rows.push_back({"devices/+/lamp/set_config", 0, 0, 500, false, 0, 0, 0, 0, 0, 0, 0});
  s.total = {"Aggregated", 13000, 12, 500, true, 12.5, 14.31, 1.5, 250.7, 40.6, 99.9, 108.3};
  s.verdict = {VerdictCode::ok, "the broker kept up (p95 40.6 ms, 0.09% failures)."};
  return s;
}

const ConfigRows kConfig = {{"broker.url", "mqtt://127.0.0.1:1883"},
                             {"lamps", "1000"},
                             {"workload.profiles", "{\"touch-drag\":80,\"idle\":20}"}};

std::unique_ptr<Node> render_and_parse(const RunSummary& s, const RunTimeline& tl,
                                       const ConfigRows& config = kConfig,
                                       std::string_view title = "Soak test") {
  return parse(render_html_report(s, tl, config, title));
}

}  // namespace

TEST_CASE("the report is four titled charts, well formed and self-contained") {
  auto html = render_html_report(summary(), timeline(), kConfig, "Soak test");
  auto root = parse(html);
  auto svgs = by_tag(*root, "svg");
  REQUIRE(svgs.size() == 4);
  std::vector<std::string> titles;
  for (const auto* svg : svgs) titles.push_back(one(by_tag(*svg, "title")).all_text());
  CHECK(titles == std::vector<std::string>{"Lamps bridged, connecting and backing off",
                                           "Requests per second and failures per second",
                                           "Response time percentiles (publish to PUBACK)",
                                           "Connects and reconnects per second"});
  for (const auto* svg : svgs) {
    CHECK(one(by_class(*svg, "chart-title")).all_text() == one(by_tag(*svg, "title")).all_text());
    CHECK(by_class(*svg, "axis").size() == 1);
    CHECK(by_class(*svg, "tick-label").size() >= 4);
  }
  for (const char* external : {"http://", "https://", "<script", "src=", "url(", "@import", "<link",
                               "<img", "<iframe", "xmlns"})
    CHECK_MESSAGE(html.find(external) == std::string::npos, external);
  CHECK(by_tag(*root, "style").size() == 1);
}

TEST_CASE("the lamps chart has one point a second, monotone where the data is") {
  auto root = render_and_parse(summary(), timeline());
  const auto& svg = chart(*root, "lamps");
  const auto& area = one(by_class(svg, "plot-area"));
  double left = number(area, "x"), top = number(area, "y");
  double width = number(area, "width"), height = number(area, "height");

  auto pts = points(one(series_lines(svg, "Bridged")));
  REQUIRE(pts.size() == kSamples);
  CHECK(std::fabs(pts.front().first - left) < 0.06);
  CHECK(std::fabs(pts.back().first - (left + width)) < 0.06);
  for (std::size_t i = 1; i < pts.size(); ++i) {
    CHECK(pts[i].first > pts[i - 1].first);
    CHECK(pts[i].second <= pts[i - 1].second);  // SVG y grows downwards
    if (i <= 100) CHECK(pts[i].second < pts[i - 1].second);
  }
  CHECK(std::fabs(pts[0].second - (top + height)) < 0.06);  // 0 lamps on the x axis
  CHECK(std::fabs(pts[50].second - (top + height / 2)) < 0.06);
  CHECK(std::fabs(pts[100].second - top) < 0.06);  // 1000 lamps at the top
  CHECK(std::fabs(pts.back().second - top) < 0.06);

  CHECK(texts(by_class(svg, "y")) ==
        std::vector<std::string>{"0", "200", "400", "600", "800", "1000", "lamps"});
  auto x_labels = texts(by_class(svg, "x"));
  CHECK(x_labels.front() == "0:15");  // the run's first sample is at 1 s
  CHECK(x_labels.back() == "elapsed (m:ss)");
  CHECK(points(one(series_lines(svg, "Connecting"))).size() == kSamples);
  CHECK(points(one(series_lines(svg, "Backing off"))).size() == kSamples);
}

TEST_CASE("every chart's legend names its series") {
  auto root = render_and_parse(summary(), timeline());
  auto legend = [&](const std::string& id) {
    return texts(by_tag(one(by_class(chart(*root, id), "legend")), "text"));
  };
  using V = std::vector<std::string>;
  CHECK(legend("lamps") == V{"Bridged", "Connecting", "Backing off"});
  CHECK(legend("requests") == V{"Requests/s", "Failures/s"});
  CHECK(legend("response-times") == V{"p50", "p95", "p99"});
  CHECK(legend("connects") == V{"Connects/s", "Reconnects/s"});
  for (const auto& [id, names] :
       {std::pair{"lamps", legend("lamps")}, std::pair{"requests", legend("requests")},
        std::pair{"connects", legend("connects")}})
    for (const auto& name : names) CHECK(series_lines(chart(*root, id), name).size() == 1);
}

TEST_CASE("the response-time chart breaks its lines where no PUBACK came") {
  auto root = render_and_parse(summary(), timeline());
  const auto& svg = chart(*root, "response-times");
  const auto& area = one(by_class(svg, "plot-area"));
  double left = number(area, "x"), width = number(area, "width");
  // Samples are at 1..120 s, so sample i sits i/119 of the way across.
  auto x_of = [&](int i) { return left + i / (kSamples - 1.0) * width; };
  for (const char* name : {"p50", "p95", "p99"}) {
    auto lines = series_lines(svg, name);
    REQUIRE(lines.size() == 4);  // 1-29, 40-58, 62-79, 85-119; 60 alone is a dot
    std::vector<std::size_t> sizes;
    for (const auto* line : lines) sizes.push_back(points(*line).size());
    CHECK(sizes == std::vector<std::size_t>{29, 19, 18, 35});
    std::vector<const Node*> dots;
    collect(svg, dots,
            [&](const Node& c) { return c.tag == "circle" && c.attr("data-series") == name; });
    REQUIRE(dots.size() == 1);
    CHECK(std::fabs(number(*dots[0], "cx") - x_of(60)) < 0.06);
    for (const auto* line : lines)
      for (auto [x, y] : points(*line))
        for (int i = 0; i < kSamples; ++i)
          if (no_latency(i)) CHECK(std::fabs(x - x_of(i)) > 1.0);
  }
}

TEST_CASE("the topic table has a row per TopicRow with its numbers, the total last") {
  auto s = summary();
  auto root = render_and_parse(s, timeline());
  const auto& table = one(by_class(*root, "stats"));
  CHECK(texts(by_tag(table, "th")) ==
        std::vector<std::string>{"Topic", "# reqs", "# fails", "# received", "Median", "Average",
                                 "Min", "Max", "p95", "p99", "req/s"});
  auto rows = by_tag(one(by_tag(table, "tbody")), "tr");
  REQUIRE(rows.size() == s.rows.size() + 1);
  using V = std::vector<std::string>;
  CHECK(texts(by_tag(*rows[0], "td")) == V{"devices/+/lamp/changed", "12,000", "12", "0", "12.5",
                                           "14.3", "1.5", "250.7", "40.6", "99.9", "100.0"});
  CHECK(texts(by_tag(*rows[1], "td")) == V{"devices/+/lamp/connection/lamp_service/state", "1,000",
                                           "0", "0", "-", "-", "-", "-", "-", "-", "8.3"});
  CHECK(texts(by_tag(*rows[2], "td")) ==
        V{"devices/+/lamp/set_config", "0", "0", "500", "-", "-", "-", "-", "-", "-", "0.0"});
  CHECK(texts(by_tag(*rows[3], "td")) == V{"Aggregated", "13,000", "12", "500", "12.5", "14.3",
                                           "1.5", "250.7", "40.6", "99.9", "108.3"});
  CHECK(rows[3]->has_class("aggregated"));
  CHECK_FALSE(rows[0]->has_class("aggregated"));

  // The total is marked by being the total, not by its name.
  s.rows[0].name = "Aggregated";
  root = render_and_parse(s, timeline());
  rows = by_tag(one(by_tag(one(by_class(*root, "stats")), "tbody")), "tr");
  REQUIRE(rows.size() == 4);
  CHECK_FALSE(rows[0]->has_class("aggregated"));
  CHECK(rows[3]->has_class("aggregated"));
}

TEST_CASE("the other counters and the config are shown") {
  auto root = render_and_parse(summary(), timeline());
  std::map<std::string, std::string> kv;
  for (const auto* table : by_class(*root, "kv"))
    for (const auto* tr : by_tag(*table, "tr")) {
      auto cells = texts(by_tag(*tr, "td"));
      REQUIRE(cells.size() == 2);
      kv[cells[0]] = cells[1];
    }
  CHECK(kv["connect attempts"] == "1,010");
  CHECK(kv["reconnects"] == "5");
  CHECK(kv["refused"] == "3");
  CHECK(kv["lost"] == "2");
  CHECK(kv["not_json"] == "7");
  CHECK(kv["crashes"] == "4");
  CHECK(kv["bridge queued"] == "321");
  CHECK(kv["bridge dropped"] == "9");
  CHECK(kv["in-flight cap drops"] == "11");
  CHECK(kv["timeouts"] == "12");
  CHECK(kv["schedule lag max (ms)"] == "17.90");
  CHECK(kv["generator saturated"] == "no");

  const auto& config = one(by_tag(one(by_class(*root, "config")), "table"));
  auto rows = by_tag(one(by_tag(config, "tbody")), "tr");
  REQUIRE(rows.size() == kConfig.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    CHECK(texts(by_tag(*rows[i], "td")) ==
          std::vector<std::string>{kConfig[i].first, kConfig[i].second});

  auto facts = by_class(*root, "fact");
  std::map<std::string, std::string> fact;
  for (const auto* f : facts)
    fact[one(by_class(*f, "label")).all_text()] = one(by_class(*f, "value")).all_text();
  CHECK(fact["Started (UTC)"] == "2026-12-01T09:30:00Z");
  CHECK(fact["Duration"] == "2m 00s");
  CHECK(fact["Lamps"] == "1,000");
  CHECK(fact["Failures"] == "12 (0.09%)");
  CHECK(fact["Requests/s"] == "108.3");
  CHECK(fact["p95 response (ms)"] == "40.6");
  CHECK(fact["p99 response (ms)"] == "99.9");
}

TEST_CASE("a setting that weakens the run is a warning above the facts, and only then") {
  auto plain = render_and_parse(summary(), timeline());
  CHECK(by_class(*plain, "warning").empty());
  auto s = summary();
  s.warnings = {"TLS certificate verification was off (broker.tls.verify: false)."};
  auto root = render_and_parse(s, timeline());
  CHECK(one(by_class(*root, "warning")).all_text() ==
        "Warning: TLS certificate verification was off (broker.tls.verify: false).");
}

TEST_CASE("text with <, >, & and quotes is escaped everywhere") {
  const std::string nasty = "Soak <b>&\"quoted\"</b> 'x'";
  auto s = summary();
  s.rows[0].name = "devices/<id>/a&b";
  s.verdict.detail = "<fine> & \"dandy\"";
  s.slos = {{"p95 <fast>", "<= 200 ms", "40.6 ms & ok", true}};
  ConfigRows config = {{"<key>", "<script>alert(\"x\")</script>"}};
  auto html = render_html_report(s, timeline(), config, nasty);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("Soak &lt;b&gt;&amp;&quot;quoted&quot;&lt;/b&gt; &#39;x&#39;") !=
        std::string::npos);
  auto root = parse(html);  // throws on a bare '<', '>' or '&'
  CHECK(one(by_tag(*root, "h1")).all_text() == nasty);
  CHECK(by_tag(*root, "title").front()->all_text() == nasty);
  CHECK(one(by_class(*root, "detail")).all_text() == "<fine> & \"dandy\"");
  CHECK(by_class(*root, "topic").front()->all_text() == "devices/<id>/a&b");
  auto slo = texts(by_tag(*by_tag(one(by_class(*root, "slos")), "tbody").front(), "td"));
  CHECK(slo == std::vector<std::string>{"p95 <fast>", "<= 200 ms", "40.6 ms & ok", "PASS"});
  auto cfg = texts(by_tag(one(by_tag(one(by_class(*root, "config")), "tbody")), "td"));
  CHECK(cfg == std::vector<std::string>{"<key>", "<script>alert(\"x\")</script>"});
}

namespace {
// The CSS colour a class sets as its background, as r, g, b.
std::array<int, 3> background_of(const Node& root, const std::string& cls) {
  auto css = one(by_tag(root, "style")).all_text();
  auto at = css.find("." + cls + "{background:#");
  REQUIRE(at != std::string::npos);
  auto hex = css.substr(css.find('#', at) + 1, 6);
  auto v = std::stoi(hex, nullptr, 16);
  return {v >> 16, (v >> 8) & 0xff, v & 0xff};
}
}  // namespace

TEST_CASE("the verdict's class, badge and colour follow its code, not its text") {
  struct Case {
    VerdictCode code;
    const char* cls;
    const char* badge;
    const char* generator_saturated;
    const char* broker_saturated;
  };
  for (const auto& c :
       {Case{VerdictCode::ok, "verdict-ok", "OK", "no", "no"},
        Case{VerdictCode::broker_saturated, "verdict-saturated", "BROKER SATURATED", "no", "yes"},
        Case{VerdictCode::generator_saturated, "verdict-invalid", "INVALID", "yes", "no"}}) {
    CAPTURE(c.cls);
    auto s = summary();
    // A detail that names another verdict's label changes nothing: the code decides.
    s.verdict = {c.code, "because INVALID: OK."};
    auto root = render_and_parse(s, timeline());
    const auto& verdict = one(by_class(*root, "verdict"));
    CHECK(verdict.has_class(c.cls));
    CHECK(one(by_class(verdict, "badge")).all_text() == c.badge);
    CHECK(one(by_class(verdict, "detail")).all_text() == "Because INVALID: OK.");
    std::map<std::string, std::string> kv;
    for (const auto* tr : by_tag(one(by_class(*root, "counters")), "tr")) {
      auto cells = texts(by_tag(*tr, "td"));
      kv[cells.at(0)] = cells.at(1);
    }
    CHECK(kv["generator saturated"] == c.generator_saturated);
    CHECK(kv["broker saturated"] == c.broker_saturated);
    auto [r, g, b] = background_of(*root, c.cls);
    if (std::string(c.cls) == "verdict-ok") CHECK((g > r && g > b));
    if (std::string(c.cls) == "verdict-saturated") CHECK((r > g && g > b && g > 0x60));
    if (std::string(c.cls) == "verdict-invalid") CHECK((r > g && r > b && g < 0x60));
  }
}

TEST_CASE("the SLO table shows pass and fail, and is absent without SLOs") {
  auto s = summary();
  CHECK(by_class(*render_and_parse(s, timeline()), "slos").empty());
  s.slos = {{"p95_response_time", "<= 200 ms", "40.6 ms", true},
            {"failure_ratio", "<= 0.01%", "0.09%", false}};
  s.slos_passed = false;
  auto root = render_and_parse(s, timeline());
  const auto& section = one(by_class(*root, "slos"));
  CHECK(one(by_tag(section, "h2")).all_text() == "Service-level objectives: 1 of 2 failed");
  auto rows = by_tag(one(by_tag(section, "tbody")), "tr");
  REQUIRE(rows.size() == 2);
  CHECK(by_tag(*rows[0], "td").back()->has_class("pass"));
  CHECK(by_tag(*rows[0], "td").back()->all_text() == "PASS");
  CHECK(by_tag(*rows[1], "td").back()->has_class("fail"));
  CHECK(by_tag(*rows[1], "td").back()->all_text() == "FAIL");
}

TEST_CASE("an empty run still renders four charts, each saying it has no samples") {
  RunSummary s;
  auto root = render_and_parse(s, {}, {}, "empty");
  auto svgs = by_tag(*root, "svg");
  REQUIRE(svgs.size() == 4);
  for (const auto* svg : svgs) {
    CHECK(by_tag(*svg, "polyline").empty());
    CHECK(one(by_class(*svg, "no-data")).all_text() == "no samples");
  }
  CHECK(one(by_class(*root, "verdict")).has_class("verdict-ok"));
  // The total row is there even with no traffic: zeros, and no response times.
  auto rows = by_tag(one(by_tag(one(by_class(*root, "stats")), "tbody")), "tr");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]->has_class("aggregated"));
  CHECK(texts(by_tag(*rows[0], "td")) ==
        std::vector<std::string>{"Aggregated", "0", "0", "0", "-", "-", "-", "-", "-", "-", "0.0"});
}

TEST_CASE("write_html_report writes the rendered page and names the path on failure") {
  auto dir = std::filesystem::temp_directory_path() / "lampi_fleet_report_test";
  std::filesystem::create_directories(dir);
  auto path = dir / "report.html";
  write_html_report(path, summary(), timeline(), kConfig, "Soak test");
  std::ifstream in(path, std::ios::binary);
  std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(written == render_html_report(summary(), timeline(), kConfig, "Soak test"));
  std::filesystem::remove_all(dir);

  auto bad = dir / "no such dir" / "report.html";
  try {
    write_html_report(bad, summary(), timeline(), kConfig, "x");
    FAIL("expected an exception");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find(bad.string()) != std::string::npos);
  }
}

// The sample half-hour run (tests/bench/sample_report writes it out for people to look at):
// what a reader looks for in a long run is there to be seen.
TEST_CASE("a half-hour run with an outage shows the dip, the gap and the failed SLO") {
  using namespace lampi::testing;
  const auto tl = sample_timeline();
  const auto html = render_html_report(sample_summary(), tl, sample_config(), kSampleTitle);
  CHECK(html == render_html_report(sample_summary(), tl, sample_config(), kSampleTitle));
  auto root = parse(html);
  CHECK(one(by_tag(*root, "h1")).all_text() == kSampleTitle);

  // One point a second for 30 minutes is under two per pixel column: nothing is thinned.
  const auto& lamps = chart(*root, "lamps");
  auto bridged = points(one(series_lines(lamps, "Bridged")));
  auto backing_off = points(one(series_lines(lamps, "Backing off")));
  REQUIRE(bridged.size() == kSampleSeconds);
  REQUIRE(backing_off.size() == kSampleSeconds);
  // SVG y grows downwards: the outage dips the bridged line and lifts the backing-off one.
  for (int i = 1190; i < 1270; ++i) {
    CAPTURE(i);
    if (in_sample_outage(i)) {
      CHECK(bridged[i].second > bridged[1190].second);
      CHECK(backing_off[i].second < backing_off[1190].second);
    } else {
      CHECK(bridged[i].second == doctest::Approx(bridged[1190].second));
      CHECK(backing_off[i].second == doctest::Approx(backing_off[1190].second));
    }
  }

  // Response times break where no PUBACK came: the first seconds and mid-outage.
  const auto& response = chart(*root, "response-times");
  for (const char* name : {"p50", "p95", "p99"}) {
    CAPTURE(name);
    std::vector<std::size_t> sizes;
    for (const auto* line : series_lines(response, name)) sizes.push_back(points(*line).size());
    CHECK(sizes == std::vector<std::size_t>{1202, 585});  // seconds 4..1205 and 1215..1799
  }
  // The axis reaches past the outage's worst p99, so the peak is drawn, not clipped.
  double worst = 0;
  for (const auto& p : tl) worst = std::max(worst, p.p99_ms);
  auto y_labels = texts(by_class(response, "y"));
  REQUIRE(y_labels.size() >= 3);
  CHECK(std::stod(y_labels[y_labels.size() - 2]) >= worst);  // the last one is the unit

  const auto& slos = one(by_class(*root, "slos"));
  CHECK(one(by_tag(slos, "h2")).all_text() == "Service-level objectives: 1 of 2 failed");
  std::map<std::string, std::string> fact;
  for (const auto* f : by_class(*root, "fact"))
    fact[one(by_class(*f, "label")).all_text()] = one(by_class(*f, "value")).all_text();
  CHECK(fact["Duration"] == "30m 00s");
  CHECK(fact["Requests"] == "2,800,000");
  CHECK(fact["Failures"] == "1,200 (0.04%)");
}
