// The <id>_broker bridge: the one connection EC2 sees, checked message by message.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>

#include "tests/firmware_model/harness.hpp"

using namespace lampi::model;
using namespace lampi::model::test;

namespace {

constexpr std::string_view kNotAssociated =
    R"({"associated": false, "code": "0123456789abcdef0123456789abcdef"})";
constexpr std::string_view kWebHalf =
    R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.5, "on": true, "client": "web"})";

Wire state(Topic t, const char* payload) {
  return publish(t, 1, true, payload);
}
Wire changed(std::string_view payload) {
  return publish(Topic::changed, 1, true, std::string(payload));
}
Wire bridge_up() {
  return publish(Topic::bridge_state, 1, true, "1");
}

std::string bt_changed(const char* brightness) {
  return std::string(R"({"color": {"h": 1.0, "s": 1.0}, "brightness": )") + brightness +
         R"(, "on": true, "client": "lamp_bt_peripheral"})";
}

// The wait the bridge scheduled before its next CONNECT.
Duration reconnect_wait(const Harness& h) {
  return h.lamp.timers[static_cast<std::size_t>(TimerSlot::bridge_reconnect)] - h.now;
}

}  // namespace

TEST_CASE("first boot: what EC2 sees, message by message") {
  Harness h;
  h.power_on();
  check_wires(h.wires(), {connect()});
  CHECK(h.lamp.bridge.link == LinkState::connecting);
  h.run_until(at_ms(100));
  h.remote_up();
  h.from_ec2(Topic::associated, kNotAssociated, 2, true);  // EC2's retained reply
  h.run_until(at_ms(5000));
  check_wires(h.wires(), {
                             connect(),
                             bridge_up(),
                             subscribe(Topic::set_config, 1),
                             subscribe(Topic::associated, 2),
                             state(Topic::state_lamp_service, "1"),
                             changed(kDefaultChanged),
                             state(Topic::state_bt_peripheral, "1"),
                             state(Topic::state_lamp_ui, "1"),
                         });
  CHECK(h.lamp.bridge.link == LinkState::up);
  // Each fresh message carries the time its cause was due.
  CHECK(h.remote[4].scheduled == at_ms(500));
  CHECK(h.remote[5].scheduled == at_ms(500));
  CHECK(h.remote[6].scheduled == at_ms(1000));
  CHECK(h.remote[7].scheduled == at_ms(2000));
}

TEST_CASE("second boot: retained replay of lamp/changed and the three states after CONNACK") {
  Harness h;
  h.boot();
  h.set_config_from_ec2(R"({"client": "web", "brightness": 0.5})");
  h.run_until(at_ms(10000));
  h.power_off(PowerOff::graceful);
  h.clear();
  h.run_until(at_ms(20000));
  h.power_on();
  h.run_until(at_ms(20100));
  h.remote_up();
  h.from_ec2(Topic::associated, kNotAssociated, 2, true);
  h.run_until(at_ms(25000));
  check_wires(h.wires(), {
                             connect(),
                             bridge_up(),
                             subscribe(Topic::set_config, 1),
                             subscribe(Topic::associated, 2),
                             // replays: retained, QoS capped at the bridge's 1
                             changed(kWebHalf),
                             state(Topic::state_lamp_service, "0"),
                             state(Topic::state_lamp_ui, "0"),
                             state(Topic::state_bt_peripheral, "0"),
                             // then the services come up again
                             state(Topic::state_lamp_service, "1"),
                             changed(kWebHalf),
                             state(Topic::state_bt_peripheral, "1"),
                             state(Topic::state_lamp_ui, "1"),
                         });
}

