// `lampi-fleet run`: preflight, the local broker when none is configured, the engine,
// progress, and the summary at the end.
#pragma once

#include <spdlog/logger.h>

#include <memory>

#include "fleet/config/fleet_config.hpp"

namespace lampi::fleet {

struct RunOptions {
  bool progress_to_terminal = false;
  std::shared_ptr<spdlog::logger> log;  // lifecycle, warnings and errors (see logging.hpp)
};

// Returns the process exit code: 0 ok, 1 a failed run (e.g. broken SLOs), 2 bad setup.
int run_fleet(const FleetConfig& config, const RunOptions& options);

}  // namespace lampi::fleet
