#include "fleet/engine/fleet_engine.hpp"

#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "fleet/engine/profile_mixer.hpp"

namespace lampi::fleet {

FleetEngine::FleetEngine(const FleetConfig& config, const ResolvedBroker& broker, void* ssl_ctx,
                         const model::StoredLamps* stored, const PowerOnPlan* plan)
    : config_(config) {
  unsigned threads =
      config_.threads ? config_.threads : std::max(1u, std::thread::hardware_concurrency());
  const LampSlice lamps = shard_slice(config_);
  if (plan && plan->size() != lamps.count)
    throw std::invalid_argument("FleetEngine: the power-on plan has " +
                                std::to_string(plan->size()) + " entries for " +
                                std::to_string(lamps.count) + " lamps");
  threads =
      static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(lamps.count, 1)));
  ctx_.config = &config_;
  ctx_.link.host = broker.numeric_host;
  ctx_.link.port = broker.port;
  ctx_.link.keepalive_seconds = static_cast<int>(
      std::chrono::duration_cast<std::chrono::seconds>(config_.model.keepalive).count());
  ctx_.link.clean_session = config_.model.clean_session;
  ctx_.link.mqtt5 = config_.mqtt_version == MqttVersion::v5;
  ctx_.link.username = config_.username;
  ctx_.link.password = config_.password;
  ctx_.link.ssl_ctx = ssl_ctx;
  // libmosquitto binds to an address given as text: format each once, not per connect.
  for (auto address : config_.source_addresses) ctx_.source_addresses.push_back(address.str());
  ctx_.connects_in_flight_cap =
      std::max<std::size_t>(1, (config_.max_connects_in_flight + threads - 1) / threads);
  ctx_.inflight_cap = std::max<std::size_t>(1, config_.model.bridge_queue_limit);
  ctx_.epoch = std::chrono::steady_clock::now();

  for (unsigned i = 0; i < threads; ++i) shards_.push_back(std::make_unique<Shard>(i, ctx_));
  // Lamp i of the fleet is the same lamp whichever shard runs it: its device ID, its seed
  // stream and its profile all come from i, so the shards together replay the fleet.
  ProfileMixer profiles(config_.profiles.shares());  // lamp index order is hatch order
  for (std::uint64_t i = 0; i < lamps.first; ++i) profiles.next();
  const double hatch_rate = shard_hatch_rate(config_);
  for (std::uint64_t n = 0; n < lamps.count; ++n) {
    const std::uint64_t i = lamps.first + n;
    auto power_on_at = model::at(
        plan ? (*plan)[n] : model::seconds_to_duration(static_cast<double>(n) / hatch_rate));
    const model::DeviceId id = model::device_id_at(config_.device_id_base, i);
    const model::StoredLamp* kept = nullptr;
    if (stored)
      if (auto at = stored->find(id.value); at != stored->end()) kept = &at->second;
    shards_[n % threads]->add_lamp(i, id, model::Rng::derive(config_.seed, i), profiles.next(),
                                   power_on_at, kept);
  }
}

FleetEngine::~FleetEngine() {
  request_stop(StopMode::power_loss);
  join();
}

void FleetEngine::start() {
  // The virtual clock starts when the threads do, so the first lamp hatches at once.
  ctx_.epoch = std::chrono::steady_clock::now();
  for (auto& s : shards_) s->start();
}

void FleetEngine::request_stop(StopMode mode) {
  for (auto& s : shards_) s->request_stop(mode);
}

bool FleetEngine::finished() const {
  for (const auto& s : shards_)
    if (!s->done()) return false;
  return true;
}

void FleetEngine::join() {
  for (auto& s : shards_) s->join();
}

std::vector<LampLedger> FleetEngine::lamp_ledgers() const {
  std::vector<LampLedger> out;
  for (const auto& shard : shards_)
    out.insert(out.end(), shard->ledgers().begin(), shard->ledgers().end());
  return out;
}

std::optional<model::StoredLamps> FleetEngine::stored_lamps(std::chrono::milliseconds wait) {
  model::StoredLamps all;
  for (auto& shard : shards_) {
    auto mine = shard->stored_lamps(wait);
    if (!mine) return std::nullopt;
    all.merge(*mine);
  }
  return all;
}

FleetStatsView FleetEngine::stats_view() const {
  std::vector<const FleetStats*> stats;
  for (const auto& s : shards_) stats.push_back(&std::as_const(*s).stats());
  return FleetStatsView(config_, std::move(stats), generator_saturated_);
}

IntervalReader FleetEngine::interval_reader() {
  if (interval_reader_taken_)
    throw std::logic_error(
        "FleetEngine::interval_reader() called twice: the mailboxes have one reader");
  interval_reader_taken_ = true;
  std::vector<FleetStats*> stats;
  for (auto& s : shards_) stats.push_back(&s->stats());
  return IntervalReader(std::move(stats));
}

}  // namespace lampi::fleet
