#include "fleet/report/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

namespace lampi::fleet::svg {

namespace {

constexpr double kMarginLeft = 72, kMarginRight = 24, kMarginTop = 48, kMarginBottom = 50;
constexpr double kEps = 1e-9;
constexpr std::string_view kAxisColor = "#57606a";
constexpr std::string_view kGridColor = "#e4e7eb";
constexpr std::string_view kLabelColor = "#424a53";

// Coordinates to a tenth of a unit: finer is invisible and only grows the file.
std::string num(double v) {
  return fmt::format("{:.1f}", v);
}

bool usable(const Point& p) {
  return p.y && std::isfinite(*p.y) && std::isfinite(p.x);
}

struct Domain {
  double lo = 0, hi = 1;
};

struct Scale {
  PlotArea area;
  Domain x, y;
  double px(double v) const { return area.left + (v - x.lo) / (x.hi - x.lo) * area.width; }
  double py(double v) const {
    return area.top + area.height - (v - y.lo) / (y.hi - y.lo) * area.height;
  }
};

Domain x_domain(const LineChart& chart) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : chart.series)
    for (const auto& p : s.points)
      if (std::isfinite(p.x)) {
        lo = std::min(lo, p.x);
        hi = std::max(hi, p.x);
      }
  for (const auto& m : chart.markers)
    if (std::isfinite(m.x)) {
      lo = std::min(lo, m.x);
      hi = std::max(hi, m.x);
    }
  if (lo > hi) return {0, 1};
  if (hi - lo < kEps) return {lo, lo + 1};
  return {lo, hi};
}

std::pair<double, double> y_extent(const LineChart& chart) {
  double lo = 0, hi = 0;  // the value axis always shows zero so rates are not exaggerated
  for (const auto& s : chart.series)
    for (const auto& p : s.points)
      if (usable(p)) {
        lo = std::min(lo, *p.y);
        hi = std::max(hi, *p.y);
      }
  if (hi - lo < kEps) hi = lo + 1;
  return {lo, hi};
}

// Every unbroken run of drawable points, in plot coordinates.
std::vector<std::vector<std::pair<double, double>>> segments(const Series& s, const Scale& sc) {
  std::vector<std::vector<std::pair<double, double>>> out;
  bool open = false;
  for (const auto& p : s.points) {
    if (!usable(p)) {
      open = false;
      continue;
    }
    if (!open) out.emplace_back();
    open = true;
    out.back().emplace_back(sc.px(p.x), sc.py(*p.y));
  }
  return out;
}

// Keeps each pixel column's highest and lowest point, in their original order, so an
// eight-hour run stays a few hundred kilobytes without hiding its spikes.
std::vector<std::pair<double, double>> thin(std::vector<std::pair<double, double>> pts, double left,
                                            double width) {
  if (pts.size() <= static_cast<std::size_t>(2 * width)) return pts;
  std::vector<std::pair<double, double>> out;
  std::size_t begin = 0;
  while (begin < pts.size()) {
    auto column = std::floor(pts[begin].first - left);
    // SVG y grows downwards: the smallest y is the highest value.
    std::size_t end = begin, top = begin, bottom = begin;
    while (end < pts.size() && std::floor(pts[end].first - left) == column) {
      if (pts[end].second < pts[top].second) top = end;
      if (pts[end].second > pts[bottom].second) bottom = end;
      ++end;
    }
    out.push_back(pts[std::min(top, bottom)]);
    if (top != bottom) out.push_back(pts[std::max(top, bottom)]);
    begin = end;
  }
  return out;
}

double text_width(std::string_view text, double font_px) {
  return static_cast<double>(text.size()) * font_px * 0.6;
}

void legend(std::string& out, const LineChart& chart, const PlotArea& a) {
  constexpr double kFont = 12, kSwatch = 18, kGap = 6, kSpacing = 18;
  double total = 0;
  for (const auto& s : chart.series) total += kSwatch + kGap + text_width(s.name, kFont) + kSpacing;
  double x = a.left + a.width - total + kSpacing;
  out += "<g class=\"legend\">";
  for (const auto& s : chart.series) {
    out += fmt::format(
        "<g class=\"legend-item\"><line x1=\"{}\" y1=\"22\" x2=\"{}\" y2=\"22\" stroke=\"{}\" "
        "stroke-width=\"3\" stroke-linecap=\"round\"/><text x=\"{}\" y=\"26\" font-size=\"{}\" "
        "fill=\"{}\">{}</text></g>",
        num(x), num(x + kSwatch), escape(s.color), num(x + kSwatch + kGap), kFont, kLabelColor,
        escape(s.name));
    x += kSwatch + kGap + text_width(s.name, kFont) + kSpacing;
  }
  out += "</g>";
}