TEST_CASE("a late CONNACK: the retained replay, then what was queued meanwhile") {
  Harness h;
  h.power_on();
  h.run_until(at_ms(5000));
  CHECK(count(h.observations, ObservationKind::bridge_queued) == 4);
  h.remote_up();
  check_wires(h.wires(), {
                             connect(),
                             bridge_up(),
                             subscribe(Topic::set_config, 1),
                             subscribe(Topic::associated, 2),
                             changed(kDefaultChanged),
                             state(Topic::state_lamp_service, "1"),
                             state(Topic::state_lamp_ui, "1"),
                             state(Topic::state_bt_peripheral, "1"),
                             state(Topic::state_lamp_service, "1"),
                             changed(kDefaultChanged),
                             state(Topic::state_bt_peripheral, "1"),
                             state(Topic::state_lamp_ui, "1"),
                         });
  // Queued messages keep the time they were due, for latency without coordinated omission.
  CHECK(h.remote[4].scheduled == at_ms(5000));
  CHECK(h.remote[8].scheduled == at_ms(500));
  CHECK(h.remote[10].scheduled == at_ms(1000));
  CHECK(h.remote[11].scheduled == at_ms(2000));
  CHECK(h.lamp.bridge.queue.empty());
}

TEST_CASE("the remote will: CONNECT carries \"0\" on the bridge state topic, QoS 1, retained") {
  Harness h;
  h.power_on();
  REQUIRE(h.remote.size() == 1);
  const auto& c = h.remote[0];
  CHECK(c.kind == RemoteKind::connect);
  CHECK(c.topic == Topic::bridge_state);
  CHECK(c.payload == "0");
  CHECK(c.qos == 1);
  CHECK(c.retain);
  CHECK(remote_topic(c.topic, h.lamp.id) == "$SYS/broker/connection/1e0000000000_broker/state");
  CHECK(bridge_client_id(h.lamp.id) == "1e0000000000_broker");
}

TEST_CASE("while down: QoS 1 is queued up to bridge_queue_limit, the rest and QoS 0 dropped") {
  ModelConfig cfg = pinned_config();
  cfg.bridge_queue_limit = 3;
  Harness h(cfg);
  h.boot();
  h.remote_down();
  h.clear();
  // QoS 0 is dropped even with room in the queue.
  h.phone_connect();
  h.phone_disconnect();
  const auto bluetooth_detail = static_cast<std::uint8_t>(Topic::bluetooth);
  CHECK(count(h.observations, ObservationKind::bridge_dropped, bluetooth_detail) == 2);
  CHECK(h.lamp.bridge.queue.empty());
  const std::uint8_t values[] = {0, 51, 102, 153, 204};
  for (auto v : values) {
    h.ble_brightness(v);
    h.run_for(ms(100));
  }
  const auto changed_detail = static_cast<std::uint8_t>(Topic::changed);
  CHECK(count(h.observations, ObservationKind::bridge_queued, changed_detail) == 3);
  CHECK(count(h.observations, ObservationKind::bridge_dropped, changed_detail) == 2);
  CHECK(count(h.observations, ObservationKind::bridge_queued) == 3);
  CHECK(h.lamp.bridge.queue.size() == 3);
  CHECK(h.wires().empty());

  h.clear();
  h.run_for(std::chrono::seconds(30));  // the reconnect fires within the cap
  check_wires(h.wires(), {connect()});
  h.remote_up();
  check_wires(h.wires(), {
                             connect(),
                             bridge_up(),
                             subscribe(Topic::set_config, 1),
                             subscribe(Topic::associated, 2),
                             changed(bt_changed("0.8")),
                             state(Topic::state_lamp_service, "1"),
                             state(Topic::state_lamp_ui, "1"),
                             state(Topic::state_bt_peripheral, "1"),
                             changed(bt_changed("0.0")),
                             changed(bt_changed("0.2")),
                             changed(bt_changed("0.4")),
                         });
  CHECK(h.remote[9].scheduled - h.remote[8].scheduled == ms(100));
  CHECK(h.remote[10].scheduled - h.remote[9].scheduled == ms(100));
}

