// Issue 12: every TLS failure, wherever in the handshake (or after it) it happens, ends
// as a disconnect with its reason, and the lamp retries with its backoff. Each class of
// failure against a real mosquitto TLS listener, with certificates made here.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "fleet/broker/mosquitto_process.hpp"
#include "fleet/engine/fleet_engine.hpp"
#include "fleet/engine/tls_context.hpp"
#include "tests/support/paused_broker.hpp"
#include "tests/support/tls_fixture.hpp"

using namespace lampi;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using fleet::DisconnectReason;
using testing::lamp_id;
using testing::PausedBroker;
using testing::TlsFixture;

namespace {

using Clock = std::chrono::steady_clock;

struct Totals {
  std::uint64_t attempts = 0;
  std::uint64_t connects = 0;
  std::array<std::uint64_t, fleet::kDisconnectReasonCount> disconnects{};
  std::array<std::int64_t, fleet::kPhaseCount> phases{};
  std::uint64_t socket_wakeups = 0;

  std::uint64_t of(DisconnectReason r) const { return disconnects[static_cast<std::size_t>(r)]; }
  std::int64_t in(fleet::LampPhase p) const { return phases[static_cast<std::size_t>(p)]; }
};

Totals totals(const fleet::FleetEngine& engine) {
  Totals t;
  for (const auto& s : engine.shards()) {
    const auto& st = s->stats();
    t.attempts += fleet::read(st.connect_attempts);
    t.connects += fleet::read(st.connects);
    for (std::size_t r = 0; r < fleet::kDisconnectReasonCount; ++r)
      t.disconnects[r] += fleet::read(st.disconnects[r]);
    for (std::size_t p = 0; p < fleet::kPhaseCount; ++p) t.phases[p] += st.lamps_by_phase[p].load();
    t.socket_wakeups += fleet::read(st.socket_wakeups);
  }
  return t;
}

// Polls until `done` or `bound`; returns the last totals either way.
Totals wait_for(const fleet::FleetEngine& engine, const std::function<bool(const Totals&)>& done,
                Clock::duration bound) {
  auto end = Clock::now() + bound;
  Totals t = totals(engine);
  while (!done(t) && Clock::now() < end) {
    std::this_thread::sleep_for(20ms);
    t = totals(engine);
  }
  return t;
}

struct Outcome {
  Totals running;  // before the stop
  Totals stopped;  // after join
};

// Lamps that fail for `why` fail fast and retry within a second (the fixture's backoff),
// so a few seconds see every failing lamp fail twice. The stop timeout is long, so a lamp
// stuck with an open socket is still open (not `stopped`) when the stop gives up on it.
constexpr auto kStopTimeout = 20s;

// `max_version`: a cap on the lamps' TLS version (mosquitto's tls_version is a floor).
Outcome run_until_retried(fleet::FleetConfig config, const TlsFixture& f, std::size_t failing_lamps,
                          DisconnectReason why, int max_version) {
  config.stop_timeout = fleet::Seconds(kStopTimeout);
  fleet::TlsContext tls(config.tls, "localhost");
  if (max_version) SSL_CTX_set_max_proto_version(tls.native(), max_version);
  fleet::FleetEngine engine(config, {"127.0.0.1", f.tls_port}, tls.native());
  engine.start();
  Outcome o;
  o.running = wait_for(
      engine,
      [&](const Totals& t) {
        return t.of(why) >= 2 * failing_lamps && t.connects >= config.lamps - failing_lamps;
      },
      15s);
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
  o.stopped = totals(engine);
  return o;
}

// The failing lamps failed for `why` only, retried, and nothing was left connecting: every
// lamp is `stopped`, which it becomes only once its socket has closed.
void check_fails_and_retries(const fleet::FleetConfig& config, const TlsFixture& f,
                             std::size_t failing_lamps, DisconnectReason why, int max_version = 0) {
  auto o = run_until_retried(config, f, failing_lamps, why, max_version);
  std::size_t lamps = config.lamps;
  std::string expected = fleet::disconnect_reason_name(why);
  CAPTURE(expected);
  CHECK(o.running.of(why) >= 2 * failing_lamps);
  CHECK(o.running.attempts >= lamps + failing_lamps);  // each failing lamp tried again
  CHECK(o.running.connects == lamps - failing_lamps);
  for (std::size_t r = 0; r < fleet::kDisconnectReasonCount; ++r) {
    auto reason = static_cast<DisconnectReason>(r);
    std::string other = fleet::disconnect_reason_name(reason);
    CAPTURE(other);
    if (reason != why) CHECK(o.running.of(reason) == 0);
  }
  CHECK(o.stopped.in(fleet::LampPhase::connecting) == 0);
  CHECK(o.stopped.in(fleet::LampPhase::stopped) == static_cast<std::int64_t>(lamps));
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// Connections that fill a paused broker's accept queue, so the kernel drops the next
// SYN and a lamp's connect stays in progress, as it does over any real network.
class BacklogFiller {
 public:
  BacklogFiller(std::uint16_t port, int count) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < count; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      REQUIRE(fd >= 0);
      fds_.push_back(fd);
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);  // in progress is fine
    }
  }
  ~BacklogFiller() { release(); }
  BacklogFiller(const BacklogFiller&) = delete;
  BacklogFiller& operator=(const BacklogFiller&) = delete;
  void release() {
    for (int fd : fds_) ::close(fd);
    fds_.clear();
  }

 private:
  std::vector<int> fds_;
};