void axes(std::string& out, const LineChart& chart, const Scale& sc, const Ticks& tx,
          const Ticks& ty) {
  const auto& a = sc.area;
  double bottom = a.top + a.height;
  out += "<g class=\"grid\">";
  for (double v : ty.values)
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>", num(a.left),
                       num(sc.py(v)), num(a.left + a.width), num(sc.py(v)), kGridColor);
  for (double v : tx.values)
    out += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
        "stroke-dasharray=\"2 3\"/>",
        num(sc.px(v)), num(a.top), num(sc.px(v)), num(bottom), kGridColor);
  out += "</g><g class=\"axis\">";
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\"/>",
                     num(a.left), num(a.top), num(bottom), kAxisColor);
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\"/>",
                     num(a.left), num(bottom), num(a.left + a.width), kAxisColor);
  double largest_y = std::max(std::fabs(ty.lo), std::fabs(ty.hi));
  for (double v : ty.values)
    out += fmt::format(
        "<text class=\"tick-label y\" x=\"{}\" y=\"{}\" dy=\"0.32em\" text-anchor=\"end\" "
        "font-size=\"11\" fill=\"{}\">{}</text>",
        num(a.left - 8), num(sc.py(v)), kLabelColor, escape(format_tick(v, ty.step, largest_y)));
  bool elapsed = chart.x_axis == XAxis::kElapsedTime;
  double largest_x = std::max(std::fabs(sc.x.lo), std::fabs(sc.x.hi));
  for (double v : tx.values) {
    auto label =
        elapsed ? format_elapsed(v, tx.step, largest_x) : format_tick(v, tx.step, largest_x);
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\"/>"
        "<text class=\"tick-label x\" x=\"{0}\" y=\"{4}\" text-anchor=\"middle\" font-size=\"11\" "
        "fill=\"{5}\">{6}</text>",
        num(sc.px(v)), num(bottom), num(bottom + 5), kAxisColor, num(bottom + 18), kLabelColor,
        escape(label));
  }
  std::string x_label = chart.x_label;
  if (x_label.empty() && elapsed)
    x_label = largest_x >= 3600 ? (tx.step >= 60 ? "elapsed (h:mm)" : "elapsed (h:mm:ss)")
                                : "elapsed (m:ss)";
  out += fmt::format(
      "<text class=\"axis-label x\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" "
      "fill=\"{}\">{}</text>",
      num(a.left + a.width / 2), num(bottom + 38), kLabelColor, escape(x_label));
  double mid = a.top + a.height / 2;
  out += fmt::format(
      "<text class=\"axis-label y\" x=\"16\" y=\"{0}\" transform=\"rotate(-90 16 {0})\" "
      "text-anchor=\"middle\" font-size=\"12\" fill=\"{1}\">{2}</text>",
      num(mid), kLabelColor, escape(chart.y_label));
  out += "</g>";
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Ticks nice_ticks(double lo, double hi, int target, double min_step) {
  if (!(hi > lo)) hi = lo + 1;
  double rough = (hi - lo) / std::max(1, target);
  double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
  double r = rough / magnitude;
  double nice = r <= 1 + kEps     ? 1
                : r <= 2 + kEps   ? 2
                : r <= 2.5 + kEps ? 2.5
                : r <= 5 + kEps   ? 5
                                  : 10;
  Ticks t;
  t.step = std::max(nice * magnitude, min_step);
  auto first = std::floor(lo / t.step + kEps);
  auto last = std::ceil(hi / t.step - kEps);
  t.lo = first * t.step;
  t.hi = last * t.step;
  for (double k = first; k <= last + kEps; k += 1) t.values.push_back(k * t.step);
  return t;
}

Ticks time_ticks(double lo, double hi, int target) {
  static constexpr std::array<double, 17> kSteps = {
      1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200};
  if (!(hi > lo)) hi = lo + 1;
  double span = hi - lo;
  Ticks t{lo, hi, 0, {}};
  for (double s : kSteps)
    if (span / s <= target + kEps) {
      t.step = s;
      break;
    }
  if (t.step == 0) t.step = 86400 * std::ceil(span / target / 86400);
  for (double k = std::ceil(lo / t.step - kEps); k * t.step <= hi + kEps; k += 1)
    t.values.push_back(k * t.step);
  return t;
}

std::string format_tick(double value, double step, double largest) {
  double divisor = largest >= 1e6 ? 1e6 : largest >= 1e4 ? 1e3 : 1;
  const char* suffix = divisor == 1e6 ? "M" : divisor == 1e3 ? "k" : "";
  double s = step / divisor;
  int decimals = 0;
  for (double scaled = s;
       decimals < 6 && std::fabs(scaled - std::round(scaled)) > 1e-6 * std::max(1.0, scaled);
       scaled *= 10)
    ++decimals;
  double v = value / divisor;
  if (std::fabs(v) < 1e-12) v = 0;  // no "-0"
  return fmt::format("{:.{}f}{}", v, decimals, suffix);
}

