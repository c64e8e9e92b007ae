// `lampi-fleet run`: preflight, the local broker when none is configured, the engine,
// progress, and the summary at the end.
#pragma once

#include <spdlog/logger.h>

#include <memory>

#include "fleet/app/stop_signals.hpp"
#include "fleet/broker/mosquitto_process.hpp"
#include "fleet/config/fleet_config.hpp"

namespace lampi::fleet {

struct RunOptions {
  bool progress_to_terminal = false;
  std::shared_ptr<spdlog::logger> log;  // lifecycle, warnings and errors (see logging.hpp)
  const BlockedStopSignals* stop_signals = nullptr;  // blocked by the caller, waited on here
  bool fresh_state = false;  // --fresh: ignore run.state_file's contents (it is written over)
};

// Returns the process exit code (see exit_code_for in fleet/report/verdict.hpp).
int run_fleet(const FleetConfig& config, const RunOptions& options);

// Every lamp's client certificate and key (fleet/engine/certificate_check.hpp), as `run`
// checks them before it starts anything and `validate` does: false, with the first
// problems logged as errors, when any lamp's would fail.
bool lamp_certificates_pass(const FleetConfig& config, spdlog::logger& log);

// The mosquitto a run without broker.url starts for itself, configured for what `config`
// asks of it (no connection limit, the course's in-flight window; persistence for restart
// faults, no queue limit behind the cloud stand-in).
MosquittoProcess start_local_broker(const FleetConfig& config);

}  // namespace lampi::fleet
