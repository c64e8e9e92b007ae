// Which shard of a fleet this process is, when neither the config nor the command line
// says: the orchestrator that started it does. Kubernetes numbers an Indexed Job's pods in
// JOB_COMPLETION_INDEX and a StatefulSet's pods in their host names (lampi-fleet-0, -1, ...),
// so one manifest with one config starts every shard.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "fleet/config/config_loader.hpp"
#include "fleet/config/fleet_config.hpp"

namespace lampi::fleet {

struct ShardIndexFound {
  std::size_t index = 0;
  std::string source;  // for the log: "JOB_COMPLETION_INDEX=2", "the host name lampi-fleet-2"
};

// What the process's environment says, given as values so it can be tested: an Indexed
// Job's JOB_COMPLETION_INDEX (null: unset) first, then, in a Kubernetes pod only
// (KUBERNETES_SERVICE_HOST set), a StatefulSet pod's host name ending "-N".
std::optional<ShardIndexFound> shard_index_from_environment(const char* job_completion_index,
                                                            bool in_kubernetes,
                                                            std::string_view hostname);

// Fills config.shard.index when it is unset and something says: 0 for a fleet of one
// shard, else the environment (this process's own, read here; see above). Returns where the index
// came from ("" when it was given or there is one shard), or nothing when nothing says.
// Throws ConfigError naming shard.index when the environment names no shard of the fleet.
std::optional<std::string> find_shard_index(FleetConfig& config);

// find_shard_index() for the commands that need the index (run, certs): nothing found is
// a ConfigError saying what to set, and how.
std::string require_shard_index(FleetConfig& config);

}  // namespace lampi::fleet
