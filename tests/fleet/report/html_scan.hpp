// A strict little HTML/SVG scanner for the report tests: it rebuilds the element tree (so
// an unescaped '<' or '&' or an unclosed tag throws), then finds nodes by tag, class or
// attribute so a test can read back what the report wrote.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lampi::testing::html {

struct Node {
  std::string tag;  // "#text" for text
  std::map<std::string, std::string> attrs;
  std::string text;
  std::vector<std::unique_ptr<Node>> children;

  std::string attr(const std::string& name) const;
  bool has_class(const std::string& cls) const;
  std::string all_text() const;
};

// Throws std::runtime_error on anything a browser would have to guess at.
std::unique_ptr<Node> parse(std::string_view html);

template <typename Pred>
void collect(const Node& n, std::vector<const Node*>& out, Pred pred) {
  for (const auto& c : n.children) {
    if (pred(*c)) out.push_back(c.get());
    collect(*c, out, pred);
  }
}
std::vector<const Node*> by_tag(const Node& n, const std::string& tag);
std::vector<const Node*> by_class(const Node& n, const std::string& cls);
// The one node of `nodes`; REQUIREs there is exactly one.
const Node& one(const std::vector<const Node*>& nodes);
// The <svg> whose data-chart is `id`.
const Node& chart(const Node& root, const std::string& id);
// The <polyline>s of a chart's series.
std::vector<const Node*> series_lines(const Node& svg, const std::string& name);
std::vector<std::pair<double, double>> points(const Node& polyline);
double number(const Node& n, const std::string& name);
std::vector<std::string> texts(const std::vector<const Node*>& nodes);

}  // namespace lampi::testing::html
