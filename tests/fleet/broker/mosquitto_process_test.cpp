// MosquittoProcess against the real Debian broker, observed through MqttObserver.
// Every broker listens on 127.0.0.1 only and every wait is bounded.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "fleet/broker/mosquitto_process.hpp"
#include "tests/support/mqtt_observer.hpp"

using lampi::fleet::MosquittoOptions;
using lampi::fleet::MosquittoProcess;
using lampi::testing::MqttObserver;
using lampi::testing::ObservedMessage;
using lampi::testing::ObserverOptions;
using namespace std::chrono_literals;

namespace {

constexpr const char* kHost = "127.0.0.1";

std::string client_id(const std::string& role) {
  static std::atomic<int> n{0};
  return "lampi-test-" + role + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// After reaping, the pid is gone from the process table (not even a zombie).
bool process_gone(pid_t pid) {
  return ::kill(pid, 0) == -1 && errno == ESRCH;
}

bool not_our_child(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == -1 && errno == ECHILD;
}

// The "Max open files" soft and hard limits from /proc/<pid>/limits.
std::pair<std::string, std::string> fd_limits_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream fields(line.substr(std::string("Max open files").size()));
      std::string soft, hard;
      fields >> soft >> hard;
      return {soft, hard};
    }
  }
  return {};
}

std::set<std::string> fd_targets(pid_t pid) {
  std::set<std::string> out;
  const std::filesystem::path dir = "/proc/" + std::to_string(pid) + "/fd";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code link_ec;
    auto target = std::filesystem::read_symlink(entry.path(), link_ec);
    if (!link_ec) out.insert(target.string());
  }
  return out;
}

