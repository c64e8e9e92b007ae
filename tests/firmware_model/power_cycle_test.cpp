// Switching a lamp off and on: what EC2 sees as it goes, and what survives.
#include <doctest/doctest.h>

#include "tests/firmware_model/harness.hpp"

using namespace lampi::model;
using namespace lampi::model::test;

namespace {

Wire state(Topic t, const char* payload) {
  return publish(t, 1, true, payload);
}

constexpr std::string_view kCustom =
    R"({"color": {"h": 0.1, "s": 0.2}, "brightness": 0.3, "on": false, "client": "x"})";

}  // namespace

TEST_CASE("graceful power-off: the services' wills cross the bridge, then the connection drops") {
  Harness h;
  h.boot();
  h.power_off(PowerOff::graceful);
  check_wires(h.wires(), {
                             state(Topic::state_lamp_ui, "0"),
                             state(Topic::state_bt_peripheral, "0"),
                             state(Topic::state_lamp_service, "0"),
                             disconnect(),
                         });
  CHECK_FALSE(h.lamp.powered);
  CHECK(h.lamp.bridge.link == LinkState::down);
}

TEST_CASE("power loss: only the dropped connection, so only EC2's copy of the will speaks") {
  Harness h;
  h.boot();
  h.power_off(PowerOff::power_loss);
  check_wires(h.wires(), {disconnect()});
  // Nothing ran to publish the wills locally either.
  CHECK(h.retained(Topic::state_lamp_service).payload == "1");
}

TEST_CASE("power-off with the bridge down sends nothing, while connecting it only hangs up") {
  SUBCASE("down") {
    Harness h;
    h.boot();
    h.remote_down();
    h.clear();
    h.power_off(PowerOff::graceful);
    CHECK(h.wires().empty());
    // The wills were queued for a link that is now gone with the power.
    CHECK(count(h.observations, ObservationKind::bridge_queued) == 3);
    CHECK(h.lamp.bridge.queue.empty());
  }
  SUBCASE("connecting") {
    Harness h;
    h.power_on();
    h.run_for(std::chrono::seconds(3));
    h.clear();
    h.power_off(PowerOff::graceful);
    check_wires(h.wires(), {disconnect()});
  }
}

TEST_CASE("lamp_service's state survives power cycles, both kinds") {
  for (auto how : {PowerOff::graceful, PowerOff::power_loss}) {
    CAPTURE(int(how));
    Harness h;
    h.boot();
    h.set_config_from_ec2(
        R"({"client": "x", "color": {"h": 0.1, "s": 0.2}, "brightness": 0.3, "on": false})");
    h.power_off(how);
    h.run_for(std::chrono::seconds(60));
    h.power_on();
    h.remote_up();
    h.clear();
    h.run_for(std::chrono::seconds(5));
    CHECK(h.remote_payloads(Topic::changed) == std::vector<std::string>{std::string(kCustom)});
    CHECK(render_changed(h.lamp.state) == kCustom);
  }
}

TEST_CASE("retained messages survive too, and are replayed before lamp_service is back") {
  Harness h;
  h.boot();
  h.set_config_from_ec2(
      R"({"client": "x", "color": {"h": 0.1, "s": 0.2}, "brightness": 0.3, "on": false})");
  h.power_off(PowerOff::power_loss);
  h.power_on();
  h.clear();
  CHECK(h.retained(Topic::changed).payload == kCustom);
  h.remote_up();
  auto changed = h.remote_payloads(Topic::changed);
  CHECK(changed == std::vector<std::string>{std::string(kCustom)});
}

TEST_CASE("an unpowered lamp has no deadlines and ignores every entry point") {
  Harness h;
  h.boot();
  h.power_off(PowerOff::graceful);
  h.clear();
  CHECK(next_deadline(h.lamp) == kNever);
  h.touch(Slider::hue, 0.5);
  h.tap();
  h.phone_connect();
  h.ble_brightness(3);
  h.ble_on(false);
  h.ble_color(3, 4);
  h.set_config_from_ec2(R"({"client": "web"})");
  h.remote_up();
  h.remote_down();
  h.power_off(PowerOff::graceful);
  h.run_for(std::chrono::seconds(100));
  CHECK(h.wires().empty());
  CHECK(h.trace.empty());
  CHECK(h.observations.empty());
  CHECK_FALSE(h.lamp.bt.phone_connected);
}

TEST_CASE("a second power_on while powered changes nothing") {
  Harness h;
  h.boot();
  const auto timers = h.lamp.timers;
  h.power_on();
  CHECK(h.wires().empty());
  CHECK(h.lamp.timers == timers);
  CHECK(h.lamp.bridge.link == LinkState::up);
}

TEST_CASE("a power cycle cancels a pending supervisor restart") {
  Harness h;
  h.boot();
  h.set_config_from_ec2("not json");
  REQUIRE(h.lamp.service_crashed);
  h.power_off(PowerOff::power_loss);
  h.power_on();
  h.remote_up();
  CHECK_FALSE(h.lamp.service_crashed);
  h.clear();
  h.run_for(std::chrono::seconds(5));
  CHECK(count(h.observations, ObservationKind::service_restarted) == 0);
  CHECK(is_connected(h.lamp, LocalClient::lamp_service));
  // It started on its normal schedule: 0.5 s after power-on, "1" then its state.
  REQUIRE(h.remote.size() >= 2);
  CHECK(h.remote[0].topic == Topic::state_lamp_service);
  CHECK(h.remote[0].payload == "1");
}

TEST_CASE("every service starts within its configured window after power-on") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    Harness h(ModelConfig{}, Profile::idle, seed);
    h.run_for(std::chrono::seconds(3));
    const VirtualTime on_at = h.now;
    h.power_on();
    for (std::size_t i = 0; i < kServiceCount; ++i) {
      CAPTURE(i);
      const VirtualTime start = h.lamp.timers[i];
      CHECK(start >= on_at + h.cfg.service_start[i].min);
      CHECK(start <= on_at + h.cfg.service_start[i].max);
    }
    h.run_for(std::chrono::seconds(3));
    for (auto c : {LocalClient::lamp_service, LocalClient::lamp_ui, LocalClient::bt_peripheral,
                   LocalClient::bt_central, LocalClient::bridge})
      CHECK(is_connected(h.lamp, c));
  }
}
