// Username and password on the bridge connection (a broker with allow_anonymous false).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "fleet/engine/fleet_engine.hpp"
#include "fleet/broker/mosquitto_process.hpp"
#include "tests/support/broker_files.hpp"

using namespace lampi;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct PasswordBroker {
  fs::path dir;
  fleet::MosquittoProcess broker;

  static fs::path make_password_file(fs::path& dir) {
    char tmpl[] = "/tmp/lampi-auth-XXXXXX";
    dir = mkdtemp(tmpl);
    auto file = dir / "passwords";
    auto cmd = fmt::format("mosquitto_passwd -c -b {} lamp s3cret >/dev/null 2>&1", file.string());
    REQUIRE(std::system(cmd.c_str()) == 0);
    testing::open_to_broker(dir);
    return file;
  }

  PasswordBroker()
      : broker(fleet::MosquittoProcess::start([&] {
          fleet::MosquittoOptions o;
          o.extra_config_lines = {"allow_anonymous false",
                                  "password_file " + make_password_file(dir).string()};
          return o;
        }())) {}
  ~PasswordBroker() { fs::remove_all(dir); }
};

struct Outcome {
  std::uint64_t connects = 0;
  std::uint64_t refused = 0;
};

Outcome connects_with(const fleet::MosquittoProcess& broker, const std::string& user,
                      const std::string& password) {
  fleet::FleetConfig c;
  c.lamps = 3;
  c.broker = fleet::BrokerTarget{false, broker.address(), broker.port()};
  c.username = user;
  c.password = password;
  c.threads = 1;
  c.profiles = {{model::Profile::idle, 100.0}};
  c.stop_timeout = fleet::Seconds(3);
  fleet::FleetEngine engine(c, {broker.address(), broker.port()});
  engine.start();
  std::uint64_t connects = 0;
  auto end = std::chrono::steady_clock::now() + 3s;
  while (connects < c.lamps && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(50ms);
    connects = fleet::read(engine.shards()[0]->stats().connects);
  }
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
  const auto& st = engine.shards()[0]->stats();
  return {fleet::read(st.connects),
          fleet::read(st.disconnects[static_cast<std::size_t>(fleet::DisconnectReason::not_authorized)])};
}

}  // namespace

TEST_CASE("username and password: accepted when right, refused when wrong") {
  PasswordBroker b;
  auto right = connects_with(b.broker, "lamp", "s3cret");
  CHECK(right.connects == 3);
  CHECK(right.refused == 0);
  auto wrong = connects_with(b.broker, "lamp", "wrong");
  CHECK(wrong.connects == 0);
  CHECK(wrong.refused >= 3);  // counted by reason: the CONNACK said no
}
