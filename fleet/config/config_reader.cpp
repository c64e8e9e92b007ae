// YAML scalars to typed values, with errors that name the key and point at the line it
// was written on.
#include "fleet/config/config_reader.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>

namespace lampi::fleet::detail {

Where where_of(const YAML::Mark& m) {
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

void Reader::fail(const std::string& key, const YAML::Mark& at, const std::string& problem) const {
  auto w = where_of(at);
  throw ConfigError(source_, key, problem, w.line, w.column);
}

Where Reader::where(std::string key) const {
  while (true) {
    if (auto it = marks_.find(key); it != marks_.end()) return it->second;
    auto cut = key.find_last_of(".[");
    if (cut == std::string::npos) return {};
    key.resize(cut);
  }
}

std::string child_key(const std::string& parent, std::string_view name) {
  return parent.empty() ? std::string(name) : parent + "." + std::string(name);
}

Section::Section(Reader& r, const Field& at, std::span<const std::string_view> known,
                 UnknownProblem unknown) {
  if (!at.node.IsDefined() || at.node.IsNull()) return;
  if (!at.node.IsMap())
    r.fail(at.key, at.mark,
           at.key.empty() ? "the file must be a mapping of keys, e.g. lamps: 1000"
                          : "expected a mapping of keys (key: value)");
  // By value: yaml-cpp's iterators hand out temporaries.
  for (auto item : at.node) {
    const YAML::Node k = item.first;
    if (!k.IsScalar()) r.fail(at.key, k.Mark(), "keys must be plain names");
    std::string name = k.Scalar();
    std::string key = child_key(at.key, name);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      const std::string shown = child_key(at.key, excerpt(name));  // a name may be megabytes
      if (unknown != nullptr) r.fail(shown, k.Mark(), unknown(name));
      std::string problem = "unknown key";
      if (name == "<<") problem += " (YAML merge keys are not supported)";
      problem += "; expected one of " + join(known);
      if (auto near = closest_match(name, known); !near.empty())
        problem += "; did you mean " + near + "?";
      r.fail(shown, k.Mark(), problem);
    }
    for (const auto& f : fields_)
      if (f.key == key)
        r.fail(key, k.Mark(),
               "duplicate key; it is already set at line " + std::to_string(where_of(f.mark).line));
    r.remember(key, k.Mark());
    names_.push_back(name);
    fields_.push_back({item.second, key, k.Mark()});
  }
}

const Field* Section::get(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return &fields_[i];
  return nullptr;
}

// ---- Scalars ----

std::string scalar(const Reader& r, const Field& f, std::string_view expected) {
  if (f.node.IsNull()) r.fail(f.key, f.mark, "no value; expected " + std::string(expected));
  if (!f.node.IsScalar())
    r.fail(f.key, f.mark,
           std::string(f.node.IsMap() ? "a mapping" : "a list") + "; expected " +
               std::string(expected));
  return f.node.Scalar();
}

std::string as_string(const Reader& r, const Field& f) {
  if (f.node.IsNull()) return {};
  return scalar(r, f, "a string");
}

bool as_bool(const Reader& r, const Field& f) {
  std::string s = scalar(r, f, "true or false");
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // YAML 1.1 spellings too: people write "verify: no".
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  r.fail(f.key, f.mark, "expected true or false; got " + quote_value(f.node.Scalar()));
}

double as_number(const Reader& r, const Field& f) {
  std::string s = scalar(r, f, "a number");
  double v = 0;
  const char* begin = s.data() + (s.starts_with('+') ? 1 : 0);
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  bool plain = std::all_of(s.begin(), s.end(),
                           [](char c) { return std::strchr("0123456789+-.eE", c) != nullptr; });
  if (s.empty() || !plain || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v))
    r.fail(f.key, f.mark, "expected a number; got " + quote_value(s));
  return v;
}

Seconds as_duration(const Reader& r, const Field& f) {
  std::string s = scalar(r, f, "a duration such as 500ms, 2.5s, 10m or 1h30m");
  try {
    return parse_duration(s);
  } catch (const ConfigError& e) {
    r.fail(f.key, f.mark, e.problem());
  }
}

model::Duration as_model_duration(const Reader& r, const Field& f) {
  return std::chrono::round<model::Duration>(as_duration(r, f));
}

model::DurationRange as_range(Reader& r, const Field& f) {
  const std::string expected = "[min, max], e.g. [300ms, 2s], or one duration";
  if (f.node.IsSequence()) {
    if (f.node.size() != 2)
      r.fail(f.key, f.mark,
             "a list of " + std::to_string(f.node.size()) + "; expected " + expected);
    Field lo{f.node[0], f.key + "[0]", f.node[0].Mark()};
    Field hi{f.node[1], f.key + "[1]", f.node[1].Mark()};
    r.remember(lo.key, lo.mark);
    r.remember(hi.key, hi.mark);
    return {as_model_duration(r, lo), as_model_duration(r, hi)};
  }
  auto d = as_model_duration(r, f);
  return {d, d};
}

std::uint64_t as_device_id(const Reader& r, const Field& f) {
  std::string s = scalar(r, f, "up to 12 hex digits");
  try {
    return parse_device_id_base(s);
  } catch (const ConfigError& e) {
    r.fail(f.key, f.mark, e.problem());
  }
}

}  // namespace lampi::fleet::detail
