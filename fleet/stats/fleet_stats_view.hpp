// What reporting may read of a fleet, and the one handle that may empty its mailboxes.
//
// FleetStatsView is read-only: each shard's FleetStats as const (a shard's position is its
// index, the "shard" label of the metrics), the config the run was given and the
// generator-saturated flag the run loop sets. The progress line, the summary and the
// Prometheus collector depend on it instead of the engine, so they build and test
// against hand-filled FleetStats. It is a handful of pointers, cheap to copy, and valid
// while what it points at lives (the engine's shards, or a test's).
//
// Why taking an interval is not on the view: FleetStats::take_interval() empties a
// shard's once-a-second histogram mailbox, so every caller steals seconds from every other.
// A const view is handed to anyone (the scrape thread, the end-of-run summary), so it
// offers no way to reach the mailbox; the mailbox is private to FleetStats and its one
// reader is IntervalReader, a move-only handle over non-const stats that the single
// sampler (the progress meter of the run loop) owns. The engine hands out exactly one.
#pragma once

#include <atomic>
#include <span>
#include <utility>
#include <vector>

#include "fleet/config/fleet_config.hpp"
#include "fleet/stats/fleet_stats.hpp"

namespace lampi::fleet {

class FleetStatsView {
 public:
  FleetStatsView(const FleetConfig& config, std::vector<const FleetStats*> shards,
                 const std::atomic<bool>& generator_saturated)
      : config_(&config), shards_(std::move(shards)), generator_saturated_(&generator_saturated) {}
  // The view points at what it is given, so it must outlive the view: no temporaries.
  FleetStatsView(const FleetConfig&&, std::vector<const FleetStats*>,
                 const std::atomic<bool>&) = delete;
  FleetStatsView(const FleetConfig&, std::vector<const FleetStats*>,
                 const std::atomic<bool>&&) = delete;

  const FleetConfig& config() const { return *config_; }
  // In shard order: shards()[i] is shard i's. Not on a temporary view, whose span would
  // dangle by the end of the statement (`for (auto* s : engine.stats_view().shards())`).
  std::span<const FleetStats* const> shards() const& { return shards_; }
  std::span<const FleetStats* const> shards() const&& = delete;
  // Whether the run loop last judged the generator unable to keep its own schedule.
  bool generator_saturated() const { return generator_saturated_->load(std::memory_order_relaxed); }
  // The cloud stand-in's counters, or null when the run has none. They must outlive the view.
  const CloudCounters* cloud() const { return cloud_; }
  FleetStatsView with_cloud(const CloudCounters* cloud) const {
    FleetStatsView v = *this;
    v.cloud_ = cloud;
    return v;
  }

 private:
  const FleetConfig* config_;
  std::vector<const FleetStats*> shards_;
  const std::atomic<bool>* generator_saturated_;
  const CloudCounters* cloud_ = nullptr;
};

class IntervalReader {
 public:
  explicit IntervalReader(std::vector<FleetStats*> shards) : shards_(std::move(shards)) {}
  IntervalReader(IntervalReader&&) = default;
  IntervalReader& operator=(IntervalReader&&) = default;
  IntervalReader(const IntervalReader&) = delete;
  IntervalReader& operator=(const IntervalReader&) = delete;

  // Empties every shard's mailbox: what the shards published since the last call, merged.
  FleetStats::Interval take();

 private:
  std::vector<FleetStats*> shards_;
};

}  // namespace lampi::fleet