TEST_CASE("a dropped link: local \"0\" for lamp_ui, a decorrelated-jitter wait, a new CONNECT") {
  Harness h;
  h.boot();
  CHECK(h.lamp.ui.bridged);
  h.remote_down();
  CHECK(h.lamp.bridge.link == LinkState::down);
  CHECK(h.retained(Topic::bridge_state).payload == "0");
  CHECK_FALSE(h.lamp.ui.bridged);
  CHECK(h.wires().empty());  // EC2 learns of it from the will, not from the lamp
  const Duration wait = reconnect_wait(h);
  CHECK(wait >= h.cfg.reconnect_base);
  CHECK(wait <= 3 * h.cfg.reconnect_base);
  h.run_for(wait - ms(1));
  CHECK(h.wires().empty());
  h.run_for(ms(1));
  check_wires(h.wires(), {connect()});
  CHECK(h.lamp.bridge.link == LinkState::connecting);
  h.remote_up();
  CHECK(h.lamp.ui.bridged);
}

TEST_CASE("decorrelated jitter: each wait in [base, min(cap, 3 * previous)]") {
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    CAPTURE(seed);
    Harness h(pinned_config(), Profile::idle, seed);
    h.boot();
    h.remote_down();
    Duration prev = h.cfg.reconnect_base;
    std::vector<Duration> waits;
    for (int attempt = 0; attempt < 40; ++attempt) {
      const Duration wait = reconnect_wait(h);
      CAPTURE(attempt);
      CHECK(wait >= h.cfg.reconnect_base);
      CHECK(wait <= std::min(h.cfg.reconnect_cap, 3 * prev));
      waits.push_back(wait);
      prev = wait;
      h.clear();
      h.run_for(wait);
      check_wires(h.wires(), {connect()});
      h.remote_down();  // the CONNECT failed
    }
    CHECK(std::count(waits.begin(), waits.end(), h.cfg.reconnect_cap) > 0);
    CHECK(std::adjacent_find(waits.begin(), waits.end(), std::not_equal_to<>()) != waits.end());
    // A successful connect resets the wait to the base.
    h.run_for(reconnect_wait(h));
    h.remote_up();
    h.remote_down();
    CHECK(reconnect_wait(h) <= 3 * h.cfg.reconnect_base);
  }
}

TEST_CASE("on_remote_message: devices/<id>/lamp/set_config and associated map to local topics") {
  Harness h;
  h.boot();
  h.from_ec2(Topic::set_config, R"({"client": "web"})", 1);
  CHECK(h.deliveries_on(Topic::set_config).size() == 1);
  h.from_ec2(Topic::associated, R"({"associated": true})", 2);
  CHECK(h.deliveries_on(Topic::associated).size() == 1);
  h.trace.clear();
  h.clear();
  auto send = [&](std::string_view topic) {
    on_remote_message(h.lamp, h.cfg, h.now, topic, R"({"client": "web"})", 1, false, h.fx);
  };
  send("devices/b827eb74663e/lamp/set_config");                // another lamp's
  send("devices/1e0000000000/lamp/changed");                   // an out-topic
  send("devices/1e0000000000/lamp/connection/lamp_ui/state");  // an out-topic
  send("$SYS/broker/connection/1e0000000000_broker/state");    // not bridged in
  send("lamp/set_config");                                     // no prefix
  CHECK(h.fx.remote.empty());
  CHECK(h.trace.empty());
}

