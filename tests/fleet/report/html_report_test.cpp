// The report is checked by parsing what it wrote: a strict little tag scanner rebuilds the
// element tree (so an unescaped '<' or '&' or an unclosed tag fails), then the charts'
// coordinates are read back and compared with the values that went in.
#include <doctest/doctest.h>

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
#include "fleet/report/svg_chart.hpp"

using namespace lampi::fleet;

namespace {

// ---- a strict HTML/SVG scanner --------------------------------------------------------

struct Node {
  std::string tag;  // "#text" for text
  std::map<std::string, std::string> attrs;
  std::string text;
  std::vector<std::unique_ptr<Node>> children;

  std::string attr(const std::string& name) const {
    auto it = attrs.find(name);
    return it == attrs.end() ? "" : it->second;
  }
  bool has_class(const std::string& cls) const {
    std::istringstream in(attr("class"));
    std::string word;
    while (in >> word)
      if (word == cls) return true;
    return false;
  }
  std::string all_text() const {
    if (tag == "#text") return text;
    std::string out;
    for (const auto& c : children) out += c->all_text();
    return out;
  }
};

// Entities the report may emit; any other '&' means text was not escaped.
std::string unescape(std::string_view s) {
  static const std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] != '&') {
      out += s[i++];
      continue;
    }
    bool known = false;
    for (const auto& [entity, c] : kEntities)
      if (s.substr(i).starts_with(entity)) {
        out += c;
        i += entity.size();
        known = true;
        break;
      }
    if (!known) throw std::runtime_error("bare '&' in: " + std::string(s.substr(i, 20)));
  }
  return out;
}

std::unique_ptr<Node> parse(std::string_view html) {
  static const std::vector<std::string> kVoid = {"meta", "br", "hr", "img", "input", "link"};
  auto root = std::make_unique<Node>();
  root->tag = "#root";
  std::vector<Node*> stack{root.get()};
  std::size_t i = 0;
  auto fail = [&](const std::string& why) {
    throw std::runtime_error(why + " at " + std::to_string(i) + ": " +
                             std::string(html.substr(i, 60)));
  };
  auto is_name = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; };
  while (i < html.size()) {
    if (html.substr(i).starts_with("<!--")) {
      i = html.find("-->", i) + 3;
    } else if (html.substr(i).starts_with("<!")) {
      i = html.find('>', i) + 1;
    } else if (html.substr(i).starts_with("</")) {
      auto end = html.find('>', i);
      auto name = std::string(html.substr(i + 2, end - i - 2));
      if (stack.size() < 2 || stack.back()->tag != name)
        fail("</" + name + "> closes <" + stack.back()->tag + ">");
      stack.pop_back();
      i = end + 1;
    } else if (html[i] == '<') {
      auto node = std::make_unique<Node>();
      std::size_t j = i + 1;
      while (j < html.size() && is_name(html[j])) node->tag += html[j++];
      if (node->tag.empty()) fail("bare '<'");
      bool self_closing = false;
      for (;;) {
        while (j < html.size() && std::isspace(static_cast<unsigned char>(html[j]))) ++j;
        if (html.substr(j).starts_with("/>")) {
          self_closing = true;
          j += 2;
          break;
        }
        if (html[j] == '>') {
          ++j;
          break;
        }
        std::string name;
        while (j < html.size() && html[j] != '=' && html[j] != '>' && !std::isspace(html[j]))
          name += html[j++];
        std::string value;
        if (html[j] == '=') {
          char quote = html[j + 1];
          if (quote != '"' && quote != '\'') fail("unquoted attribute " + name);
          auto close = html.find(quote, j + 2);
          value = unescape(html.substr(j + 2, close - j - 2));
          j = close + 1;
        }
        if (!node->attrs.emplace(name, value).second) fail("duplicate attribute " + name);
      }
      Node* raw = node.get();
      stack.back()->children.push_back(std::move(node));
      i = j;
      if (raw->tag == "style" || raw->tag == "script") {
        auto close = html.find("</" + raw->tag + ">", i);
        auto text = std::make_unique<Node>();
        text->tag = "#text";
        text->text = std::string(html.substr(i, close - i));
        raw->children.push_back(std::move(text));
        i = close + raw->tag.size() + 3;
      } else if (!self_closing && std::find(kVoid.begin(), kVoid.end(), raw->tag) == kVoid.end()) {
        stack.push_back(raw);
      }
    } else {
      auto end = std::min(html.find('<', i), html.size());
      auto raw = html.substr(i, end - i);
      if (raw.find('>') != std::string_view::npos) fail("bare '>' in text");
      auto text = std::make_unique<Node>();
      text->tag = "#text";
      text->text = unescape(raw);
      stack.back()->children.push_back(std::move(text));
      i = end;
    }
  }
  if (stack.size() != 1) throw std::runtime_error("unclosed <" + stack.back()->tag + ">");
  return root;
}

