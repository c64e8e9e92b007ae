// A fleet run: lamps spread over shards (one thread each), powered on at the hatch
// rate, stopped together.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "fleet/config/fleet_config.hpp"
#include "fleet/engine/mosquitto_library.hpp"
#include "fleet/engine/shard.hpp"

namespace lampi::fleet {

struct ResolvedBroker {
  std::string numeric_host;
  int port = 1883;
};

class FleetEngine {
 public:
  FleetEngine(const FleetConfig& config, const ResolvedBroker& broker, void* ssl_ctx = nullptr);
  ~FleetEngine();
  FleetEngine(const FleetEngine&) = delete;
  FleetEngine& operator=(const FleetEngine&) = delete;

  void start();
  void request_stop(StopMode mode);
  // True once every shard thread has finished.
  bool finished() const;
  void join();

  std::chrono::steady_clock::time_point epoch() const { return ctx_.epoch; }
  const std::vector<std::unique_ptr<Shard>>& shards() const { return shards_; }
  const FleetConfig& config() const { return config_; }

  // Set by whoever watches the shards' lag (the run loop); read by the exporter.
  void set_generator_saturated(bool v) { generator_saturated_.store(v, std::memory_order_relaxed); }
  bool generator_saturated() const { return generator_saturated_.load(std::memory_order_relaxed); }

 private:
  MosquittoLibrary mosquitto_;  // first in, last out: outlives every client
  FleetConfig config_;
  ShardContext ctx_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<bool> generator_saturated_{false};
};

// The profile lamp `index` of `lamps` follows: shares are exact to within one lamp and
// interleaved over the hatch order (a golden-ratio sequence), so a ramp-up mixes them.
model::Profile profile_for(const ProfileMix& shares, std::uint64_t index);

}  // namespace lampi::fleet
