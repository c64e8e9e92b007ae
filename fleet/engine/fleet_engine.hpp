// A fleet run: lamps spread over shards (one thread each), powered on at the hatch
// rate, stopped together.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "fleet/config/fleet_config.hpp"
#include "fleet/engine/mosquitto_library.hpp"
#include "fleet/engine/shard.hpp"
#include "fleet/stats/fleet_stats_view.hpp"

namespace lampi::fleet {

struct ResolvedBroker {
  std::string numeric_host;
  int port = 1883;
};

// When each lamp of this process's slice powers on, from the engine's start, in slice
// order; the default is the hatch rate's even ramp (lamp n at n / rate). A caller that
// ramps in steps (`lampi-fleet capacity`) plans its own.
using PowerOnPlan = std::vector<model::Duration>;

class FleetEngine {
 public:
  // `stored`: what lamps kept from a previous run (run.state_file); a lamp not in it is new.
  // `plan`: when each lamp powers on (one entry per lamp of the slice, or it is refused
  // with std::invalid_argument); null: at the hatch rate.
  FleetEngine(const FleetConfig& config, const ResolvedBroker& broker, void* ssl_ctx = nullptr,
              const model::StoredLamps* stored = nullptr, const PowerOnPlan* plan = nullptr);
  ~FleetEngine();
  FleetEngine(const FleetEngine&) = delete;
  FleetEngine& operator=(const FleetEngine&) = delete;

  // Before start(): told of every lamp's connection closed without DISCONNECT, on the
  // lamp's shard thread (so `listener` must be thread-safe), to time the will that follows.
  void set_drop_listener(
      std::function<void(std::uint64_t device_id, std::chrono::steady_clock::time_point)>
          listener) {
    ctx_.on_own_drop = std::move(listener);
  }
  void start();
  void request_stop(StopMode mode);
  // Thread-safe: the broker is about to be restarted for faults.events[event].
  void expect_broker_restart(std::size_t event) {
    for (auto& s : shards_) s->expect_broker_restart(event);
  }
  // True once every shard thread has finished.
  bool finished() const;
  void join();

  std::chrono::steady_clock::time_point epoch() const { return ctx_.epoch; }
  const std::vector<std::unique_ptr<Shard>>& shards() const { return shards_; }
  const FleetConfig& config() const { return config_; }

  // Set by whoever watches the shards' lag (the run loop); read by the exporter.
  void set_generator_saturated(bool v) { generator_saturated_.store(v, std::memory_order_relaxed); }
  bool generator_saturated() const { return generator_saturated_.load(std::memory_order_relaxed); }

  // Thread-safe: what every lamp stores, for the state file; nothing when a running shard
  // did not answer within `wait` (an overloaded one: the next save tries again).
  std::optional<model::StoredLamps> stored_lamps(std::chrono::milliseconds wait);

  // Every lamp's side of the cloud accounting, after join() (empty without a cloud).
  std::vector<LampLedger> lamp_ledgers() const;

  // What reporting and metrics read: the shards' stats as const, the config and the flag
  // above. Valid while the engine lives.
  FleetStatsView stats_view() const;
  // The one reader of the shards' once-a-second mailboxes, for the run loop's sampler.
  // Throws std::logic_error on a second call: two readers would split the seconds.
  IntervalReader interval_reader();

 private:
  MosquittoLibrary mosquitto_;  // first in, last out: outlives every client
  FleetConfig config_;
  ShardContext ctx_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<bool> generator_saturated_{false};
  bool interval_reader_taken_ = false;
};

}  // namespace lampi::fleet
