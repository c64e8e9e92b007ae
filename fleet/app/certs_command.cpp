#include "fleet/app/certs_command.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "firmware_model/device_id.hpp"
#include "fleet/certs/lamp_certificates.hpp"
#include "fleet/config/config_loader.hpp"

namespace lampi::fleet {

namespace {

void make_folder(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return;
  std::filesystem::create_directories(dir.parent_path().empty() ? "." : dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::runtime_error(
        fmt::format("cannot create the folder {}: {}", dir.string(), std::strerror(errno)));
}

}  // namespace

int issue_certs(const CertsOptions& options, const FleetConfig& fleet, spdlog::logger& log) {
  if (options.new_ca && !(options.ca_cert.empty() && options.ca_key.empty()))
    throw ConfigError("command line", "--new-ca",
                      "makes a CA of its own: give it, or --ca-cert and --ca-key, not both");
  if (!options.new_ca && (options.ca_cert.empty() || options.ca_key.empty()))
    throw ConfigError("command line", options.ca_cert.empty() ? "--ca-cert" : "--ca-key",
                      "give the CA that signs the lamps' certificates (--ca-cert and --ca-key, "
                      "e.g. the course's lampi_ca.crt and its key), or --new-ca for a new one "
                      "(once: the other shards then sign with it)");
  const std::filesystem::path dir = options.out;
  make_folder(dir);
  const auto valid = std::chrono::days(options.days);
  std::filesystem::path ca_file = options.ca_cert;
  auto ca = [&] {
    if (!options.new_ca) return CertificateAuthority::load(options.ca_cert, options.ca_key);
    ca_file = dir / "lampi_ca.crt";
    CertificateAuthority made = CertificateAuthority::create("lampi-fleet test CA", valid);
    made.save(ca_file, dir / "lampi_ca.key");
    log.info("Wrote a new CA: {} and its key {}", ca_file.string(),
             (dir / "lampi_ca.key").string());
    return made;
  }();
  const LampSlice lamps = shard_slice(fleet);
  const auto started = std::chrono::steady_clock::now();
  const std::size_t kept = issue_lamp_certificates(ca, {.device_id_base = fleet.device_id_base,
                                                        .lamps = lamps,
                                                        .dir = dir,
                                                        .valid = valid,
                                                        .threads = fleet.threads,
                                                        .keep_existing = options.keep_existing});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (kept > 0) log.info("Kept {} lamps whose certificate and key were there already", kept);
  log.info(
      "Wrote {} lamps' certificates and keys (CN <id>_broker, {} to {}) in {:.2f} s, {:.0f} "
      "a second",
      lamps.count - kept, model::device_id_at(fleet.device_id_base, lamps.first).str(),
      model::device_id_at(fleet.device_id_base, lamps.first + lamps.count - 1).str(), seconds,
      seconds > 0 ? static_cast<double>(lamps.count - kept) / seconds : 0.0);
  fmt::print("--ca-file {} --cert-template '{}' --key-template '{}'\n", ca_file.string(),
             (dir / "{id}_broker.crt").string(), (dir / "{id}_broker.key").string());
  return 0;
}

}  // namespace lampi::fleet
