// Turns the shards' counters into Prometheus metric families at scrape time.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <chrono>
#include <vector>

#include "fleet/engine/fleet_engine.hpp"

namespace lampi::fleet {

class FleetCollector final : public prometheus::Collectable {
 public:
  explicit FleetCollector(const FleetEngine& engine);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const FleetEngine& engine_;
  double start_time_seconds_;
};

// Appends the standard process_* families (CPU, RSS, fds, start time) read from /proc.
void collect_process_metrics(std::vector<prometheus::MetricFamily>& out, double start_time_seconds);

}  // namespace lampi::fleet
