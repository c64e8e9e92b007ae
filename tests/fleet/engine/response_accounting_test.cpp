// Every publish is accounted for: a PUBACK after the timeout is a failure whose real time
// still goes into the percentiles, a publish never acknowledged is a failure that counts at
// least its wait, and what the bridges still held when the run stopped is counted unsent.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "fleet/broker/mosquitto_process.hpp"
#include "fleet/engine/fleet_engine.hpp"
#include "tests/support/paused_broker.hpp"

using namespace lampi;
using namespace std::chrono_literals;
using testing::PausedBroker;

namespace {

struct Totals {
  std::uint64_t requests = 0, failures = 0, acked = 0, timeouts = 0, late_acks = 0,
                unacked_at_end = 0, unacked_at_power_off = 0, unsent_at_stop = 0, bridged = 0;
  std::int64_t inflight = 0;
  fleet::LatencyHistogram response;
};

Totals totals(const fleet::FleetEngine& engine) {
  Totals t;
  for (const auto& shard : engine.shards()) {
    const auto& st = shard->stats();
    for (const auto& topic : st.topics) {
      t.requests += fleet::read(topic.requests);
      t.failures += fleet::read(topic.failures);
      t.acked += fleet::read(topic.acked);
    }
    t.timeouts += fleet::read(st.timeouts);
    t.late_acks += fleet::read(st.late_acks);
    t.unacked_at_end += fleet::read(st.unacked_at_end);
    t.unacked_at_power_off += fleet::read(st.unacked_at_power_off);
    t.unsent_at_stop += fleet::read(st.unsent_at_stop);
    t.inflight += st.inflight.load();
    t.bridged += static_cast<std::uint64_t>(
        st.lamps_by_phase[static_cast<std::size_t>(fleet::LampPhase::bridged)].load());
  }
  return t;
}

// Only after join(): the histograms belong to the shard threads while they run.
fleet::LatencyHistogram all_responses(const fleet::FleetEngine& engine) {
  fleet::LatencyHistogram all;
  for (const auto& shard : engine.shards())
    for (const auto& topic : shard->stats().latency) all.merge(topic.response);
  return all;
}

bool wait_for(const fleet::FleetEngine& engine, const std::function<bool(const Totals&)>& done,
              std::chrono::seconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done(totals(engine))) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done(totals(engine));
}

constexpr std::size_t kLamps = 20;

// Touch-drag lamps publish lamp/changed (QoS 1) several times a second.
fleet::FleetConfig busy_lamps(const fleet::MosquittoProcess& broker, double timeout_s) {
  fleet::FleetConfig c;
  c.lamps = kLamps;
  c.broker = fleet::BrokerTarget{false, broker.address(), broker.port()};
  c.hatch_rate = 1000;
  c.threads = 2;
  c.response_timeout = fleet::Seconds(timeout_s);
  c.stop_timeout = fleet::Seconds(3);
  c.model.reconnect_base = model::seconds_to_duration(0.2);
  c.model.reconnect_cap = model::seconds_to_duration(0.5);
  return c;
}

// Bridged and publishing: acknowledged publishes are arriving.
void wait_until_busy(const fleet::FleetEngine& engine) {
  REQUIRE(wait_for(
      engine, [](const Totals& t) { return t.bridged == kLamps && t.acked > 200; }, 30s));
}

}  // namespace

TEST_CASE("a PUBACK after the timeout: a failure, and its real response time is in the percentiles") {
  auto broker = fleet::MosquittoProcess::start({});
  fleet::FleetEngine engine(busy_lamps(broker, 0.3), {broker.address(), broker.port()});
  engine.start();
  wait_until_busy(engine);
  {
    PausedBroker paused(broker);
    // The lamps keep publishing into a broker that reads nothing until the timeout passes.
    REQUIRE(wait_for(
        engine, [](const Totals& t) { return t.timeouts >= 10; }, 15s));
    std::this_thread::sleep_for(1s);
  }
  // Resumed: the late PUBACKs arrive, and every lamp has nothing left in flight.
  CHECK(wait_for(
      engine, [](const Totals& t) { return t.late_acks >= 10 && t.inflight == 0; }, 15s));
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
  auto t = totals(engine);
  CAPTURE(t.timeouts);
  CAPTURE(t.late_acks);
  CAPTURE(t.unacked_at_power_off);
  CHECK(t.late_acks <= t.timeouts);          // each late one was a timeout first
  CHECK(t.failures == t.timeouts);           // and counted once, when it went late
  // Every publish acknowledged in time, failed, or left unanswered by its own lamp's
  // power-off (the graceful stop's last "0" states): each exactly one of them.
  CHECK(t.acked + t.failures + t.unacked_at_power_off == t.requests);
  // The pause lasted over a second past the 0.3 s timeout: the slowest responses say so
  // rather than being left out.
  auto all = all_responses(engine);
  CHECK(all.max() >= 1'000'000);
  // Every timed-out publish got its PUBACK in the end (after the sweep marked it late, or
  // just before it would have) and every one of them is in the percentiles.
  CHECK(all.count() == t.acked + t.timeouts);
}

TEST_CASE("a broker gone with publishes in flight: failures counting their wait, queues unsent") {
  auto broker = fleet::MosquittoProcess::start({});
  fleet::FleetEngine engine(busy_lamps(broker, 30), {broker.address(), broker.port()});
  engine.start();
  wait_until_busy(engine);
  {
    PausedBroker paused(broker);
    std::this_thread::sleep_for(1s);  // publishes pile up in flight, within the 30 s timeout
    broker.kill();                    // and the broker never answers them
  }
  std::this_thread::sleep_for(1500ms);  // the bridges queue what the lamps publish meanwhile
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
  auto t = totals(engine);
  CAPTURE(t.unacked_at_end);
  CAPTURE(t.unsent_at_stop);
  CAPTURE(t.failures);
  CHECK(t.unacked_at_end > 0);
  CHECK(t.timeouts == 0);
  CHECK(t.failures == t.unacked_at_end);  // not late: failures only at the end
  CHECK(t.acked + t.failures + t.unacked_at_power_off == t.requests);
  CHECK(t.inflight == 0);
  auto all = all_responses(engine);
  CHECK(all.count() == t.acked + t.unacked_at_end);
  CHECK(all.max() >= 2'000'000);  // waited from before the pause to the stop, at least
  // What the lamps published after the broker went is still in their bridges: unsent.
  CHECK(t.unsent_at_stop > 0);
  std::uint64_t queued = 0;
  for (const auto& shard : engine.shards()) queued += fleet::read(shard->stats().bridge_queued);
  CHECK(t.unsent_at_stop <= queued);
}
