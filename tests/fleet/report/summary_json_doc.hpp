// Reading docs/summary-json.md's field tables, and a JSON document's field paths in the
// same spelling ("topics[].latency_histogram.buckets"), for the test that holds the two
// to each other.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/support/read_text.hpp"

namespace lampi::testing {

// Objects keyed by data (a reason, a class, the config's own keys) rather than by field
// name: documented as one field, not recursed into.
inline bool keyed_by_data(const std::string& path) {
  return path == "disconnects" || path == "set_config_invalid" || path == "config";
}

// Every field's path, containers included: an object's fields under "a.b", the fields of
// an array's objects under "a[].b"; any other array is one field.
inline void collect_paths(const nlohmann::json& j, const std::string& path,
                          std::set<std::string>& out) {
  if (keyed_by_data(path)) return;
  auto fields_of = [&](const nlohmann::json& object, const std::string& prefix) {
    for (const auto& [key, value] : object.items()) {
      out.insert(prefix + key);
      collect_paths(value, prefix + key, out);
    }
  };
  if (j.is_object()) {
    fields_of(j, path.empty() ? "" : path + ".");
  } else if (j.is_array() && !j.empty() && j.front().is_object()) {
    for (const auto& element : j) fields_of(element, path + "[].");
  }
}

inline std::set<std::string> paths_of(const nlohmann::json& j) {
  std::set<std::string> out;
  collect_paths(j, "", out);
  return out;
}

inline std::string summary_json_doc() {
  return read_text(std::filesystem::path(LAMPI_SOURCE_DIR) / "docs" / "summary-json.md");
}

// The first cell of every table row that names a field: "| `topics[].name` | ...".
inline std::set<std::string> documented_paths(const std::string& doc) {
  std::set<std::string> out;
  static const std::regex row(R"(^\| `([^`]+)` \|)");
  std::istringstream lines(doc);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row)) out.insert(m[1]);
  }
  return out;
}

// The doc's one ```json block.
inline nlohmann::json documented_example(const std::string& doc) {
  auto start = doc.find("```json\n");
  REQUIRE(start != std::string::npos);
  start += 8;
  auto end = doc.find("```", start);
  REQUIRE(end != std::string::npos);
  return nlohmann::json::parse(doc.substr(start, end - start));
}

}  // namespace lampi::testing
