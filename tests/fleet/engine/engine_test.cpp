// The fleet engine against a real mosquitto, watched by an independent observer client.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "fleet/broker/mosquitto_process.hpp"
#include "fleet/config/config_loader.hpp"
#include "fleet/engine/fleet_engine.hpp"
#include "tests/support/mqtt_observer.hpp"
#include "tests/support/read_text.hpp"

using namespace lampi;
using namespace std::chrono_literals;
using fleet::FleetConfig;
using testing::MqttObserver;
using testing::ObservedMessage;

namespace {

model::DurationRange exactly(double s) {
  return {model::seconds_to_duration(s), model::seconds_to_duration(s)};
}

// Services come up in a fixed order so the remote sequence is exact.
FleetConfig test_config(std::size_t lamps, const fleet::MosquittoProcess& broker) {
  FleetConfig c;
  c.lamps = lamps;
  c.broker = fleet::BrokerTarget{false, broker.address(), broker.port()};
  c.hatch_rate = 2000;
  c.threads = 2;
  c.profiles = {{model::Profile::idle, 100.0}};
  // Late enough that every bridge is up first (2,000 lamps hatch over one second).
  c.model.service_start = {exactly(2.0), exactly(2.3), exactly(2.1), exactly(2.2)};
  c.model.reconnect_base = model::seconds_to_duration(0.2);
  c.model.reconnect_cap = model::seconds_to_duration(1.0);
  c.stop_timeout = fleet::Seconds(5);
  return c;
}

// The observers take thousands of messages in a burst; mosquitto's default queue of
// 1000 per client would drop some of them.
fleet::MosquittoOptions unbounded_observer_queues() {
  fleet::MosquittoOptions o;
  o.extra_config_lines = {"max_queued_messages 0"};
  return o;
}

fleet::ResolvedBroker resolved(const fleet::MosquittoProcess& broker) {
  return {broker.address(), broker.port()};
}

std::string id_of(std::size_t i) {
  return model::device_id_at(model::kDefaultDeviceIdBase, i).str();
}

std::size_t count_topic_payload(const std::vector<ObservedMessage>& ms, const std::string& suffix,
                                const std::string& payload) {
  std::size_t n = 0;
  for (const auto& m : ms)
    if (m.topic.ends_with(suffix) && m.payload == payload) ++n;
  return n;
}

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

std::vector<ObservedMessage> of_lamp(const std::vector<ObservedMessage>& all,
                                     const std::string& id) {
  std::vector<ObservedMessage> out;
  for (const auto& m : all)
    if (m.topic.find(id) != std::string::npos) out.push_back(m);
  return out;
}

const std::string kDefaultChanged =
    R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": ""})";

struct Expected {
  std::string topic;
  std::string payload;
  int qos;
};

// A cold first boot as EC2 sees it (protocol doc section 3): the bridge's "1", then the
// services' own first publishes in their start order.
std::vector<Expected> first_boot(const std::string& id) {
  std::string dev = "devices/" + id + "/lamp/";
  return {
      {"$SYS/broker/connection/" + id + "_broker/state", "1", 1},
      {dev + "connection/lamp_service/state", "1", 1},
      {dev + "changed", kDefaultChanged, 1},
      {dev + "connection/lamp_bt_peripheral/state", "1", 1},
      {dev + "connection/lamp_ui/state", "1", 1},
  };
}

void check_sequence(const std::vector<ObservedMessage>& got, const std::vector<Expected>& want) {
  REQUIRE(got.size() >= want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i].topic == want[i].topic);
    CHECK(got[i].payload == want[i].payload);
    CHECK(got[i].qos == want[i].qos);
  }
}

}  // namespace

