// Turns the shards' counters into Prometheus metric families at scrape time.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <chrono>
#include <vector>

#include "fleet/stats/build_info.hpp"
#include "fleet/stats/fleet_stats_view.hpp"

namespace lampi::fleet {

class FleetCollector final : public prometheus::Collectable {
 public:
  // Reads only the view: Collect() runs on the exposer's thread, and a const view cannot
  // take the progress meter's histogram intervals from under it.
  FleetCollector(FleetStatsView fleet, BuildInfo build);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  FleetStatsView fleet_;
  BuildInfo build_;
  double start_time_seconds_;
};

// Appends the standard process_* families (CPU, RSS, fds, start time) read from /proc.
void collect_process_metrics(std::vector<prometheus::MetricFamily>& out, double start_time_seconds);

}  // namespace lampi::fleet
