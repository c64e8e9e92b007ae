// The report's configuration table: every setting the run used, under the config file's
// own key (`broker.tls.verify`, `connect.hatch_rate`), so a reader can write the same file
// and run it again. Built from effective_config(), secrets redacted there.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fleet/config/fleet_config.hpp"

namespace lampi::fleet {

using ConfigRows = std::vector<std::pair<std::string, std::string>>;

// In the schema's order; an unset value (no SLO, no broker.url) reads "unset".
ConfigRows config_rows(const FleetConfig& config);

}  // namespace lampi::fleet
