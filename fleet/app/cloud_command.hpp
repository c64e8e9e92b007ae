// `lampi-fleet cloud`: the cloud stand-in on its own, against a broker lamps already use
// (a fleet in other processes, or real lamps): association and web users (`active`), or
// only watching (`--observe`), until the duration or Ctrl-C; then what it saw and did.
// Without the lamps' side in this process there is no accounting: `run --cloud` has it.
#pragma once

#include <spdlog/logger.h>

#include "fleet/app/stop_signals.hpp"
#include "fleet/config/fleet_config.hpp"

namespace lampi::fleet {

// `config.cloud.mode` active or observe; `config.cloud.url`, else `config.broker`, says
// where. Returns the exit code.
int run_cloud_alone(const FleetConfig& config, const BlockedStopSignals& signals,
                    spdlog::logger& log);

}  // namespace lampi::fleet
