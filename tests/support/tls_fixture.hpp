// TLS tests' certificates, made with the openssl CLI as chapter 13 makes them (a CA, a
// broker certificate, one client certificate per lamp with CN <id>_broker), and a
// mosquitto TLS listener configured like the course's EC2 broker. Keys are P-256 so the
// suites do not wait on RSA key generation.
#pragma once

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "firmware_model/device_id.hpp"
#include "fleet/broker/mosquitto_process.hpp"
#include "fleet/config/fleet_config.hpp"
#include "tests/support/broker_files.hpp"

namespace lampi::testing {

// Runs an openssl (or other) shell command that must succeed, its output discarded.
inline void run_quietly(const std::string& cmd) {
  INFO(cmd);
  REQUIRE(std::system((cmd + " >/dev/null 2>&1").c_str()) == 0);
}

// <dir>/<name>.key and <dir>/<name>.crt, self-signed.
inline void make_ca(const std::filesystem::path& dir, const std::string& name) {
  run_quietly(fmt::format(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout {} "
      "-out {} -days 2 -subj /CN={}",
      (dir / (name + ".key")).string(), (dir / (name + ".crt")).string(), name));
}

// <dir>/<name>.key and <dir>/<name>.crt with its own key, signed by <dir>/<ca>.*.
inline void make_cert(const std::filesystem::path& dir, const std::string& name,
                      const std::string& cn, const std::string& ca, const std::string& san = "") {
  auto p = [&](const std::string& f) { return (dir / f).string(); };
  run_quietly(fmt::format(
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout {} -out {} "
      "-subj /CN={} {}",
      p(name + ".key"), p(name + ".csr"), cn, san.empty() ? "" : "-addext subjectAltName=" + san));
  run_quietly(
      fmt::format("openssl x509 -req -in {} -CA {} -CAkey {} -CAcreateserial -out {} -days 2 "
                  "-copy_extensions copy",
                  p(name + ".csr"), p(ca + ".crt"), p(ca + ".key"), p(name + ".crt")));
}

// <dir>/<name>.crt signed by <dir>/<ca>.* for the key of <dir>/<name>.csr (left by
// make_cert), valid from `start` to `end` (openssl's YYYYMMDDHHMMSSZ): one expired long ago,
// or not valid for decades, with `openssl ca`, as faketime is not there to help.
inline void make_dated_cert(const std::filesystem::path& dir, const std::string& name,
                            const std::string& ca, const std::string& start,
                            const std::string& end) {
  auto p = [&](const std::string& f) { return (dir / f).string(); };
  const auto db = dir / ("ca-db-" + name);
  std::filesystem::create_directories(db);
  std::ofstream(db / "index.txt").flush();
  std::ofstream(db / "serial") << "01\n";
  std::ofstream(db / "ca.cnf") << fmt::format(
      "[ca]\ndefault_ca = d\n[d]\ndatabase = {0}/index.txt\nnew_certs_dir = {0}\n"
      "serial = {0}/serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n"
      "[p]\ncommonName = supplied\n",
      db.string());
  run_quietly(fmt::format(
      "openssl ca -batch -notext -config {}/ca.cnf -cert {} -keyfile {} -in {} -out {} "
      "-startdate {} -enddate {}",
      db.string(), p(ca + ".crt"), p(ca + ".key"), p(name + ".csr"), p(name + ".crt"), start,
      end));
}

// <dir>/<cn>.crt and <dir>/<cn>.key for each CN, all with one key (linked), in one shell:
// a hundred lamps take about a second instead of six.
inline void make_certs_sharing_key(const std::filesystem::path& dir,
                                   const std::vector<std::string>& cns, const std::string& ca) {
  auto p = [&](const std::string& f) { return (dir / f).string(); };
  run_quietly(
      fmt::format("openssl ecparam -name prime256v1 -genkey -noout -out {}", p("shared.key")));
  std::string script = "set -e";
  for (const auto& cn : cns)
    script += fmt::format(
        "; openssl req -new -x509 -key {0} -subj /CN={1} -CA {2} -CAkey {3} -days 2 -out {4}"
        "; ln -sf {0} {5}",
        p("shared.key"), cn, p(ca + ".crt"), p(ca + ".key"), p(cn + ".crt"), p(cn + ".key"));
  run_quietly("sh -c '" + script + "'");
}

// A port nobody listens on right now (the broker binds it soon after).
inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline std::string lamp_id(std::size_t i) {
  return model::device_id_at(model::kDefaultDeviceIdBase, i).str();
}

// A temp dir with two CAs (lampi_ca signs everything the broker trusts, other_ca does
// not) and a broker certificate for localhost and 127.0.0.1, removed at the end.
struct TlsFixture {
  std::filesystem::path dir;
  std::uint16_t tls_port = free_port();

