#include "fleet/metrics/metrics_exporter.hpp"

#include <fmt/format.h>
#include <prometheus/exposer.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "fleet/config/config_loader.hpp"
#include "fleet/metrics/metrics_collector.hpp"

namespace lampi::fleet {

namespace {
// /healthz answers 200 with one gauge while the process serves.
class Health final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::ClientMetric up;
    up.gauge.value = 1.0;
    return {prometheus::MetricFamily{
        "lampi_fleet_up", "1 while lampi-fleet serves.", prometheus::MetricType::Gauge, {up}}};
  }
};
}  // namespace

namespace {

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
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(where);
  } catch (const std::exception&) {
    throw std::runtime_error("metrics: " + why_not_bound(listen, where));
  }
  health_ = std::make_shared<Health>();
  exposer_->RegisterCollectable(health_, "/healthz");
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
}

void MetricsExporter::stop_serving() {
  if (!fleet_) return;
  exposer_->RemoveCollectable(fleet_, "/metrics");  // waits for a scrape in progress
  fleet_.reset();
}

std::string MetricsExporter::url() const {
  return fmt::format("http://{}/metrics", format_listen_address({host_, port_}));
}

}  // namespace lampi::fleet
