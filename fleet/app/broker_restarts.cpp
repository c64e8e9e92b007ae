#include "fleet/app/broker_restarts.hpp"

#include <exception>

namespace lampi::fleet {

BrokerRestarts::BrokerRestarts(const std::vector<FaultEvent>& events, MosquittoProcess* local,
                               FleetEngine& engine, spdlog::logger& log)
    : events_(events), local_(local), engine_(engine), log_(log) {}

void BrokerRestarts::step(double now_s) {
  if (local_ == nullptr) return;
  if (down_ && now_s >= up_at_s_) {
    try {
      local_->start_again();
      down_ = false;
      log_.info("Fault: the local mosquitto is up again on port {}", local_->port());
    } catch (const std::exception& e) {
      // Tried again each second; lamps that stay away then show in the verdict.
      if (failed_starts_++ == 0)
        log_.error("Fault: could not start the local mosquitto again ({}); retrying", e.what());
    }
  }
  if (down_) return;
  while (next_ < events_.size() && events_[next_].at.count() <= now_s) {
    const std::size_t i = next_++;
    const FaultEvent& e = events_[i];
    if (e.kind != FaultKind::restart) continue;
    // The shards first, so that what the restart holds back counts as the fleet's fault.
    engine_.expect_broker_restart(i);
    local_->stop();
    down_ = true;
    up_at_s_ = now_s + e.lasting.count();
    log_.info("Fault {}: stopped the local mosquitto ({}); starting it again in {:g} s", i + 1,
              local_->exit_status(), e.lasting.count());
    return;  // one at a time: a later event waits until the broker is back
  }
}

}  // namespace lampi::fleet
