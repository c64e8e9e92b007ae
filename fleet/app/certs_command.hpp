// `lampi-fleet certs`: a client certificate and key per lamp of the fleet (or of this
// shard of it), CN <id>_broker, signed by the course CA or a new one, where the TLS
// options' {id} templates will find them.
#pragma once

#include <string>

#include <spdlog/logger.h>

#include "fleet/config/fleet_config.hpp"

namespace lampi::fleet {

struct CertsOptions {
  std::string out;      // the folder, made (0700: it holds keys) when missing
  std::string ca_cert;  // the CA that signs; with ca_key
  std::string ca_key;
  bool new_ca = false;  // make one instead, as out/lampi_ca.crt and out/lampi_ca.key
  unsigned days = 825;
  bool keep_existing = false;  // keep lamps whose two files are there (a rerun)
};

// `fleet` gives the lamps (its shard's slice), their IDs and the threads.
int issue_certs(const CertsOptions& options, const FleetConfig& fleet, spdlog::logger& log);

}  // namespace lampi::fleet