template <typename Pred>
void collect(const Node& n, std::vector<const Node*>& out, Pred pred) {
  for (const auto& c : n.children) {
    if (pred(*c)) out.push_back(c.get());
    collect(*c, out, pred);
  }
}
std::vector<const Node*> by_tag(const Node& n, const std::string& tag) {
  std::vector<const Node*> out;
  collect(n, out, [&](const Node& c) { return c.tag == tag; });
  return out;
}
std::vector<const Node*> by_class(const Node& n, const std::string& cls) {
  std::vector<const Node*> out;
  collect(n, out, [&](const Node& c) { return c.has_class(cls); });
  return out;
}
const Node& one(const std::vector<const Node*>& nodes) {
  REQUIRE(nodes.size() == 1);
  return *nodes.front();
}
const Node& chart(const Node& root, const std::string& id) {
  std::vector<const Node*> out;
  collect(root, out, [&](const Node& c) { return c.tag == "svg" && c.attr("data-chart") == id; });
  return one(out);
}
std::vector<const Node*> series_lines(const Node& svg, const std::string& name) {
  std::vector<const Node*> out;
  collect(svg, out,
          [&](const Node& c) { return c.tag == "polyline" && c.attr("data-series") == name; });
  return out;
}
std::vector<std::pair<double, double>> points(const Node& polyline) {
  std::vector<std::pair<double, double>> out;
  std::istringstream in(polyline.attr("points"));
  double x, y;
  char comma;
  while (in >> x >> comma >> y) out.emplace_back(x, y);
  return out;
}
double number(const Node& n, const std::string& name) {
  return std::stod(n.attr(name));
}
std::vector<std::string> texts(const std::vector<const Node*>& nodes) {
  std::vector<std::string> out;
  for (const auto* n : nodes) out.push_back(n->all_text());
  return out;
}

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
  s.rows.push_back(
      {"Aggregated", 13000, 12, 500, true, 12.5, 14.31, 1.5, 250.7, 40.6, 99.9, 108.3});
  s.verdict = "OK: the broker kept up (p95 40.6 ms, 0.09% failures).";
  return s;
}

const ConfigRows kConfig = {
    {"broker", "mqtt://127.0.0.1:1883"}, {"lamps", "1000"}, {"profile", "touch-drag:80,idle:20"}};

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

TEST_CASE("the topic table has a row per TopicRow with its numbers") {
  auto s = summary();
  auto root = render_and_parse(s, timeline());
  const auto& table = one(by_class(*root, "stats"));
  CHECK(texts(by_tag(table, "th")) ==
        std::vector<std::string>{"Topic", "# reqs", "# fails", "# received", "Median", "Average",
                                 "Min", "Max", "p95", "p99", "req/s"});
  auto rows = by_tag(one(by_tag(table, "tbody")), "tr");
  REQUIRE(rows.size() == s.rows.size());
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
  CHECK(fact["Duration"] == "2m 00s");
  CHECK(fact["Lamps"] == "1,000");
  CHECK(fact["Failures"] == "12 (0.09%)");
  CHECK(fact["Requests/s"] == "108.3");
  CHECK(fact["p95 response (ms)"] == "40.6");
  CHECK(fact["p99 response (ms)"] == "99.9");
}

