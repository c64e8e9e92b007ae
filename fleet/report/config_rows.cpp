#include "fleet/report/config_rows.hpp"

#include <fmt/format.h>

#include "fleet/config/config_schema.hpp"
#include "fleet/config/effective_config.hpp"

namespace lampi::fleet {

namespace {

std::string shown(const nlohmann::ordered_json& value) {
  if (value.is_null()) return "unset";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return fmt::format("{}", value.get<double>());  // 250, not 250.0
  return value.dump();  // numbers, booleans, lists and maps as YAML's flow style reads them
}

// Walks the schema, not the JSON: a value that is itself a map (workload.profiles) stays
// one row, and the rows come in the schema's (and docs/config.md's) order.
void add_rows(std::span<const detail::Key> keys, const nlohmann::ordered_json& section,
              const std::string& prefix, ConfigRows& out) {
  for (const auto& key : keys) {
    std::string name = prefix + std::string(key.name);
    const auto& value = section.at(std::string(key.name));
    if (!key.keys.empty())
      add_rows(key.keys, value, name + ".", out);
    else
      out.emplace_back(name, shown(value));
  }
}

}  // namespace

ConfigRows config_rows(const FleetConfig& config) {
  ConfigRows rows;
  add_rows(detail::root_keys(), effective_config(config), "", rows);
  return rows;
}

}  // namespace lampi::fleet