  TlsFixture() {
    char tmpl[] = "/tmp/lampi-tls-XXXXXX";
    dir = mkdtemp(tmpl);
    make_ca(dir, "lampi_ca");
    make_ca(dir, "other_ca");
    make_cert(dir, "broker", "localhost", "lampi_ca", "DNS:localhost,IP:127.0.0.1");
  }
  ~TlsFixture() { std::filesystem::remove_all(dir); }
  TlsFixture(const TlsFixture&) = delete;
  TlsFixture& operator=(const TlsFixture&) = delete;

  // <id>_broker.crt and .key for lamps 0 .. lamps-1, signed by `ca`.
  void make_lamp_certs(std::size_t lamps, const std::string& ca = "lampi_ca") const {
    for (std::size_t i = 0; i < lamps; ++i)
      make_cert(dir, lamp_id(i) + "_broker", lamp_id(i) + "_broker", ca);
  }

  // The course's listener: a certificate per lamp, required, its CN the username. TLS 1.2
  // or later (mosquitto's tls_version is a floor: it negotiates 1.3).
  fleet::MosquittoOptions broker_options(const std::string& broker_cert = "broker") const {
    open_to_broker(dir);
    fleet::MosquittoOptions o;
    o.extra_config_lines = {
        fmt::format("listener {} 127.0.0.1", tls_port),
        "cafile " + (dir / "lampi_ca.crt").string(),
        "certfile " + (dir / (broker_cert + ".crt")).string(),
        "keyfile " + (dir / (broker_cert + ".key")).string(),
        "require_certificate true",
        "use_identity_as_username true",
        "tls_version tlsv1.2",
    };
    return o;
  }

  // The broker with broker_options(broker_cert). The TLS port was only free when the
  // fixture looked; a parallel test may have taken it since, so on a clash the listener
  // moves to a port free now. Read tls_port after this.
  fleet::MosquittoProcess start_broker(const std::string& broker_cert = "broker") {
    for (int attempt = 1;; ++attempt) {
      try {
        return fleet::MosquittoProcess::start(broker_options(broker_cert));
      } catch (const std::runtime_error& e) {
        if (attempt == 5 || std::string(e.what()).find("already in use") == std::string::npos)
          throw;
        tls_port = free_port();
      }
    }
  }

  // Idle lamps that trust `ca` and retry quickly.
  fleet::FleetConfig fleet_config(std::size_t lamps, const std::string& ca = "lampi_ca") const {
    fleet::FleetConfig c;
    c.lamps = lamps;
    c.broker = fleet::BrokerTarget{true, "localhost", tls_port};
    c.tls.ca_file = (dir / (ca + ".crt")).string();
    c.tls.cert_file = (dir / "{id}_broker.crt").string();
    c.tls.key_file = (dir / "{id}_broker.key").string();
    c.threads = 2;
    c.hatch_rate = 100;
    c.profiles = {{model::Profile::idle, 100.0}};
    c.model.reconnect_base = model::seconds_to_duration(0.5);
    c.model.reconnect_cap = model::seconds_to_duration(1.0);
    c.stop_timeout = fleet::Seconds(3);
    return c;
  }
};

}  // namespace lampi::testing
