// The YAML side of the loader, shared by the loader and the key tables: where each key
// was written, mappings whose keys must all be known, and one reader per kind of value.
// Readers check types and formats only; ranges and cross-field rules are validate()'s.
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "fleet/config/config_internal.hpp"
#include "fleet/config/config_loader.hpp"

namespace lampi::fleet::detail {

struct Where {
  int line = 0;  // 1-based; 0: not in the file
  int column = 0;
};

Where where_of(const YAML::Mark& m);

// Remembers where each key path was written so validate()'s errors can point there.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& key, const YAML::Mark& at,
                         const std::string& problem) const;
  void remember(const std::string& key, const YAML::Mark& at) { marks_.emplace(key, where_of(at)); }

  // A check on a key the file did not set may still be caused by its section, e.g. the
  // profile shares' sum: fall back to the nearest enclosing key that was written.
  Where where(std::string key) const;
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::map<std::string, Where> marks_;
};

struct Field {
  YAML::Node node;
  std::string key;  // full path, e.g. broker.tls.ca_file
  YAML::Mark mark;  // of the key: a null value's own mark is on the next line
};

std::string child_key(const std::string& parent, std::string_view name);

using UnknownProblem = std::string (*)(std::string_view name);

// One YAML mapping whose keys must all be known. Null stands for an empty mapping, so
// a section whose keys are all commented out means "defaults".
class Section {
 public:
  Section(Reader& r, const Field& at, std::span<const std::string_view> known,
          UnknownProblem unknown = nullptr);

  const Field* get(std::string_view name) const;
  // In document order, with the key names as written.
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<Field>& fields() const { return fields_; }

 private:
  std::vector<std::string> names_;
  std::vector<Field> fields_;
};

// ---- One reader per kind of value ----

std::string scalar(const Reader& r, const Field& f, std::string_view expected);
// Null reads as "": a key left empty means nothing, as it would for a path.
std::string as_string(const Reader& r, const Field& f);
bool as_bool(const Reader& r, const Field& f);
double as_number(const Reader& r, const Field& f);
Seconds as_duration(const Reader& r, const Field& f);
model::Duration as_model_duration(const Reader& r, const Field& f);
model::DurationRange as_range(Reader& r, const Field& f);
std::uint64_t as_device_id(const Reader& r, const Field& f);

// Whole numbers are read wide and narrowed here, so a negative never wraps around in
// an unsigned field; validate() then applies each key's own limits.
template <class T>
T as_whole(const Reader& r, const Field& f) {
  std::string s = scalar(r, f, "a whole number");
  auto fail_type = [&] { r.fail(f.key, f.mark, "expected a whole number; got " + quote_value(s)); };
  const char* begin = s.data() + (s.starts_with('+') ? 1 : 0);
  const char* end = s.data() + s.size();
  if (s.starts_with('-')) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), end, v);
    bool too_small = ec == std::errc::result_out_of_range;  // still a whole number
    if ((ec != std::errc{} && !too_small) || p != end) fail_type();
    if constexpr (std::is_unsigned_v<T>) {
      r.fail(f.key, f.mark, "must not be negative; got " + excerpt(s));
    } else {
      if (too_small || v < std::numeric_limits<T>::min())
        r.fail(f.key, f.mark, "too small; got " + excerpt(s));
      return static_cast<T>(v);
    }
  }
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(begin, end, v);
  if (ec == std::errc::result_out_of_range && p == end)
    r.fail(f.key, f.mark, "too large; got " + excerpt(s));
  if (ec != std::errc{} || p != end || begin == end) fail_type();
  if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
    r.fail(f.key, f.mark,
           "too large; got " + excerpt(s) + ", at most " +
               std::to_string(std::numeric_limits<T>::max()));
  return static_cast<T>(v);
}

template <class Enum, std::size_t N>
Enum as_choice(const Reader& r, const Field& f,
               const std::array<std::pair<std::string_view, Enum>, N>& choices) {
  std::array<std::string_view, N> names{};
  for (std::size_t i = 0; i < N; ++i) names[i] = choices[i].first;
  std::string expected = "one of " + join(names);
  std::string s = scalar(r, f, expected);
  for (const auto& [name, value] : choices)
    if (s == name) return value;
  std::string problem = "unknown value " + quote_value(s) + "; expected " + expected;
  if (auto near = closest_match(s, names); !near.empty()) problem += "; did you mean " + near + "?";
  r.fail(f.key, f.mark, problem);
}

}  // namespace lampi::fleet::detail