TEST_CASE("2,000 lamps bridge through the engine with the exact power-on sequence, one fd each") {
  auto broker = fleet::MosquittoProcess::start(unbounded_observer_queues());
  MqttObserver live;
  live.connect(broker.address(), broker.port(), "observer-live");
  live.subscribe("devices/#", 2);
  live.subscribe("$SYS/broker/connection/+/state", 2);
  // Connected before the fleet opens its sockets: its library loop uses select().
  MqttObserver late;
  late.connect(broker.address(), broker.port(), "observer-late");

  const std::size_t lamps = 2000;
  FleetConfig config = test_config(lamps, broker);
  std::size_t fds_before = open_fds();
  fleet::FleetEngine engine(config, resolved(broker));
  engine.start();
  // Every lamp's last first-boot message is lamp_ui's "1".
  REQUIRE(live.wait_for(
      [&](const auto& ms) {
        return count_topic_payload(ms, "/lamp/connection/lamp_ui/state", "1") >= lamps;
      },
      60s));
  std::size_t fds_during = open_fds();
  // One socket per lamp: no socketpair (2 more fds each) from libmosquitto.
  CHECK(fds_during - fds_before >= lamps);
  CHECK(fds_during - fds_before < lamps + 64);

  auto all = live.messages();
  CHECK(count_topic_payload(all, "_broker/state", "1") == lamps);
  for (std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{777}, std::size_t{1999}}) {
    CAPTURE(i);
    auto seq = of_lamp(all, id_of(i));
    check_sequence(seq, first_boot(id_of(i)));
    CHECK(seq.size() == 5);  // idle lamps send nothing else
  }

  // Retained flags: a late subscriber gets every state back as retained messages.
  late.subscribe("devices/" + id_of(42) + "/#", 2);
  late.subscribe("$SYS/broker/connection/" + id_of(42) + "_broker/state", 2);
  REQUIRE(late.wait_for([](const auto& ms) { return ms.size() >= 5; }, 5s));
  for (const auto& m : late.messages()) {
    CAPTURE(m.topic);
    CHECK(m.retain);
  }

  // The broker saw the bridges' client ids.
  CHECK(testing::read_text(broker.log_path()).find(" as " + id_of(1999) + "_broker") !=
        std::string::npos);

  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
  std::uint64_t connects = 0;
  for (const auto& s : engine.shards()) connects += fleet::read(s->stats().connects);
  CHECK(connects == lamps);
}

TEST_CASE("a set_config from the cloud comes back as the right lamp/changed") {
  auto broker = fleet::MosquittoProcess::start({});
  MqttObserver web;
  web.connect(broker.address(), broker.port(), "web");
  web.subscribe("devices/+/lamp/changed", 1);
  FleetConfig config = test_config(5, broker);
  fleet::FleetEngine engine(config, resolved(broker));
  engine.start();
  std::string id = id_of(3);
  REQUIRE(web.wait_for(
      [&](const auto& ms) {
        return count_topic_payload(ms, id + "/lamp/changed", kDefaultChanged) == 1;
      },
      10s));
  web.publish("devices/" + id + "/lamp/set_config",
              R"({"color":{"h":0.5,"s":1},"brightness":0.8,"on":true,"client":"0.123_web_client"})",
              1);
  const std::string want =
      R"({"color": {"h": 0.5, "s": 1}, "brightness": 0.8, "on": true, "client": "0.123_web_client"})";
  CHECK(web.wait_for(
      [&](const auto& ms) { return count_topic_payload(ms, id + "/lamp/changed", want) == 1; },
      5s));

  // A payload that kills the real lamp_service: its will crosses the bridge, then it
  // comes back with "1" and its state.
  web.subscribe("devices/" + id + "/lamp/connection/lamp_service/state", 1);
  web.publish("devices/" + id + "/lamp/set_config", R"({"client": "x", "color": {"h": 0.1}})", 1);
  CHECK(web.wait_for(
      [&](const auto& ms) {
        return count_topic_payload(ms, id + "/lamp/connection/lamp_service/state", "0") == 1;
      },
      5s));
  CHECK(web.wait_for(
      [&](const auto& ms) { return count_topic_payload(ms, id + "/lamp/changed", want) >= 1; },
      5s));
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
  std::uint64_t crashes = 0;
  for (const auto& s : engine.shards()) crashes += fleet::read(s->stats().service_crashes);
  CHECK(crashes == 1);
}

