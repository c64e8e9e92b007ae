// The metrics endpoint over real loopback sockets: what /metrics and /healthz answer, and
// that clients which connect and send nothing (or dribble a request) cannot blind it.
// Hand-filled stats, no engine, no broker.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fleet/metrics/metrics_exporter.hpp"
#include "tests/support/hand_filled_fleet.hpp"

using namespace lampi::fleet;
using lampi::testing::HandFilledFleet;

namespace {

// Generous bounds, so a server that never answers fails the test instead of hanging it;
// nothing here asserts how fast it answers.
constexpr int kReceiveTimeoutSeconds = 10;
constexpr int kCloseTimeoutSeconds = 60;

// One client connection to 127.0.0.1:port, closed when it goes out of scope.
class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  int fd() const { return fd_; }

  bool send_text(std::string_view text) {
    while (!text.empty()) {
      ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  struct Received {
    std::string text;
    bool closed_by_server = false;  // end of stream or reset, not the receive timeout
  };
  // Reads until the server closes the connection or `timeout_s` pass without a byte.
  Received read_until_closed(int timeout_s) {
    timeval tv{timeout_s, 0};
    REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    Received r;
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        r.text.append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
        r.closed_by_server = true;
        return r;
      } else if (errno != EINTR) {
        return r;  // timed out
      }
    }
  }

 private:
  int fd_;
};

struct Response {
  int status = 0;
  std::string content_type;
  std::string body;
};

Response parse(const std::string& raw) {
  Response r;
  auto head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(raw.find(' ') + 1, 3));
  r.body = raw.substr(head_end + 4);
  std::string head = raw.substr(0, head_end);
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (auto at = head.find("\r\ncontent-type:"); at != std::string::npos) {
    auto start = head.find_first_not_of(' ', at + 15);
    r.content_type = head.substr(start, head.find("\r\n", start) - start);
  }
  return r;
}

// One GET on a fresh connection, bounded by the receive timeout.
Response get(std::uint16_t port, const std::string& path) {
  Client c(port);
  REQUIRE(c.send_text("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
  auto got = c.read_until_closed(kReceiveTimeoutSeconds);
  INFO("GET " << path << " received " << got.text.size() << " bytes: " << got.text.substr(0, 200));
  REQUIRE_MESSAGE(got.closed_by_server, "no complete answer within the receive timeout");
  return parse(got.text);
}

bool contains(const std::string& text, std::string_view fragment) {
  return text.find(fragment) != std::string::npos;
}

// A client that sends the start of a request line, then one more byte now and then,
// never finishing it, until the server closes the connection or `stop` is set.
class Dribbler {
 public:
  explicit Dribbler(std::uint16_t port) : client_(port) {
    thread_ = std::thread([this] { run(); });
  }
  ~Dribbler() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  Dribbler(const Dribbler&) = delete;
  Dribbler& operator=(const Dribbler&) = delete;

  // Waits for the thread to end on its own (the server closed), then says whether it did.
  bool closed_by_server() {
    if (thread_.joinable()) thread_.join();
    return closed_;
  }

 private:
  void run() {
    if (!client_.send_text("GET /metr")) {
      closed_ = true;
      return;
    }
    // At most ~kCloseTimeoutSeconds of 100 ms steps: a bound, not a measurement.
    for (int step = 0; step < kCloseTimeoutSeconds * 10 && !stop_; ++step) {
      if (!client_.send_text("i")) {
        closed_ = true;
        return;
      }
      pollfd p{client_.fd(), POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        char buf[4096];
        ssize_t n = ::recv(client_.fd(), buf, sizeof buf, 0);
        if (n <= 0) {  // n > 0: the server's error answer; its close follows
          closed_ = true;
          return;
        }
      }
    }
  }

  Client client_;
  std::atomic<bool> stop_{false};
  bool closed_ = false;
  std::thread thread_;
};

}  // namespace

TEST_CASE("a scrape is answered while idle and dribbling clients hold connections open") {
  HandFilledFleet fleet(2);
  bump(fleet.shard(0).connects, 3);
  MetricsExporter exporter({"127.0.0.1", 0}, {});
  MetricsExporter::Serving serving(exporter, fleet.view());
  const std::uint16_t port = exporter.port();

  // Connected first, so the server takes them before the scrape (its accept queue is
  // first in, first out): more of them than the embedded server once had threads.
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(std::make_unique<Client>(port));
  Dribbler dribbler(port);

  auto scrape = get(port, "/metrics");
  CHECK(scrape.status == 200);
  CHECK(contains(scrape.body, "# TYPE lampi_fleet_connects_total counter"));
  CHECK(contains(scrape.body, "lampi_fleet_connects_total{shard=\"0\",thread=\"0\"} 3"));
  CHECK(contains(scrape.body, "# TYPE lampi_fleet_lamps gauge"));
  CHECK(contains(scrape.body, "# TYPE lampi_fleet_response_time_seconds histogram"));
  CHECK(get(port, "/healthz").status == 200);

  // The server gives up on each of them in the end and closes it.
  for (std::size_t i = 0; i < idle.size(); ++i) {
    CAPTURE(i);
    CHECK(idle[i]->read_until_closed(kCloseTimeoutSeconds).closed_by_server);
  }
  CHECK(dribbler.closed_by_server());
}

TEST_CASE("/healthz says ok while the fleet is served and not ready otherwise, as plain text") {
  HandFilledFleet fleet(1);
  MetricsExporter exporter({"127.0.0.1", 0}, {});
  auto check_not_ready = [&] {
    auto r = get(exporter.port(), "/healthz");
    CHECK(r.status == 503);
    CHECK(r.content_type.rfind("text/plain", 0) == 0);
    CHECK(r.body == "not ready");
  };
  check_not_ready();  // bound, but no fleet yet
  {
    MetricsExporter::Serving serving(exporter, fleet.view());
    auto r = get(exporter.port(), "/healthz");
    CHECK(r.status == 200);
    CHECK(r.content_type.rfind("text/plain", 0) == 0);
    CHECK(r.body == "ok");
  }
  check_not_ready();  // the fleet has stopped
}

TEST_CASE("response-time histograms are exported for acknowledged topics only") {
  HandFilledFleet fleet(1);
  MetricsExporter exporter({"127.0.0.1", 0}, {});
  MetricsExporter::Serving serving(exporter, fleet.view());
  auto body = get(exporter.port(), "/metrics").body;
  auto has_series = [&](std::string_view topic) {
    std::string series = "lampi_fleet_response_time_seconds_count{shard=\"0\",thread=\"0\",topic=\"";
    return contains(body, series.append(topic).append("\"}"));
  };
  // QoS 1 out-topics: each publish gets a PUBACK.
  CHECK(has_series("devices/+/lamp/changed"));
  CHECK(has_series("devices/+/lamp/connection/lamp_service/state"));
  CHECK(has_series("$SYS/broker/connection/+_broker/state"));
  // QoS 0 (never acknowledged) and in-topics (the lamps never publish them).
  CHECK_FALSE(has_series("devices/+/lamp/bluetooth"));
  CHECK_FALSE(has_series("devices/+/lamp/set_config"));
  CHECK_FALSE(has_series("devices/+/lamp/associated"));
  // The message counters still name every topic.
  CHECK(contains(body,
                 "lampi_fleet_messages_total{shard=\"0\",thread=\"0\",topic=\"devices/+/lamp/set_config\","
                 "direction=\"in\"}"));
}
