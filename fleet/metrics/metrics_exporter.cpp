#include "fleet/metrics/metrics_exporter.hpp"

#include <fmt/format.h>
#include <prometheus/exposer.h>

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

MetricsExporter::MetricsExporter(FleetStatsView fleet, const ListenAddress& listen, BuildInfo build)
    : host_(listen.host) {
  // civetweb takes the "host:port" text, brackets around an IPv6 host included.
  const std::string where = format_listen_address(listen);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(where);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format(
        "cannot serve metrics on {}: {}. Pick another --metrics-listen (port 0 picks a free "
        "one) or \"\" to turn the endpoint off.",
        where, e.what()));
  }
  fleet_ = std::make_shared<FleetCollector>(std::move(fleet), std::move(build));
  health_ = std::make_shared<Health>();
  exposer_->RegisterCollectable(fleet_, "/metrics");
  exposer_->RegisterCollectable(health_, "/healthz");
  auto ports = exposer_->GetListeningPorts();
  port_ = ports.empty() ? listen.port : static_cast<std::uint16_t>(ports.front());
}

MetricsExporter::~MetricsExporter() = default;

std::string MetricsExporter::url() const {
  return fmt::format("http://{}/metrics", format_listen_address({host_, port_}));
}

}  // namespace lampi::fleet