std::string format_elapsed(double seconds, double step, double largest) {
  auto total = static_cast<long long>(std::llround(seconds));
  const char* sign = total < 0 ? "-" : "";
  total = total < 0 ? -total : total;
  if (largest >= 3600) {
    if (step >= 60) return fmt::format("{}{}:{:02}", sign, total / 3600, total % 3600 / 60);
    return fmt::format("{}{}:{:02}:{:02}", sign, total / 3600, total % 3600 / 60, total % 60);
  }
  return fmt::format("{}{}:{:02}", sign, total / 60, total % 60);
}

PlotArea plot_area(const LineChart& chart) {
  return {kMarginLeft, kMarginTop, chart.width - kMarginLeft - kMarginRight,
          chart.height - kMarginTop - kMarginBottom};
}

std::string render_line_chart(const LineChart& chart) {
  Scale sc;
  sc.area = plot_area(chart);
  sc.x = x_domain(chart);
  auto [ylo, yhi] = y_extent(chart);
  auto ty = nice_ticks(ylo, yhi, 5, chart.y_integer ? 1.0 : 0.0);
  sc.y = {ty.lo, ty.hi};
  auto tx = chart.x_axis == XAxis::kElapsedTime ? time_ticks(sc.x.lo, sc.x.hi, 10) : [&] {
    auto t = nice_ticks(sc.x.lo, sc.x.hi, 10);
    std::erase_if(t.values, [&](double v) { return v < sc.x.lo - kEps || v > sc.x.hi + kEps; });
    return t;
  }();

  std::string out;
  out += fmt::format(
      "<svg class=\"chart\" id=\"{0}\" data-chart=\"{0}\" viewBox=\"0 0 {1} {2}\" width=\"{1}\" "
      "height=\"{2}\" role=\"img\" aria-labelledby=\"{0}-title\"><title id=\"{0}-title\">{3}"
      "</title>",
      escape(chart.id), chart.width, chart.height, escape(chart.title));
  out += fmt::format(
      "<rect class=\"plot-area\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fbfcfd\"/>",
      num(sc.area.left), num(sc.area.top), num(sc.area.width), num(sc.area.height));
  out += fmt::format(
      "<text class=\"chart-title\" x=\"{}\" y=\"26\" font-size=\"15\" font-weight=\"600\" "
      "fill=\"#1f2328\">{}</text>",
      num(sc.area.left), escape(chart.title));
  legend(out, chart, sc.area);
  axes(out, chart, sc, tx, ty);

  bool drawn = false;
  out += "<g class=\"lines\">";
  for (const auto& s : chart.series) {
    for (auto& seg : segments(s, sc)) {
      drawn = true;
      if (seg.size() == 1) {
        out += fmt::format(
            "<circle class=\"series-dot\" data-series=\"{}\" cx=\"{}\" cy=\"{}\" r=\"2\" "
            "fill=\"{}\"/>",
            escape(s.name), num(seg[0].first), num(seg[0].second), escape(s.color));
        continue;
      }
      out += fmt::format("<polyline class=\"series\" data-series=\"{}\" points=\"", escape(s.name));
      bool first = true;
      for (const auto& [x, y] : thin(std::move(seg), sc.area.left, sc.area.width)) {
        if (!first) out += ' ';
        first = false;
        out += num(x) + ',' + num(y);
      }
      out += fmt::format(
          "\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\" stroke-linejoin=\"round\" "
          "stroke-linecap=\"round\"/>",
          escape(s.color));
    }
  }
  out += "</g>";
  if (!chart.markers.empty()) {
    out += "<g class=\"markers\">";
    for (const auto& m : chart.markers) {
      if (!std::isfinite(m.x)) continue;
      const double x = sc.px(m.x);
      // Near the right edge the label reads leftwards, so it stays inside the chart.
      const bool right_half = x > sc.area.left + sc.area.width / 2;
      out += fmt::format(
          "<line class=\"marker\" data-marker=\"{0}\" x1=\"{1}\" y1=\"{2}\" x2=\"{1}\" "
          "y2=\"{3}\" stroke=\"{4}\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>"
          "<text class=\"marker-label\" x=\"{5}\" y=\"{6}\" text-anchor=\"{7}\" "
          "font-size=\"11\" fill=\"{4}\">{0}</text>",
          escape(m.label), num(x), num(sc.area.top), num(sc.area.top + sc.area.height),
          escape(m.color), num(right_half ? x - 4 : x + 4), num(sc.area.top + 12),
          right_half ? "end" : "start");
    }
    out += "</g>";
  }
  if (!drawn)
    out += fmt::format(
        "<text class=\"no-data\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" "
        "fill=\"#8c959f\">no samples</text>",
        num(sc.area.left + sc.area.width / 2), num(sc.area.top + sc.area.height / 2));
  out += "</svg>";
  return out;
}

}  // namespace lampi::fleet::svg