TEST_CASE(
    "a broker restart: lamps back off, reconnect, replay retained state; queue bounds hold; wills "
    "re-armed") {
  auto broker = fleet::MosquittoProcess::start(unbounded_observer_queues());
  const std::size_t lamps = 200;
  FleetConfig config = test_config(lamps, broker);
  // People keep dragging sliders through the outage, so the bridge queues fill up.
  config.profiles = {{model::Profile::seed_worst_case, 100.0}};
  config.model.sessions.worst_case_think = {model::seconds_to_duration(0.2),
                                            model::seconds_to_duration(0.4)};
  config.model.bridge_queue_limit = 5;
  MqttObserver observer;  // connected before the fleet's sockets exist (select() limit)
  fleet::FleetEngine engine(config, resolved(broker));
  engine.start();
  auto sum = [&](auto field) {
    std::int64_t n = 0;
    for (const auto& s : engine.shards()) n += static_cast<std::int64_t>(field(s->stats()));
    return n;
  };
  auto bridged = [&] {
    return sum([](const fleet::FleetStats& st) {
      return st.lamps_by_phase[static_cast<std::size_t>(fleet::LampPhase::bridged)].load();
    });
  };
  auto wait_until = [](auto pred, std::chrono::seconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(20ms);
    return pred();
  };
  REQUIRE(wait_until([&] { return bridged() == static_cast<std::int64_t>(lamps); }, 20s));
  std::this_thread::sleep_for(3s);  // every service is up and people are dragging

  broker.kill();
  CHECK(wait_until([&] { return bridged() == 0; }, 10s));
  std::this_thread::sleep_for(1500ms);  // the outage: sessions go on, queues fill
  // Each lamp holds at most bridge_queue_limit messages; the rest are counted as dropped.
  auto depth = sum([](const fleet::FleetStats& st) { return st.bridge_queue_depth.load(); });
  CHECK(depth <= static_cast<std::int64_t>(lamps * config.model.bridge_queue_limit));
  CHECK(sum([](const fleet::FleetStats& st) { return fleet::read(st.bridge_dropped); }) > 0);

  broker.restart();
  observer.connect(broker.address(), broker.port(), "observer");
  observer.subscribe("devices/+/lamp/connection/lamp_ui/state", 1);
  observer.subscribe("$SYS/broker/connection/+/state", 1);
  CHECK(wait_until([&] { return bridged() == static_cast<std::int64_t>(lamps); }, 30s));
  // Each lamp re-sent its retained connection states after reconnecting (the broker
  // lost them with its memory).
  CHECK(observer.wait_for(
      [&](const auto& ms) {
        return count_topic_payload(ms, "/lamp/connection/lamp_ui/state", "1") >= lamps;
      },
      10s));
  CHECK(sum([](const fleet::FleetStats& st) { return fleet::read(st.reconnects); }) >=
        static_cast<std::int64_t>(lamps));
  CHECK(sum([](const fleet::FleetStats& st) {
          return fleet::read(
              st.disconnects[static_cast<std::size_t>(fleet::DisconnectReason::lost)]);
        }) >= static_cast<std::int64_t>(lamps));

  // The reconnected lamps registered their wills again: cut them all and every will fires.
  engine.request_stop(fleet::StopMode::power_loss);
  CHECK(observer.wait_for(
      [&](const auto& ms) { return count_topic_payload(ms, "_broker/state", "0") == lamps; }, 10s));
  engine.join();
}