// One lamp on one shard against the course's listener, with a keepalive far beyond the
// waits: only the engine, not libmosquitto's keepalive, can end a handshake gone wrong.
struct OneLamp {
  TlsFixture f;
  fleet::MosquittoProcess broker{start_broker(f)};
  fleet::FleetConfig config{make_config(f)};
  fleet::TlsContext tls{config.tls, "localhost"};
  fleet::FleetEngine engine{config, {"127.0.0.1", f.tls_port}, tls.native()};

  static fleet::MosquittoProcess start_broker(TlsFixture& f) {
    f.make_lamp_certs(1);
    return f.start_broker();
  }
  static fleet::FleetConfig make_config(const TlsFixture& f) {
    auto config = f.fleet_config(1);
    config.threads = 1;
    config.model.keepalive = model::seconds_to_duration(120.0);
    return config;
  }
};

// Starts the engine while the paused broker's accept queue is full, so the kernel drops
// the lamp's SYN and retries it later (1 s, then 3 s): its connect is still in progress
// when the handshake starts. `while_held` runs once the lamp is trying; then the queue
// empties and the broker resumes (if it still runs).
void start_held_back(fleet::FleetEngine& engine, fleet::MosquittoProcess& broker,
                     std::uint16_t port, const std::function<void()>& while_held) {
  PausedBroker paused(broker);
  BacklogFiller filler(port, 150);  // mosquitto listens with a backlog of 100
  std::this_thread::sleep_for(100ms);
  engine.start();
  wait_for(
      engine, [](const Totals& x) { return x.attempts >= 1; }, 5s);
  while_held();
}

// A shard spinning on a socket is woken by it tens of thousands of times a second; one
// lamp's connect, handshake and CONNACK take about ten. Counted from the start,
// so the time the connect was held back counts too.
constexpr std::uint64_t kSpinning = 100;
bool spun(const Totals& t) {
  return t.socket_wakeups > kSpinning;
}

}  // namespace

TEST_CASE("TLS failure: a broker certificate from another CA is tls_verify_failed") {
  constexpr std::size_t kLamps = 2;
  TlsFixture f;
  f.make_lamp_certs(kLamps);
  auto broker = f.start_broker();
  check_fails_and_retries(f.fleet_config(kLamps, "other_ca"), f, kLamps,
                          DisconnectReason::tls_verify_failed);
}

TEST_CASE("TLS failure: a broker certificate for another host name is tls_host_mismatch") {
  constexpr std::size_t kLamps = 2;
  TlsFixture f;
  f.make_lamp_certs(kLamps);
  testing::make_cert(f.dir, "elsewhere", "broker.example", "lampi_ca", "DNS:broker.example");
  auto broker = f.start_broker("elsewhere");
  check_fails_and_retries(f.fleet_config(kLamps), f, kLamps, DisconnectReason::tls_host_mismatch);
}

// The config check only asks that each lamp's files exist and are readable, so an empty
// certificate reaches the handshake.
TEST_CASE("TLS failure: an empty client certificate is tls_bad_client_cert") {
  constexpr std::size_t kLamps = 2;
  TlsFixture f;
  f.make_lamp_certs(kLamps);
  for (std::size_t i = 0; i < kLamps; ++i) write_file(f.dir / (lamp_id(i) + "_broker.crt"), "");
  auto broker = f.start_broker();
  check_fails_and_retries(f.fleet_config(kLamps), f, kLamps, DisconnectReason::tls_bad_client_cert);
}

TEST_CASE("TLS failure: another lamp's certificate without its key is tls_bad_client_cert") {
  constexpr std::size_t kLamps = 3;
  TlsFixture f;
  f.make_lamp_certs(kLamps);
  // Lamp 0 is given lamp 1's certificate but keeps its own key; the others are fine.
  fs::copy_file(f.dir / (lamp_id(1) + "_broker.crt"), f.dir / (lamp_id(0) + "_broker.crt"),
                fs::copy_options::overwrite_existing);
  auto broker = f.start_broker();
  check_fails_and_retries(f.fleet_config(kLamps), f, 1, DisconnectReason::tls_bad_client_cert);
}

