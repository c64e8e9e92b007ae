// The chart writer on its own: tick choice, labels, escaping and thinning, read back
// through the same strict scanner as the report.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "fleet/report/svg_chart.hpp"
#include "tests/fleet/report/html_scan.hpp"

using namespace lampi::fleet;
using namespace lampi::testing::html;

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

TEST_CASE("a marker is a labelled vertical line at its x, inside a widened x range") {
  svg::LineChart c;
  c.id = "knee";
  c.title = "knee";
  c.x_axis = svg::XAxis::kNumber;
  c.series.push_back({"p95", "#000", {{100, 2.0}, {200, 3.0}, {300, 40.0}}});
  c.markers.push_back({.x = 250, .label = "knee: 250 lamps", .color = "#c00"});
  c.markers.push_back({.x = 400, .label = "beyond <the data>", .color = "#00c"});
  auto root = parse(svg::render_line_chart(c));
  auto lines = by_class(*root, "marker");
  REQUIRE(lines.size() == 2);
  auto area = svg::plot_area(c);
  // The range is 100..400, so 250 sits halfway and 400 at the right edge.
  CHECK(number(*lines[0], "x1") == doctest::Approx(area.left + area.width / 2).epsilon(0.01));
  CHECK(number(*lines[0], "x2") == number(*lines[0], "x1"));
  CHECK(number(*lines[1], "x1") == doctest::Approx(area.left + area.width).epsilon(0.01));
  CHECK(number(*lines[0], "y1") == doctest::Approx(area.top));
  CHECK(number(*lines[0], "y2") == doctest::Approx(area.top + area.height));
  CHECK(texts(by_class(*root, "marker-label")) ==
        std::vector<std::string>{"knee: 250 lamps", "beyond <the data>"});
}