TEST_CASE("a message over message_size_limit is dropped by the local broker, counted, unseen") {
  Harness h;
  h.cfg.message_size_limit = 64;
  h.boot();
  h.trace.clear();
  h.clear();
  // At the limit it goes through; one byte over, neither service nor lamp/changed sees it.
  std::string at_limit = R"({"client": "web", "brightness": 0.5})";
  at_limit.append(64 - at_limit.size(), ' ');
  h.from_ec2(Topic::set_config, at_limit, 1);
  CHECK(h.deliveries_on(Topic::set_config).size() == 1);
  CHECK(count(h.observations, ObservationKind::message_too_large) == 0);
  h.trace.clear();
  h.clear();
  const std::string over = at_limit + " ";
  h.from_ec2(Topic::set_config, over, 1);
  h.from_ec2(Topic::associated, std::string(65, ' '), 2);
  CHECK(h.trace.empty());
  CHECK(h.fx.remote.empty());
  CHECK(count(h.observations, ObservationKind::message_too_large,
              static_cast<std::uint8_t>(Topic::set_config)) == 1);
  CHECK(count(h.observations, ObservationKind::message_too_large,
              static_cast<std::uint8_t>(Topic::associated)) == 1);
  CHECK(h.lamp.state.brightness.value() == doctest::Approx(0.5));  // the one at the limit only
  // 0: no limit, as Mosquitto's own default.
  h.cfg.message_size_limit = 0;
  h.from_ec2(Topic::set_config,
             std::string(R"({"client": "web", "brightness": 0.25})") + std::string(100'000, ' '),
             1);
  CHECK(h.deliveries_on(Topic::set_config).size() == 1);
}

TEST_CASE("remote events out of turn are ignored") {
  Harness h;
  SUBCASE("before power-on") {
    h.remote_up();
    h.remote_down();
    h.set_config_from_ec2(R"({"client": "web"})");
    CHECK(h.wires().empty());
    CHECK(h.lamp.timers == make_lamp(kId, 1, Profile::idle).timers);
  }
  SUBCASE("a message before CONNACK") {
    h.power_on();
    h.clear();
    h.set_config_from_ec2(R"({"client": "web"})");
    CHECK(h.trace.empty());
  }
  SUBCASE("a second CONNACK, a CONNACK while waiting to reconnect") {
    h.boot();
    h.remote_up();
    CHECK(h.wires().empty());
    h.remote_down();
    h.remote_up();  // no CONNECT was sent yet
    CHECK(h.wires().empty());
    CHECK(h.lamp.bridge.link == LinkState::down);
    h.remote_down();
    CHECK(h.lamp.bridge.link == LinkState::down);
  }
}

TEST_CASE("lamp/bluetooth crosses the bridge at QoS 0, not retained") {
  Harness h;
  h.boot();
  h.phone_connect();
  REQUIRE(h.remote.size() == 1);
  const auto& a = h.remote[0];
  CHECK(a.kind == RemoteKind::publish);
  CHECK(a.topic == Topic::bluetooth);
  CHECK(a.qos == 0);
  CHECK_FALSE(a.retain);
  CHECK(a.payload.starts_with(R"({"state": "connected", "client": ")"));
}

TEST_CASE("set_config never crosses the bridge outwards, only the lamp/changed it causes") {
  Harness h;
  h.boot();
  h.ble_brightness(128);
  h.touch(Slider::hue, 0.5);
  h.run_for(ms(50));
  REQUIRE(h.wires().size() == 2);
  for (const auto& w : h.wires()) CHECK(w.topic == Topic::changed);
}

TEST_CASE("remote_publish_qos is the QoS every publish crosses the bridge with") {
  Harness h;
  h.power_on();
  h.run_until(at_ms(100));
  h.remote_up();  // the bridge's state and the services coming up
  h.run_until(at_ms(5000));
  h.set_config_from_ec2(R"({"client": "web", "brightness": 0.5})");
  h.touch(Slider::brightness, 0.3);
  h.phone_connect();  // lamp/bluetooth
  h.ble_brightness(10);
  h.run_for(std::chrono::seconds(3));  // RSSI reports
  h.remote_down();
  h.run_for(std::chrono::seconds(30));  // the reconnect: retained replays
  h.remote_up();
  h.power_off(PowerOff::graceful);  // the services' wills
  std::array<bool, kTopicCount> published{};
  for (const auto& w : h.wires()) {
    CAPTURE(w);
    if (w.kind == RemoteKind::publish) {
      REQUIRE(remote_publish_qos(w.topic).has_value());
      CHECK(w.qos == *remote_publish_qos(w.topic));
      published[index_of(w.topic)] = true;
    } else if (w.kind == RemoteKind::subscribe) {
      CHECK_FALSE(remote_publish_qos(w.topic).has_value());
    }
  }
  for (std::size_t t = 0; t < kTopicCount; ++t) {
    CAPTURE(t);
    CHECK(published[t] == remote_publish_qos(static_cast<Topic>(t)).has_value());
  }
}