// With TLS 1.3 our side of the handshake is done before the broker looks at the client
// certificate: its alert arrives while the lamp waits for CONNACK (on loopback, often
// before the CONNECT is written). With TLS 1.2 it ends the handshake itself.
TEST_CASE("TLS failure: a client certificate the broker does not trust is tls_alert") {
  constexpr std::size_t kLamps = 2;
  TlsFixture f;
  f.make_lamp_certs(kLamps, "other_ca");
  auto broker = f.start_broker();
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    CAPTURE(version);
    check_fails_and_retries(f.fleet_config(kLamps), f, kLamps, DisconnectReason::tls_alert,
                            version);
  }
}

TEST_CASE("TLS failure: no client certificate for a broker that requires one is tls_alert") {
  constexpr std::size_t kLamps = 2;
  TlsFixture f;
  auto broker = f.start_broker();
  auto config = f.fleet_config(kLamps);
  config.tls.cert_file.clear();
  config.tls.key_file.clear();
  check_fails_and_retries(config, f, kLamps, DisconnectReason::tls_alert);
}

// A broker that accepts TCP but never answers the ClientHello: libmosquitto's keepalive
// check drops the connection after a keepalive of silence, and the lamp retries.
TEST_CASE("TLS failure: a handshake that stalls is dropped after the keepalive and retried") {
  constexpr std::size_t kLamps = 2;
  TlsFixture f;
  f.make_lamp_certs(kLamps);
  auto broker = f.start_broker();
  auto config = f.fleet_config(kLamps);
  config.model.keepalive = model::seconds_to_duration(5.0);  // the least libmosquitto takes
  config.stop_timeout = fleet::Seconds(kStopTimeout);
  fleet::TlsContext tls(config.tls, "localhost");
  fleet::FleetEngine engine(config, {"127.0.0.1", f.tls_port}, tls.native());
  PausedBroker paused(broker);
  engine.start();
  // Keepalive 5 s, checked once a second in whole seconds, then a backoff under 1 s.
  auto t = wait_for(
      engine,
      [&](const Totals& x) {
        return x.of(DisconnectReason::connect_timeout) >= kLamps && x.attempts >= 2 * kLamps;
      },
      20s);
  CHECK(t.of(DisconnectReason::connect_timeout) >= kLamps);  // never bridged: no keepalive
  CHECK(t.attempts >= 2 * kLamps);
  CHECK(t.connects == 0);
  paused.resume();
  t = wait_for(
      engine, [&](const Totals& x) { return x.connects == kLamps; }, 15s);
  CHECK(t.connects == kLamps);
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
  CHECK(totals(engine).in(fleet::LampPhase::stopped) == static_cast<std::int64_t>(kLamps));
}

// Over a real network the TCP connect is still in progress when libmosquitto starts the
// handshake, so OpenSSL first waits to write. Only writability can move it on, and
// libmosquitto's loop_write does not: the shard must drive it, not spin on it.
TEST_CASE("TLS: a handshake whose TCP connect completes late goes through at once") {
  OneLamp one;
  auto& engine = one.engine;
  start_held_back(engine, one.broker, one.f.tls_port, [] { std::this_thread::sleep_for(500ms); });
  auto t = wait_for(
      engine, [](const Totals& x) { return x.connects == 1; }, 15s);
  CHECK(t.connects == 1);
  CHECK(t.attempts == 1);
  CAPTURE(t.socket_wakeups);
  CHECK_FALSE(spun(t));
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
}

// A connect refused only at the SYN's retransmit (the broker gone meanwhile), as a remote
// broker that is down refuses it: the handshake waiting to write meets the error.
// libmosquitto would retry the dead socket for a keepalive; the lamp must count it refused
// at once and retry.
TEST_CASE("TLS failure: a connect refused late is counted refused and retried, not spun on") {
  OneLamp one;
  auto& engine = one.engine;
  // The listener goes; the SYN's retransmit is answered with a reset.
  start_held_back(engine, one.broker, one.f.tls_port, [&] { one.broker.kill(); });
  auto t = wait_for(
      engine,
      [](const Totals& x) {
        return x.of(DisconnectReason::connection_refused) >= 2 && x.attempts >= 2;
      },
      15s);
  // The late refusal (the socket's pending error), then the retry's, at once.
  CHECK(t.of(DisconnectReason::connection_refused) >= 2);
  CHECK(t.attempts >= 2);
  CHECK(t.connects == 0);
  CAPTURE(t.socket_wakeups);
  CHECK_FALSE(spun(t));
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
  CHECK(totals(engine).in(fleet::LampPhase::stopped) == 1);
}