std::string start_error(MosquittoOptions opts) {
  try {
    MosquittoProcess::start(std::move(opts));
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("start() runs a broker with the EC2 settings on a free loopback port") {
  auto broker = MosquittoProcess::start({});
  CHECK(broker.port() != 0);
  CHECK(broker.address() == kHost);
  CHECK(broker.running());
  CHECK(broker.pid() > 0);

  const std::string config = read_file(broker.config_path());
  CHECK(contains(config, "listener " + std::to_string(broker.port()) + " 127.0.0.1\n"));
  CHECK(contains(config, "allow_anonymous true\n"));
  CHECK(contains(config, "persistence false\n"));
  CHECK(contains(config, "max_queued_messages 1000\n"));
  CHECK(contains(config, "set_tcp_nodelay true\n"));
  CHECK(contains(config, "max_keepalive 65535\n"));
  CHECK_FALSE(contains(config, "pid_file"));
  CHECK(contains(read_file(broker.log_path()), " running"));
  CHECK(broker.log_path().parent_path() == broker.dir());

  MqttObserver observer;
  observer.connect(kHost, broker.port(), client_id("start"));
  CHECK(observer.connected());
  CHECK(observer.connect_count() == 1);
}

TEST_CASE("publish/subscribe round trip keeps payload, QoS and retain") {
  auto broker = MosquittoProcess::start({});
  MqttObserver sub;
  MqttObserver pub;
  sub.connect(kHost, broker.port(), client_id("sub"));
  sub.subscribe("devices/+/lamp/#", 2);
  pub.connect(kHost, broker.port(), client_id("pub"));

  const auto before = std::chrono::steady_clock::now();
  const std::string binary("a\0b", 3);
  pub.publish("devices/b827eb000001/lamp/changed", R"({"on": true})", 1, true);
  pub.publish("devices/b827eb000001/lamp/set_config", "qos0", 0, false);
  pub.publish("devices/b827eb000001/lamp/associated", binary, 2, false);
  REQUIRE(sub.wait_for([](const auto& all) { return all.size() >= 3; }, 5s));

  const auto got = sub.messages();
  REQUIRE(got.size() == 3);
  // One publisher, one subscriber: the broker keeps the order.
  CHECK(got[0].topic == "devices/b827eb000001/lamp/changed");
  CHECK(got[0].payload == R"({"on": true})");
  CHECK(got[0].qos == 1);
  CHECK_FALSE(got[0].retain);  // live delivery to an existing subscription
  CHECK(got[1].topic == "devices/b827eb000001/lamp/set_config");
  CHECK(got[1].qos == 0);
  CHECK(got[2].payload == binary);
  CHECK(got[2].qos == 2);
  for (const auto& m : got) CHECK(m.received >= before);
  CHECK(got[0].received <= got[2].received);

  SUBCASE("a late subscriber gets the retained message, QoS capped by its subscription") {
    MqttObserver late;
    late.connect(kHost, broker.port(), client_id("late"));
    late.subscribe("devices/+/lamp/changed", 0);
    auto kept = late.wait_for_topic("devices/b827eb000001/lamp/changed", 5s);
    REQUIRE(kept);
    CHECK(kept->retain);
    CHECK(kept->qos == 0);
    CHECK(kept->payload == R"({"on": true})");
  }
  SUBCASE("an empty retained publish clears it") {
    pub.publish("devices/b827eb000001/lamp/changed", "", 1, true);
    MqttObserver late;
    late.connect(kHost, broker.port(), client_id("late"));
    late.subscribe("devices/+/lamp/changed", 1);
    CHECK_FALSE(late.wait_for_topic("devices/b827eb000001/lamp/changed", 300ms));
  }
  SUBCASE("clear() forgets what was recorded") {
    sub.clear();
    CHECK(sub.messages().empty());
    pub.publish("devices/b827eb000001/lamp/set_config", "again", 1, false);
    REQUIRE(sub.wait_for_topic("devices/b827eb000001/lamp/set_config", 5s));
    CHECK(sub.messages().size() == 1);
  }
}

TEST_CASE("kill() then restart() on the same port: observers reconnect") {
  auto broker = MosquittoProcess::start({});
  const auto port = broker.port();
  const pid_t first_pid = broker.pid();

  MqttObserver watcher;
  MqttObserver pub;
  watcher.connect(kHost, port, client_id("watcher"));
  watcher.subscribe("lampi/test/#", 1);
  pub.connect(kHost, port, client_id("pub"));
  pub.publish("lampi/test/kept", "1", 1, true);
  REQUIRE(watcher.wait_for_topic("lampi/test/kept", 5s));

  broker.kill();
  CHECK_FALSE(broker.running());
  CHECK(broker.pid() == -1);
  CHECK(process_gone(first_pid));
  CHECK(not_our_child(first_pid));
  CHECK(watcher.wait_disconnected(5s));
  CHECK_FALSE(watcher.connected());

  broker.restart();
  CHECK(broker.running());
  CHECK(broker.port() == port);
  CHECK(broker.pid() > 0);

  // The library loop reconnects on its own (1 s pause) and re-subscribes.
  REQUIRE(watcher.wait_connected(10s));
  CHECK(watcher.connect_count() == 2);
  watcher.clear();

  // An explicit connect() works too, whatever the old session was doing.
  pub.connect(kHost, port, client_id("pub-again"));
  pub.publish("lampi/test/after", "2", 1, false);
  auto after = watcher.wait_for_topic("lampi/test/after", 5s);
  REQUIRE(after);
  CHECK(after->payload == "2");

  // A crash without persistence loses the retained message: this really is a new broker.
  MqttObserver fresh;
  fresh.connect(kHost, port, client_id("fresh"));
  fresh.subscribe("lampi/test/kept", 1);
  CHECK_FALSE(fresh.wait_for_topic("lampi/test/kept", 300ms));
}

TEST_CASE("stop() ends the broker gracefully and leaves no process behind") {
  auto broker = MosquittoProcess::start({});
  const pid_t pid = broker.pid();
  const auto port = broker.port();
  REQUIRE(pid > 0);

  broker.stop();
  CHECK_FALSE(broker.running());
  CHECK(broker.pid() == -1);
  CHECK(process_gone(pid));
  CHECK(not_our_child(pid));
  CHECK(contains(read_file(broker.log_path()), "terminating"));  // SIGTERM, not SIGKILL

  MqttObserver observer;
  CHECK_THROWS_AS(observer.connect(kHost, port, client_id("refused"), {true, 60, 1s}),
                  std::runtime_error);
  CHECK_FALSE(observer.connected());

  broker.stop();  // idempotent
  broker.restart();
  CHECK(broker.running());
  CHECK(broker.port() == port);
  observer.connect(kHost, port, client_id("after-restart"));
  CHECK(observer.connected());
}

// mosquitto 2.0.11 can miss a SIGTERM that arrives just after it logged "running"
// (about 1 in 100 under load); stop() must still end it gracefully, not by SIGKILL.
TEST_CASE("stop() straight after start() is graceful and prompt") {
  for (int i = 0; i < 10; ++i) {
    auto broker = MosquittoProcess::start({});
    const auto t0 = std::chrono::steady_clock::now();
    broker.stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    CHECK(contains(read_file(broker.log_path()), "terminating"));
  }
}

TEST_CASE("a broker that dies on its own is reaped, not left a zombie") {
  auto broker = MosquittoProcess::start({});
  const pid_t pid = broker.pid();
  REQUIRE(::kill(pid, SIGKILL) == 0);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (broker.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  CHECK_FALSE(broker.running());
  CHECK(process_gone(pid));
  broker.restart();
  CHECK(broker.running());
}

// PR_SET_PDEATHSIG fires when the thread that forked exits: the same mechanism that
// ends the broker when the whole fleet process dies.
TEST_CASE("die_with_parent ends the broker when its starting thread goes away") {
  SUBCASE("on (default)") {
    std::optional<MosquittoProcess> broker;
    std::thread([&] { broker.emplace(MosquittoProcess::start({})); }).join();
    REQUIRE(broker);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (broker->running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    CHECK_FALSE(broker->running());
  }
  SUBCASE("off") {
    MosquittoOptions opts;
    opts.die_with_parent = false;
    std::optional<MosquittoProcess> broker;
    std::thread([&] { broker.emplace(MosquittoProcess::start(opts)); }).join();
    REQUIRE(broker);
    std::this_thread::sleep_for(200ms);
    CHECK(broker->running());
  }
}

TEST_CASE("the destructor stops the broker and removes its temp dir") {
  pid_t pid = -1;
  std::filesystem::path dir;
  {
    auto broker = MosquittoProcess::start({});
    pid = broker.pid();
    dir = broker.dir();
    REQUIRE(std::filesystem::exists(broker.log_path()));
  }
  CHECK(process_gone(pid));
  CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("keep_files() leaves the log behind for a look after the run") {
  std::filesystem::path dir;
  std::filesystem::path log;
  {
    auto broker = MosquittoProcess::start({});
    broker.kill();
    CHECK(broker.exit_status() == "killed by SIGKILL");
    broker.keep_files();
    dir = broker.dir();
    log = broker.log_path();
  }
  CHECK(std::filesystem::exists(log));
  CHECK(contains(read_file(log), " running"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("exit_status() says how a broker that died on its own went") {
  auto broker = MosquittoProcess::start({});
  CHECK(broker.exit_status().empty());
  REQUIRE(::kill(broker.pid(), SIGTERM) == 0);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (broker.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  CHECK(broker.exit_status() == "exit status 0");
}

namespace {

// A line of /proc/<pid>/status without its name, e.g. "Uid" -> "102\t102\t102\t102".
std::string status_field(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + ":", 0) == 0) return line.substr(name.size() + 2);
  return {};
}

}  // namespace

TEST_CASE("started by root, the broker runs as the unprivileged mosquitto user") {
  MosquittoOptions opts;
  opts.persistence = true;  // it must still write its own files
  auto broker = MosquittoProcess::start(opts);
  const passwd* pw = ::getpwnam("mosquitto");
  std::string ids = std::to_string(::geteuid());
  std::string gids = std::to_string(::getegid());
  if (::geteuid() == 0) {
    REQUIRE(pw != nullptr);  // Debian's mosquitto package creates it
    CHECK(pw->pw_uid != 0);
    CHECK(broker.user() == "mosquitto");
    ids = std::to_string(pw->pw_uid);
    gids = std::to_string(pw->pw_gid);
  } else {
    CHECK(broker.user().empty());
  }
  CHECK(status_field(broker.pid(), "Uid") == ids + "\t" + ids + "\t" + ids + "\t" + ids);
  CHECK(status_field(broker.pid(), "Gid") == gids + "\t" + gids + "\t" + gids + "\t" + gids);
  CHECK_FALSE(contains(read_file(broker.log_path()), "Error"));
  broker.stop();
  CHECK(contains(read_file(broker.log_path()), "Saving in-memory database"));
  CHECK(std::filesystem::exists(broker.dir() / "mosquitto.db"));
}

TEST_CASE("two brokers at once get different ports and dirs") {
  auto a = MosquittoProcess::start({});
  auto b = MosquittoProcess::start({});
  CHECK(a.port() != b.port());
  CHECK(a.dir() != b.dir());
  CHECK(a.pid() != b.pid());

  MqttObserver on_a;
  MqttObserver on_b;
  on_a.connect(kHost, a.port(), client_id("a"));
  on_b.connect(kHost, b.port(), client_id("b"));
  on_a.subscribe("x", 1);
  on_b.subscribe("x", 1);
  on_a.publish("x", "only on a", 1, false);
  CHECK(on_a.wait_for_topic("x", 5s));
  CHECK_FALSE(on_b.wait_for_topic("x", 200ms));
}

TEST_CASE("a missing binary gives an actionable error") {
  MosquittoOptions opts;
  opts.binary = "/nonexistent/mosquitto";
  std::string error = start_error(opts);
  CHECK(contains(error, "/nonexistent/mosquitto"));
  CHECK(contains(error, "apt-get install mosquitto"));
  CHECK(contains(error, "deploy/setup-debian.sh"));

  opts.binary = "lampi-no-such-mosquitto";  // searched on PATH
  error = start_error(opts);
  CHECK(contains(error, "not found on PATH"));
  CHECK(contains(error, "apt-get install mosquitto"));

  opts.binary = "/dev/null";  // exists, but is not a program
  CHECK(contains(start_error(opts), "apt-get install mosquitto"));
}

TEST_CASE("a port in use gives a clear error") {
  SUBCASE("taken by another program") {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(s >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(s, 1) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const auto port = ntohs(addr.sin_port);

    MosquittoOptions opts;
    opts.port = port;
    const std::string error = start_error(opts);
    CHECK(contains(error, "127.0.0.1:" + std::to_string(port)));
    CHECK(contains(error, "already in use"));
    ::close(s);
  }
  SUBCASE("taken by another broker") {
    auto first = MosquittoProcess::start({});
    MosquittoOptions opts;
    opts.port = first.port();
    CHECK(contains(start_error(opts), "already in use"));
    CHECK(first.running());
  }
}

TEST_CASE("a broker that exits during start-up reports its own words") {
  MosquittoOptions opts;
  opts.extra_config_lines = {"lampi_no_such_directive 1"};
  const std::string error = start_error(opts);
  CHECK(contains(error, "exited during start-up"));
  CHECK(contains(error, "lampi_no_such_directive"));
}

TEST_CASE("invalid options are rejected before anything starts") {
  MosquittoOptions opts;
  opts.bind_address = "localhost";
  CHECK_THROWS_AS(MosquittoProcess::start(opts), std::invalid_argument);
  opts.bind_address = kHost;
  opts.extra_config_lines = {"max_connections -1\nlistener 1883"};
  CHECK_THROWS_AS(MosquittoProcess::start(opts), std::invalid_argument);
}

TEST_CASE("the broker's fd soft limit is raised to the hard limit") {
  rlimit ours{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &ours) == 0);
  // Lower our own soft limit so the test means something where soft == hard already.
  rlimit lowered = ours;
  lowered.rlim_cur = std::min<rlim_t>(ours.rlim_max, 256);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  std::optional<MosquittoProcess> broker;
  try {
    broker.emplace(MosquittoProcess::start({}));
  } catch (...) {
    ::setrlimit(RLIMIT_NOFILE, &ours);
    throw;
  }
  ::setrlimit(RLIMIT_NOFILE, &ours);

  const auto [soft, hard] = fd_limits_of(broker->pid());
  const std::string expected =
      ours.rlim_max == RLIM_INFINITY ? "unlimited" : std::to_string(ours.rlim_max);
  CHECK(soft == expected);
  CHECK(hard == expected);
}

TEST_CASE("the broker does not inherit the parent's descriptors") {
  int leaky[2];
  REQUIRE(::pipe(leaky) == 0);  // deliberately without O_CLOEXEC
  const auto pipe_target =
      std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(leaky[0])).string();
  auto broker = MosquittoProcess::start({});
  const auto targets = fd_targets(broker.pid());
  CHECK_FALSE(targets.empty());
  CHECK(targets.count(pipe_target) == 0);
  ::close(leaky[0]);
  ::close(leaky[1]);
}

TEST_CASE("with persistence, retained messages survive stop() and start_again()") {
  MosquittoOptions opts;
  opts.persistence = true;
  auto broker = MosquittoProcess::start(opts);
  {
    MqttObserver pub;
    pub.connect(kHost, broker.port(), client_id("pub"));
    pub.publish("lampi/persist/kept", "still here", 1, true);
  }
  broker.stop();
  CHECK_FALSE(broker.running());
  const auto port = broker.port();
  broker.start_again();  // as a restart fault does: down a while, then the same port
  CHECK(broker.running());
  CHECK(broker.port() == port);
  CHECK_THROWS_AS(broker.start_again(), std::logic_error);  // it runs
  MqttObserver late;
  late.connect(kHost, broker.port(), client_id("late"));
  late.subscribe("lampi/persist/#", 1);
  auto kept = late.wait_for_topic("lampi/persist/kept", 5s);
  REQUIRE(kept);
  CHECK(kept->payload == "still here");
  CHECK(kept->retain);
}

TEST_CASE("moving a MosquittoProcess moves the broker") {
  auto a = MosquittoProcess::start({});
  const pid_t pid = a.pid();
  const auto dir = a.dir();

  MosquittoProcess b = std::move(a);
  CHECK_FALSE(a.running());  // NOLINT(bugprone-use-after-move): moved-from state is defined
  CHECK(a.pid() == -1);      // NOLINT(bugprone-use-after-move)
  a.stop();                  // NOLINT(bugprone-use-after-move): harmless
  CHECK_THROWS_AS(a.restart(), std::logic_error);  // NOLINT(bugprone-use-after-move)
  CHECK(b.pid() == pid);
  CHECK(b.dir() == dir);

  auto c = MosquittoProcess::start({});
  const pid_t replaced = c.pid();
  const auto replaced_dir = c.dir();
  c = std::move(b);
  CHECK(process_gone(replaced));
  CHECK_FALSE(std::filesystem::exists(replaced_dir));
  CHECK(c.pid() == pid);
  CHECK(c.running());
}

TEST_CASE("MqttObserver reports misuse and unacknowledged publishes") {
  MqttObserver observer;
  CHECK_THROWS_AS(observer.subscribe("x", 1), std::logic_error);
  CHECK_THROWS_AS(observer.publish("x", "y", 1, false), std::logic_error);
  observer.disconnect();  // harmless before connect()

  auto broker = MosquittoProcess::start({});
  ObserverOptions quick;
  quick.timeout = 500ms;
  observer.connect(kHost, broker.port(), client_id("quick"), quick);
  observer.publish("x", "acked", 1, false);
  broker.kill();
  REQUIRE(observer.wait_disconnected(5s));
  CHECK_THROWS_AS(observer.publish("x", "lost", 1, false), std::runtime_error);
  observer.disconnect();
  CHECK_FALSE(observer.connected());
}
