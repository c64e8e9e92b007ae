// Before the first lamp connects: every lamp's client certificate and key, checked the way
// the handshake and the broker will check them, so a soak does not find lamp 4,321's
// expired certificate an hour in, nor a lamp that connects as another lamp (same CN).
// Reads files and nothing else: no sockets, no logging; the problems come back as data.
#pragma once

#include <cstddef>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "firmware_model/device_id.hpp"
#include "fleet/config/fleet_config.hpp"

namespace lampi::fleet {

// One thing wrong with one file. `lamp` is empty for a problem of the fleet's own (the
// CA file cannot be read as certificates).
struct CertificateProblem {
  std::optional<model::DeviceId> lamp;
  std::string file;
  std::string problem;  // what is wrong with the file, e.g. "is empty; expected ..."
};

// "lamp 1e0000000003: certs/1e0000000003_broker.crt: is empty; expected ..."
std::string describe(const CertificateProblem& problem);

struct CertificateCheckOptions {
  std::time_t now = std::time(nullptr);  // validity is judged at this time
  unsigned threads = 0;                  // 0: one per core, fewer for small fleets
};

// For each of the config's lamps, when it has per-lamp client certificates
// (broker.tls.cert_file; otherwise there is nothing to check): the certificate and key
// exist, are PEM, and belong together; the certificate's CN is the lamp's `<id>_broker`
// (unless broker.tls.check_cn is false); it is valid at `now` and, when
// broker.tls.client_ca_file or ca_file is given, verifies against that CA as a TLS client
// certificate (what the broker checks); and no two lamps have the same certificate (one
// file, or copies of one). In lamp order, a lamp's certificate before its key.
std::vector<CertificateProblem> check_certificates(const FleetConfig& config,
                                                   const CertificateCheckOptions& options = {});

// Log lines for a failed check: what failed, the first `shown` problems, one a line, and
// how many more there are, so ten thousand bad lamps stay a screenful.
std::vector<std::string> certificate_report(const std::vector<CertificateProblem>& problems,
                                            std::size_t lamps, std::size_t shown = 10);

}  // namespace lampi::fleet
