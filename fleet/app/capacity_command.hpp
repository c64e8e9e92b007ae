// `lampi-fleet capacity`: a stepped load that finds the knee (fleet/report/knee_search.hpp
// decides; this drives the engine through each pass and writes the outputs).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "fleet/app/run_command.hpp"
#include "fleet/config/fleet_config.hpp"

namespace lampi::fleet {

// As typed: numbers are read by parse_number_option, so a bad one is quoted with its flag.
struct CapacityOptions {
  std::optional<std::string> start, step, fine_step, max_lamps;
  std::optional<std::string> hold, settle, max_duration;
  std::optional<std::string> p95_ms, max_failure_ratio, min_bridged_ratio;
  std::optional<std::string> response_timeout;
  std::string json;                   // empty: none
  std::optional<std::string> report;  // unset: the default, best effort; "": none
};

// The search's own options (the fleet's, -c, -b, --profile..., are main's).
void add_capacity_options(CLI::App& cmd, CapacityOptions& options);

// Returns the exit code (capacity_exit_code, or kExitUsage for a bad option or an output
// that could not be written). Throws, as run_fleet does, on what stops it before it starts.
int run_capacity(const FleetConfig& config, const CapacityOptions& options,
                 const RunOptions& run_options);

}  // namespace lampi::fleet
