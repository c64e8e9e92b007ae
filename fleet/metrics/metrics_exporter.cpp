#include "fleet/metrics/metrics_exporter.hpp"

#include <CivetServer.h>
#include <civetweb.h>
#include <fmt/format.h>
#include <prometheus/exposer.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "fleet/config/config_loader.hpp"
#include "fleet/metrics/metrics_collector.hpp"

namespace lampi::fleet {

// /healthz: plain "ok" (200) while a fleet is served, "not ready" (503) before and after,
// for a probe or a person; nothing else is read or written.
class HealthHandler final : public CivetHandler {
 public:
  using CivetHandler::handleGet;
  using CivetHandler::handleHead;
  bool handleGet(CivetServer*, mg_connection* conn, int* status) override {
    return answer(conn, status, true);
  }
  bool handleHead(CivetServer*, mg_connection* conn, int* status) override {
    return answer(conn, status, false);
  }

  std::atomic<bool> ready{false};

 private:
  bool answer(mg_connection* conn, int* status, bool with_body) const {
    const bool ok = ready.load();
    const std::string_view body = ok ? "ok" : "not ready";
    *status = ok ? 200 : 503;
    mg_printf(conn,
              "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
              "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
              ok ? "200 OK" : "503 Service Unavailable", body.size());
    if (with_body) mg_write(conn, body.data(), body.size());
    return true;
  }
};

namespace {

// CivetWeb (Debian's 1.15) gives each connection one worker thread from accept to close,
// including while it waits for the request. prometheus-cpp's default of 2 workers and
// CivetWeb's 30 s request timeout let two clients that connect and send nothing (a TCP
// health check, a port scan, a browser's speculative connection) blind /metrics and
// /healthz for 30 s.
std::vector<std::string> server_options(const std::string& listening) {
  return {
      "listening_ports", listening,
      // Room for a dozen stalled connections beside the scrapes of several Prometheus
      // servers and probes. All start at once; an idle one costs a mostly untouched
      // stack and a 16 KiB request buffer.
      "num_threads", "16",
      // How long a client has for its whole request header, from the connection's
      // start (so dribbling bytes does not extend it), and for each write of the answer
      // to be taken. Prometheus sends its request at once; 5 s frees a stalled worker
      // soon and is still generous to a scraper over a slow link.
      "request_timeout_ms", "5000",
      // One request per connection (CivetWeb's default, spelled out): a kept-alive
      // connection holds a worker between requests, and at scrape intervals of seconds
      // reusing it saves nothing. So keep_alive_timeout_ms never applies.
      "enable_keep_alive", "no",
      // linger_timeout_ms stays unset: CivetWeb then closes without SO_LINGER, so no
      // worker waits in close() on a client that does not read.
  };
}

// prometheus::Exposer keeps its CivetServer to itself. CivetWeb calls init_context from
// mg_start, on the thread constructing the server, with the context whose user data is
// that CivetServer (as CivetServer's own handlers find it): caught there, /healthz can be
// added to it.
thread_local CivetServer* server_being_started = nullptr;

void catch_server(const mg_context* ctx) {
  server_being_started = static_cast<CivetServer*>(mg_get_user_data(ctx));
}

// civetweb only says "null context"; the socket layer says why.
std::string why_not_bound(const ListenAddress& listen, const std::string& where) {
  int fd =
      ::socket(listen.host.find(':') != std::string::npos ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::strerror(errno);
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  int err = 0;
  if (listen.host.find(':') != std::string::npos) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(listen.port);
    ::inet_pton(AF_INET6, listen.host.c_str(), &a.sin6_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) err = errno;
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(listen.port);
    ::inet_pton(AF_INET, listen.host.c_str(), &a.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) err = errno;
  }
  ::close(fd);
  if (err == EADDRINUSE)
    return fmt::format(
        "{} is in use (another lampi-fleet?); use --metrics-listen {} or another "
        "port, or \"\" to turn the endpoint off",
        where, format_listen_address({listen.host, 0}));
  return fmt::format(
      "cannot listen on {}: {}; pick another --metrics-listen (port 0 picks a "
      "free one) or \"\" to turn the endpoint off",
      where, err ? std::strerror(err) : "the embedded HTTP server refused it");
}

}  // namespace

MetricsExporter::MetricsExporter(const ListenAddress& listen, BuildInfo build)
    : host_(listen.host), build_(std::move(build)) {
  // civetweb takes the "host:port" text, brackets around an IPv6 host included.
  const std::string where = format_listen_address(listen);
  CivetCallbacks callbacks;
  callbacks.init_context = catch_server;
  server_being_started = nullptr;
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(server_options(where), &callbacks);
  } catch (const std::exception&) {
    server_being_started = nullptr;
    throw std::runtime_error("metrics: " + why_not_bound(listen, where));
  }
  CivetServer* server = std::exchange(server_being_started, nullptr);
  if (!server) throw std::logic_error("metrics: the embedded HTTP server did not start");
  health_ = std::make_unique<HealthHandler>();
  server->addHandler("/healthz", health_.get());
  auto ports = exposer_->GetListeningPorts();
  port_ = ports.empty() ? listen.port : static_cast<std::uint16_t>(ports.front());
}

MetricsExporter::~MetricsExporter() {
  stop_serving();
}

MetricsExporter::Serving::Serving(MetricsExporter& exporter, FleetStatsView fleet)
    : exporter_(exporter) {
  exporter_.serve(std::move(fleet));
}

void MetricsExporter::serve(FleetStatsView fleet) {
  stop_serving();
  fleet_ = std::make_shared<FleetCollector>(std::move(fleet), build_);
  exposer_->RegisterCollectable(fleet_, "/metrics");
  health_->ready = true;
}

void MetricsExporter::stop_serving() {
  if (!fleet_) return;
  health_->ready = false;
  exposer_->RemoveCollectable(fleet_, "/metrics");  // waits for a scrape in progress
  fleet_.reset();
}

std::string MetricsExporter::url() const {
  return fmt::format("http://{}/metrics", format_listen_address({host_, port_}));
}

}  // namespace lampi::fleet
