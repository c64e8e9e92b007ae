// A small line-chart writer for the HTML run report: inline SVG drawn here so the report
// opens with no network and no JavaScript.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lampi::fleet::svg {

// Escapes &, <, >, " and ' so the text is safe both between tags and inside attributes.
std::string escape(std::string_view text);

struct Point {
  double x = 0;
  std::optional<double> y;  // none (or not finite): the line breaks here
};

struct Series {
  std::string name;           // shown in the legend and as the lines' data-series attribute
  std::string color;          // any CSS colour
  std::vector<Point> points;  // in increasing x
};

enum class XAxis { kNumber, kElapsedTime };

// A dashed vertical line across the plot at `x`, named at its top: a point on the x axis
// the reader must find at once, such as the knee of a capacity search.
struct Marker {
  double x = 0;
  std::string label{};
  std::string color{};  // any CSS colour
};

// The `{}`s let callers use designated initializers under -Wmissing-field-initializers.
struct LineChart {
  std::string id{};  // the <svg>'s id and data-chart attribute
  std::string title{};
  std::string y_label{};
  std::string x_label{};  // empty on an elapsed-time axis: named after its m:ss or h:mm labels
  XAxis x_axis = XAxis::kElapsedTime;
  bool y_integer = false;  // counts: no fractional ticks
  std::vector<Series> series{};
  int width = 1120;
  int height = 300;
  std::vector<Marker> markers{};  // inside the x range: it is widened to hold them
};

struct Ticks {
  double lo = 0, hi = 1, step = 1;  // the axis range
  std::vector<double> values;       // the multiples of step from lo to hi
};

// About `target` steps of 1, 2, 2.5 or 5 times a power of ten (at least min_step), widened
// to cover lo..hi.
Ticks nice_ticks(double lo, double hi, int target, double min_step = 0);

// Multiples of a clock-friendly step (1 s ... 12 h) inside lo..hi; lo and hi are kept.
Ticks time_ticks(double lo, double hi, int target);

// A tick label with as many decimals as the step needs, in k from 10 000 and M from 1 000 000.
std::string format_tick(double value, double step, double largest);

// Elapsed seconds as m:ss, or h:mm (h:mm:ss when the step is under a minute) past an hour.
std::string format_elapsed(double seconds, double step, double largest);

// The plot area inside the chart's margins, in SVG user units.
struct PlotArea {
  double left = 0, top = 0, width = 0, height = 0;
};
PlotArea plot_area(const LineChart& chart);

// One <svg> with a title, axes, grid, tick labels, legend and one <polyline> per unbroken
// run of each series (a lone point becomes a dot), then the markers. Series longer than two points
// per pixel column are thinned to each column's lowest and highest point so peaks survive.
std::string render_line_chart(const LineChart& chart);

}  // namespace lampi::fleet::svg
