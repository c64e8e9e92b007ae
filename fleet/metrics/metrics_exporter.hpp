// The Prometheus endpoint. Nothing here runs per message: shards count into their own
// FleetStats and the collector reads them when Prometheus scrapes (see docs/metrics.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "fleet/stats/build_info.hpp"
#include "fleet/stats/fleet_stats_view.hpp"

namespace prometheus {
class Exposer;
class Collectable;
}  // namespace prometheus

namespace lampi::fleet {

class MetricsExporter {
 public:
  // Serves /metrics and /healthz on `listen` (port 0 picks a free one). Throws
  // std::runtime_error when the address cannot be bound.
  MetricsExporter(FleetStatsView fleet, const ListenAddress& listen, BuildInfo build);
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const;

 private:
  std::string host_;
  std::uint16_t port_ = 0;
  std::shared_ptr<prometheus::Collectable> fleet_;
  std::shared_ptr<prometheus::Collectable> health_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace lampi::fleet
