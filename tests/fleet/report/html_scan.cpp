#include "tests/fleet/report/html_scan.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

namespace lampi::testing::html {

std::string Node::attr(const std::string& name) const {
  auto it = attrs.find(name);
  return it == attrs.end() ? "" : it->second;
}

bool Node::has_class(const std::string& cls) const {
  std::istringstream in(attr("class"));
  std::string word;
  while (in >> word)
    if (word == cls) return true;
  return false;
}

std::string Node::all_text() const {
  if (tag == "#text") return text;
  std::string out;
  for (const auto& c : children) out += c->all_text();
  return out;
}

namespace {

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

}  // namespace

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

}  // namespace lampi::testing::html
