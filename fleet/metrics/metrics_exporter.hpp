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

class HealthHandler;

class MetricsExporter {
 public:
  // Binds `listen` at once (port 0 picks a free one), before anything else starts, so a
  // busy port is a clear error and not a started-and-stopped broker; /healthz answers
  // from here on: "not ready" (503) until a Serving starts and after it ends, "ok" (200)
  // while it lives. Throws std::runtime_error saying what to do when it cannot bind.
  MetricsExporter(const ListenAddress& listen, BuildInfo build);
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // /metrics reads `fleet` while a Serving lives; its destructor waits for a scrape in
  // progress, so the stats it reads may be destroyed right after it.
  class Serving {
   public:
    Serving(MetricsExporter& exporter, FleetStatsView fleet);
    ~Serving() { exporter_.stop_serving(); }
    Serving(const Serving&) = delete;
    Serving& operator=(const Serving&) = delete;

   private:
    MetricsExporter& exporter_;
  };

  std::uint16_t port() const { return port_; }
  std::string url() const;

 private:
  void serve(FleetStatsView fleet);
  void stop_serving();

  std::string host_;
  std::uint16_t port_ = 0;
  BuildInfo build_;
  std::shared_ptr<prometheus::Collectable> fleet_;
  std::unique_ptr<HealthHandler> health_;  // outlives the server that calls it
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace lampi::fleet