TEST_CASE("text with <, >, & and quotes is escaped everywhere") {
  const std::string nasty = "Soak <b>&\"quoted\"</b> 'x'";
  auto s = summary();
  s.rows[0].name = "devices/<id>/a&b";
  s.verdict = "OK: <fine> & \"dandy\"";
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

TEST_CASE("the verdict's class and colour follow the saturation flags") {
  struct Case {
    bool generator, broker;
    const char* cls;
    const char* badge;
  };
  for (const auto& c : {Case{false, false, "verdict-ok", "OK"},
                        Case{false, true, "verdict-saturated", "BROKER SATURATED"},
                        Case{true, false, "verdict-invalid", "INVALID"},
                        Case{true, true, "verdict-invalid", "INVALID"}}) {
    CAPTURE(c.cls);
    auto s = summary();
    s.generator_saturated = c.generator;
    s.broker_saturated = c.broker;
    s.verdict = std::string(c.badge) + ": because.";
    auto root = render_and_parse(s, timeline());
    const auto& verdict = one(by_class(*root, "verdict"));
    CHECK(verdict.has_class(c.cls));
    CHECK(one(by_class(verdict, "badge")).all_text() == c.badge);
    CHECK(one(by_class(verdict, "detail")).all_text() == "Because.");
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

// ---- the chart writer on its own ------------------------------------------------------

TEST_CASE("nice ticks are round numbers covering the data") {
  auto t = svg::nice_ticks(0, 950, 5);
  CHECK(t.step == 200);
  CHECK(t.values == std::vector<double>{0, 200, 400, 600, 800, 1000});
  CHECK(svg::nice_ticks(0, 7, 5).values == std::vector<double>{0, 2, 4, 6, 8});
  CHECK(svg::nice_ticks(0, 1, 5).step == doctest::Approx(0.2));
  CHECK(svg::nice_ticks(0, 12, 5).step == doctest::Approx(2.5));
  CHECK(svg::nice_ticks(0, 3, 5, 1).values == std::vector<double>{0, 1, 2, 3});
  CHECK(svg::time_ticks(1, 120, 10).step == 15);
  CHECK(svg::time_ticks(1, 120, 10).values.front() == 15);
  CHECK(svg::time_ticks(0, 28800, 10).step == 3600);
  CHECK(svg::format_tick(2.5, 0.5, 10) == "2.5");
  CHECK(svg::format_tick(0.25, 0.25, 1) == "0.25");
  CHECK(svg::format_tick(20000, 5000, 40000) == "20k");
  CHECK(svg::format_tick(1.2e6, 2e5, 2e6) == "1.2M");
  CHECK(svg::format_elapsed(90, 15, 120) == "1:30");
  CHECK(svg::format_elapsed(5400, 1800, 28800) == "1:30");
  CHECK(svg::format_elapsed(3605, 5, 7200) == "1:00:05");
  CHECK(svg::escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

TEST_CASE("a long series is thinned per pixel column but keeps its spike") {
  svg::LineChart c;
  c.id = "long";
  c.title = "long";
  svg::Series s{"v", "#000", {}};
  for (int i = 0; i < 30000; ++i) s.points.push_back({i * 1.0, i == 12345 ? 100.0 : 1.0});
  c.series.push_back(s);
  auto root = parse(svg::render_line_chart(c));
  auto area = svg::plot_area(c);
  auto pts = points(one(series_lines(*root, "v")));
  CHECK(pts.size() <= static_cast<std::size_t>(2 * area.width) + 2);
  CHECK(pts.size() > static_cast<std::size_t>(area.width / 2));
  CHECK(std::any_of(pts.begin(), pts.end(),
                    [&](auto p) { return std::fabs(p.second - area.top) < 0.06; }));
  CHECK(std::is_sorted(pts.begin(), pts.end()));
}

// LAMPI_SAMPLE_REPORT=/tmp/report.html writes a half-hour run with noise, to look at.
TEST_CASE("sample report for eyeballing") {
  const char* path = std::getenv("LAMPI_SAMPLE_REPORT");
  if (!path) return;
  RunTimeline tl;
  unsigned rng = 12345;
  auto noise = [&] {
    rng = rng * 1103515245u + 12345u;
    return static_cast<double>((rng >> 16) & 0x7fff) / 32768.0;
  };
  for (int i = 0; i < 1800; ++i) {
    TimelinePoint p;
    p.t_s = i + 1;
    double ramp = std::min(1.0, i / 300.0);
    p.lamps_bridged = static_cast<std::int64_t>(5000 * ramp) - (i > 1200 && i < 1260 ? 400 : 0);
    p.lamps_connecting = i < 300 ? 200 + static_cast<std::int64_t>(50 * noise()) : 0;
    p.lamps_backing_off = i > 1200 && i < 1260 ? 400 : 0;
    p.requests_per_s = 1700 * ramp + 100 * noise();
    p.failures_per_s = i > 1200 && i < 1260 ? 40 * noise() : 0;
    p.has_latency = i > 3 && !(i > 1205 && i < 1215);
    p.p50_ms = 8 + 4 * ramp + 2 * noise() + (i > 1200 && i < 1260 ? 60 : 0);
    p.p95_ms = p.p50_ms * 2.5 + 5 * noise();
    p.p99_ms = p.p95_ms * 1.6 + 10 * noise();
    p.connects_per_s = i < 300 ? 16 + 3 * noise() : (i >= 1255 && i < 1265 ? 40 : 0);
    p.reconnects_per_s = i >= 1255 && i < 1265 ? 40 : 0;
    tl.push_back(p);
  }
  auto s = summary();
  s.seconds = 1800;
  s.lamps = 5000;
  s.lamps_bridged_peak = 5000;
  s.slos = {{"p95_response_time", "<= 200 ms", "40.6 ms", true},
            {"failure_ratio", "<= 0.05%", "0.09%", false}};
  s.slos_passed = false;
  write_html_report(path, s, tl, kConfig, "Soak: 5000 lamps <touch-drag> & idle");
}
