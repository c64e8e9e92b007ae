// Before anything connects: can this machine hold the fleet? File descriptors, local
// ports per source address, and the broker address, checked up front so a run does
// not fail halfway through its ramp.
#pragma once

#include <cstddef>
#include <string>

#include "fleet/config/fleet_config.hpp"
#include "fleet/engine/fleet_engine.hpp"

namespace lampi::fleet {

struct Capacity {
  std::size_t fd_limit = 0;      // after raising the soft limit to the hard one
  std::size_t fd_reserved = 64;  // logs, metrics, the event loops
  std::size_t ports_per_source = 0;
  std::size_t sources = 1;
  std::size_t max_lamps() const;
  std::string describe() const;
};

// Raises RLIMIT_NOFILE's soft limit to the hard limit and reads the port range.
Capacity measure_capacity(std::size_t source_addresses);

// Throws std::runtime_error saying what limits the fleet and what to change.
void check_capacity(const Capacity& capacity, std::size_t lamps);

// Resolves the broker host once, to a numeric address for every connect.
ResolvedBroker resolve_broker(const BrokerTarget& target);

}  // namespace lampi::fleet
