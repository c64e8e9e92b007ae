// Chapter 13's TLS: a CA, a broker certificate, one client certificate per lamp with CN
// <id>_broker, and a broker that requires it and takes the CN as the username.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fleet/engine/fleet_engine.hpp"
#include "fleet/broker/mosquitto_process.hpp"
#include "fleet/engine/tls_context.hpp"
#include "tests/support/mqtt_observer.hpp"
#include "tests/support/read_text.hpp"

using namespace lampi;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

void run(const std::string& cmd) {
  INFO(cmd);
  REQUIRE(std::system((cmd + " >/dev/null 2>&1").c_str()) == 0);
}

// Keys are P-256 so the suite does not wait on RSA key generation.
void make_cert(const fs::path& dir, const std::string& name, const std::string& cn,
               const std::string& ca, const std::string& san = "") {
  auto p = [&](const std::string& f) { return (dir / f).string(); };
  run(fmt::format(
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout {} -out {} "
      "-subj /CN={} {}",
      p(name + ".key"), p(name + ".csr"), cn, san.empty() ? "" : "-addext subjectAltName=" + san));
  run(
      fmt::format("openssl x509 -req -in {} -CA {} -CAkey {} -CAcreateserial -out {} -days 2 "
                  "-copy_extensions copy",
                  p(name + ".csr"), p(ca + ".crt"), p(ca + ".key"), p(name + ".crt")));
}

void make_ca(const fs::path& dir, const std::string& name) {
  run(
      fmt::format("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                  "-keyout {} -out {} "
                  "-days 2 -subj /CN={}",
                  (dir / (name + ".key")).string(), (dir / (name + ".crt")).string(), name));
}

std::uint16_t free_port() {
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

struct TlsFixture {
  fs::path dir;
  std::uint16_t tls_port = free_port();
  static constexpr std::size_t kLamps = 4;

  TlsFixture() {
    char tmpl[] = "/tmp/lampi-tls-XXXXXX";
    dir = mkdtemp(tmpl);
    make_ca(dir, "lampi_ca");
    make_ca(dir, "other_ca");
    make_cert(dir, "broker", "localhost", "lampi_ca", "DNS:localhost,IP:127.0.0.1");
    for (std::size_t i = 0; i < kLamps; ++i) {
      auto id = model::device_id_at(model::kDefaultDeviceIdBase, i).str();
      make_cert(dir, id + "_broker", id + "_broker", "lampi_ca");
    }
  }
  ~TlsFixture() { fs::remove_all(dir); }

  fleet::MosquittoOptions broker_options() const {
    fleet::MosquittoOptions o;
    o.extra_config_lines = {
        fmt::format("listener {} 127.0.0.1", tls_port),
        "cafile " + (dir / "lampi_ca.crt").string(),
        "certfile " + (dir / "broker.crt").string(),
        "keyfile " + (dir / "broker.key").string(),
        "require_certificate true",
        "use_identity_as_username true",
        "tls_version tlsv1.2",
    };
    return o;
  }

  fleet::FleetConfig fleet_config(const std::string& ca) const {
    fleet::FleetConfig c;
    c.lamps = kLamps;
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

std::size_t bridged(const std::vector<testing::ObservedMessage>& ms) {
  std::size_t n = 0;
  for (const auto& m : ms)
    if (m.topic.ends_with("_broker/state") && m.payload == "1") ++n;
  return n;
}

}  // namespace

TEST_CASE("TLS: every lamp presents its own certificate through one shared context") {
  TlsFixture f;
  auto broker = fleet::MosquittoProcess::start(f.broker_options());
  testing::MqttObserver observer;
  observer.connect(broker.address(), broker.port(), "observer");
  observer.subscribe("$SYS/broker/connection/+/state", 1);

  auto config = f.fleet_config("lampi_ca");
  fleet::TlsContext tls(config.tls, "localhost");
  fleet::FleetEngine engine(config, {"127.0.0.1", f.tls_port}, tls.native());
  engine.start();
  CHECK(observer.wait_for([](const auto& ms) { return bridged(ms) == TlsFixture::kLamps; }, 10s));
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();

  // The broker took each lamp's CN as its username.
  std::string text = testing::read_text(broker.log_path());
  for (std::size_t i = 0; i < TlsFixture::kLamps; ++i) {
    auto id = model::device_id_at(model::kDefaultDeviceIdBase, i).str();
    CHECK(text.find("as " + id + "_broker") != std::string::npos);
    CHECK(text.find("u'" + id + "_broker'") != std::string::npos);
  }
}

TEST_CASE("TLS: a broker certificate from another CA is refused (verification on by default)") {
  TlsFixture f;
  auto broker = fleet::MosquittoProcess::start(f.broker_options());
  auto config = f.fleet_config("other_ca");
  fleet::TlsContext tls(config.tls, "localhost");
  fleet::FleetEngine engine(config, {"127.0.0.1", f.tls_port}, tls.native());
  engine.start();
  std::this_thread::sleep_for(2500ms);
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
  std::uint64_t attempts = 0, connects = 0;
  for (const auto& s : engine.shards()) {
    attempts += fleet::read(s->stats().connect_attempts);
    connects += fleet::read(s->stats().connects);
  }
  CHECK(attempts >= TlsFixture::kLamps);
  CHECK(connects == 0);
}

TEST_CASE("TLS: a missing CA file is a clear error") {
  fleet::TlsConfig cfg;
  cfg.ca_file = "/nonexistent/lampi_ca.crt";
  CHECK_THROWS_WITH_AS(fleet::TlsContext(cfg, "localhost"),
                       doctest::Contains("broker.tls.ca_file /nonexistent/lampi_ca.crt"),
                       std::runtime_error);
}