// Issue 9: validity is judged per phase. Each shard's ramp-up ends kRampSettleSeconds after
// its last lamp powered on; every lag sample goes to the ramp-up's or the steady state's.
TEST_CASE("the shards split their schedule lag at the end of the ramp-up") {
  auto broker = fleet::MosquittoProcess::start({});
  FleetConfig config = test_config(20, broker);
  config.hatch_rate = 20;  // one lamp every 50 ms: the last powers on at about 0.95 s
  config.profiles = {{model::Profile::touch_drag, 100.0}};  // timers all the way through
  fleet::FleetEngine engine(config, resolved(broker));
  engine.start();
  std::this_thread::sleep_for(std::chrono::seconds(fleet::kRampSettleSeconds) + 2500ms);
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
  for (const auto& shard : engine.shards()) {
    const auto& st = shard->stats();
    CHECK(st.steady_from_us >= fleet::kRampSettleSeconds * 1'000'000 + 900'000);
    CHECK(st.steady_from_us <= fleet::kRampSettleSeconds * 1'000'000 + 1'000'000);
    CHECK(st.schedule_lag_ramp.count() > 0);
    CHECK(st.schedule_lag_steady.count() > 0);
    CHECK(st.schedule_lag_ramp.count() + st.schedule_lag_steady.count() == st.schedule_lag.count());
  }
}

TEST_CASE("power-loss stop: the broker publishes every lamp's will within 1.5 x keepalive") {
  auto broker = fleet::MosquittoProcess::start(unbounded_observer_queues());
  MqttObserver observer;
  observer.connect(broker.address(), broker.port(), "observer");
  observer.subscribe("$SYS/broker/connection/+/state", 1);
  const std::size_t lamps = 300;
  FleetConfig config = test_config(lamps, broker);
  // libmosquitto's smallest keepalive.
  config.model.keepalive = model::seconds_to_duration(5.0);
  fleet::FleetEngine engine(config, resolved(broker));
  engine.start();
  bool up = observer.wait_for(
      [&](const auto& ms) { return count_topic_payload(ms, "_broker/state", "1") == lamps; }, 20s);
  REQUIRE(up);
  auto stopped_at = std::chrono::steady_clock::now();
  engine.request_stop(fleet::StopMode::power_loss);
  const auto limit = std::chrono::milliseconds(7500);  // 1.5 x keepalive
  CHECK(observer.wait_for(
      [&](const auto& ms) { return count_topic_payload(ms, "_broker/state", "0") == lamps; },
      limit));
  CHECK(std::chrono::steady_clock::now() - stopped_at <= limit);
  engine.join();
}

namespace {
std::string broker_log(const fleet::MosquittoProcess& broker) {
  return testing::read_text(broker.log_path());
}

// Runs a small idle fleet until every lamp is bridged, then stops it.
void run_until_bridged(FleetConfig config, const fleet::MosquittoProcess& broker) {
  MqttObserver observer;
  observer.connect(broker.address(), broker.port(), "observer-options");
  observer.subscribe("$SYS/broker/connection/+/state", 1);
  fleet::FleetEngine engine(config, resolved(broker));
  engine.start();
  CHECK(observer.wait_for(
      [&](const auto& ms) { return count_topic_payload(ms, "_broker/state", "1") == config.lamps; },
      10s));
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
}
}  // namespace

TEST_CASE("connection options: MQTT 3.1.1, persistent session and keepalive 60 by default") {
  auto broker = fleet::MosquittoProcess::start({});
  run_until_bridged(test_config(4, broker), broker);
  CHECK(broker_log(broker).find("as " + id_of(3) + "_broker (p2, c0, k60)") != std::string::npos);
}

TEST_CASE("connection options: MQTT v5 and clean sessions are selectable") {
  auto broker = fleet::MosquittoProcess::start({});
  FleetConfig config = test_config(4, broker);
  config.mqtt_version = fleet::MqttVersion::v5;
  config.model.clean_session = true;
  run_until_bridged(config, broker);
  CHECK(broker_log(broker).find("as " + id_of(3) + "_broker (p5, c1, k60)") != std::string::npos);
}

TEST_CASE("connection options: source addresses are used round-robin") {
  auto broker = fleet::MosquittoProcess::start({});
  FleetConfig config = test_config(6, broker);
  config.source_addresses = fleet::parse_source_addresses("127.0.0.2-127.0.0.4");
  run_until_bridged(config, broker);
  auto log = broker_log(broker);
  // Lamp i binds source address i mod 3.
  for (std::size_t i = 0; i < 6; ++i) {
    CAPTURE(i);
    std::string from = fmt::format("from 127.0.0.{}:", 2 + i % 3);
    auto at = log.find("as " + id_of(i) + "_broker");
    REQUIRE(at != std::string::npos);
    auto line_start = log.rfind('\n', at);
    CHECK(log.substr(line_start, at - line_start).find(from) != std::string::npos);
  }
}

TEST_CASE(
    "the engine's stats view reads its shards, and its one interval reader takes their seconds") {
  auto broker = fleet::MosquittoProcess::start({});
  const std::size_t lamps = 6;
  fleet::FleetEngine engine(test_config(lamps, broker), resolved(broker));
  auto view = engine.stats_view();
  REQUIRE(view.shards().size() == engine.shards().size());
  for (std::size_t i = 0; i < view.shards().size(); ++i)
    CHECK(view.shards()[i] == &engine.shards()[i]->stats());
  CHECK(view.config().lamps == lamps);
  engine.set_generator_saturated(true);
  CHECK(view.generator_saturated());
  engine.set_generator_saturated(false);

  auto reader = engine.interval_reader();
  CHECK_THROWS_AS(engine.interval_reader(), std::logic_error);

  engine.start();
  // The services' QoS 1 state publishes are acknowledged; each shard hands its second's
  // response times to the mailbox, and the reader collects them.
  std::uint64_t responses = 0;
  auto end = std::chrono::steady_clock::now() + 20s;
  while (responses < lamps && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(200ms);
    responses += reader.take().response.count();
  }
  CHECK(responses >= lamps);
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
  std::uint64_t connects = 0;
  for (const fleet::FleetStats* st : view.shards()) connects += fleet::read(st->connects);
  CHECK(connects == lamps);
}
