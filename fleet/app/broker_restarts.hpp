// faults.events of kind `restart`, carried out on the local mosquitto the run started: it
// is stopped with SIGTERM (so it saves its sessions and retained messages, as a broker
// restarted by its operator does) and started again on the same port `lasting` later.
// Driven from the run loop's thread, the one that started the broker: the broker's
// death-with-parent signal is tied to that thread, so no other thread may start it.
#pragma once

#include <spdlog/logger.h>

#include <cstddef>
#include <vector>

#include "fleet/broker/mosquitto_process.hpp"
#include "fleet/config/fleet_config.hpp"
#include "fleet/engine/fleet_engine.hpp"

namespace lampi::fleet {

class BrokerRestarts {
 public:
  // `local` null: the run has no broker of its own (validation refuses restarts then).
  BrokerRestarts(const std::vector<FaultEvent>& events, MosquittoProcess* local,
                 FleetEngine& engine, spdlog::logger& log);

  // About once a second, `now_s` into the run: stops or starts the broker when due.
  void step(double now_s);
  // Stopped on purpose and not started again yet: its absence is no crash.
  bool broker_down() const { return down_; }
  // The run is ending: a broker still down comes back now, for the lamps' goodbyes and the
  // cloud's last deliveries.
  void bring_back() {
    if (down_) step(up_at_s_);
  }

 private:
  const std::vector<FaultEvent>& events_;
  MosquittoProcess* local_;
  FleetEngine& engine_;
  spdlog::logger& log_;
  std::size_t next_ = 0;  // the next event to look at
  bool down_ = false;
  double up_at_s_ = 0;
  std::size_t failed_starts_ = 0;
};

}  // namespace lampi::fleet
