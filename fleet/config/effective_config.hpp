// The settings a run used, for its summary: every key of the config (the schema's own
// names and sections, config_schema.cpp) with the value in effect, whether the file, the
// command line or the default set it. Secrets are never shown.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

#include "fleet/config/fleet_config.hpp"

namespace lampi::fleet {

// What a secret (broker.password) is shown as when it is set; an empty one shows as "".
inline constexpr std::string_view kRedacted = "<redacted>";

// Nested as the YAML file is ({"broker": {"url": ..., "tls": {"verify": true}}, ...}), each
// value as the file would write it ("5s", ["300ms", "2s"], "1e0000000000"), so the result,
// less its null (unset) values, is itself a config that loads as the same settings, the
// password apart. null: unset (no broker.url, no SLO, report.html left to its default).
nlohmann::ordered_json effective_config(const FleetConfig& config);

}  // namespace lampi::fleet
