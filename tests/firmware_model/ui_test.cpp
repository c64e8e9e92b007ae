// lamp_ui, the Kivy touch screen: what it subscribes to, what it ignores, what it shows,
// and the set_config it publishes. Payloads are CPython's json.dumps of the same dicts.
#include <doctest/doctest.h>

#include "tests/firmware_model/harness.hpp"

using namespace lampi::model;
using namespace lampi::model::test;

namespace {

constexpr std::string_view kCode = "0123456789abcdef0123456789abcdef";

std::string popup_code(const LampUiState& ui) {
  std::string out;
  for (char c : ui.popup_code)
    if (c != '\0') out += c;
  return out;
}

std::vector<std::string> set_configs_from_ui(const Harness& h) {
  std::vector<std::string> out;
  for (const auto& d : h.deliveries_on(Topic::set_config)) {
    CHECK(d.to == LocalClient::lamp_service);
    CHECK(d.qos == 1);
    CHECK_FALSE(d.retain);
    out.push_back(d.payload);
  }
  return out;
}

}  // namespace

TEST_CASE("lamp_ui subscribes to lamp/changed, lamp/associated and the bridge state") {
  Harness h;
  h.power_on();
  h.remote_up();
  h.from_ec2(Topic::associated, R"({"associated": true})", 2, true);
  h.run_for(std::chrono::seconds(3));
  std::vector<Topic> topics;
  for (const auto& d : h.deliveries_to(LocalClient::lamp_ui)) topics.push_back(d.topic);
  CHECK(topics == std::vector<Topic>{Topic::changed, Topic::associated, Topic::bridge_state});
  CHECK(h.lamp.ui.synced);
  CHECK(h.lamp.ui.bridged);
  CHECK(h.retained(Topic::state_lamp_ui).payload == "1");
}

TEST_CASE("a slider touch publishes the full state once, unrounded, after ui_update_delay") {
  Harness h;
  h.boot();
  const VirtualTime t0 = h.now;
  h.touch(Slider::hue, 0.123456789);
  h.run_until(t0 + h.cfg.ui_update_delay - Duration{1});
  CHECK(h.trace.empty());
  h.run_until(t0 + h.cfg.ui_update_delay);
  CHECK(
      set_configs_from_ui(h) ==
      std::vector<std::string>{
          R"({"color": {"h": 0.123456789, "s": 1.0}, "brightness": 1.0, "on": true, "client": "lamp_ui"})"});
  // Only the lamp/changed it causes crosses the bridge, rounded by lamp_service.
  check_wires(
      h.wires(),
      {publish(
          Topic::changed, 1, true,
          R"({"color": {"h": 0.12, "s": 1.0}, "brightness": 1.0, "on": true, "client": "lamp_ui"})")});
  CHECK(h.remote[0].scheduled == t0 + h.cfg.ui_update_delay);
  // Its own echo does not move the slider back to the rounded value.
  CHECK(h.lamp.ui.hue == 0.123456789);
}

TEST_CASE("touches within the debounce window coalesce into one set_config") {
  Harness h;
  h.boot();
  const VirtualTime t0 = h.now;
  h.touch(Slider::hue, 0.25);
  h.run_until(t0 + ms(3));
  h.touch(Slider::saturation, 0.75);
  h.run_until(t0 + ms(6));
  h.touch(Slider::brightness, 0.6);
  h.run_until(t0 + ms(8));
  h.tap();
  h.run_until(t0 + ms(15));
  h.touch(Slider::brightness, 0.3);
  h.run_until(t0 + ms(100));
  CHECK(
      set_configs_from_ui(h) ==
      std::vector<std::string>{
          R"({"color": {"h": 0.25, "s": 0.75}, "brightness": 0.6, "on": false, "client": "lamp_ui"})",
          R"({"color": {"h": 0.25, "s": 0.75}, "brightness": 0.3, "on": false, "client": "lamp_ui"})"});
  REQUIRE(h.remote.size() == 2);
  CHECK(h.remote[0].scheduled == t0 + ms(10));
  CHECK(h.remote[1].scheduled == t0 + ms(25));
}

TEST_CASE("tap_power toggles on and publishes the full state") {
  Harness h;
  h.boot();
  h.tap();
  h.run_for(ms(10));
  h.tap();
  h.run_for(ms(10));
  CHECK(
      set_configs_from_ui(h) ==
      std::vector<std::string>{
          R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": false, "client": "lamp_ui"})",
          R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "lamp_ui"})"});
}

TEST_CASE("a touch that does not change the value publishes nothing, values are clamped") {
  Harness h;
  h.boot();
  h.touch(Slider::hue, 1.0);
  h.touch(Slider::saturation, 1.5);
  h.run_for(ms(50));
  CHECK(h.trace.empty());
  h.touch(Slider::brightness, -0.5);
  h.run_for(ms(50));
  CHECK(
      set_configs_from_ui(h) ==
      std::vector<std::string>{
          R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.0, "on": true, "client": "lamp_ui"})"});
}

TEST_CASE("nothing to touch before lamp_ui has started") {
  Harness h;
  h.power_on();
  h.remote_up();
  h.run_until(at_ms(1900));
  h.clear();
  h.touch(Slider::hue, 0.5);
  h.tap();
  h.run_until(at_ms(1990));
  CHECK(h.trace.empty());
  CHECK(h.wires().empty());
}

TEST_CASE("lamp_ui ignores lamp/changed from itself and takes everyone else's") {
  Harness h;
  h.boot();
  h.set_config_from_ec2(R"({"client": "lamp_ui", "color": {"h": 0.3, "s": 0.4}})");
  CHECK(h.lamp.ui.hue == 1.0);
  CHECK(h.lamp.ui.saturation == 1.0);
  h.set_config_from_ec2(R"({"client": "xlamp_ui", "color": {"h": 0.3, "s": 0.4}, "on": 0})");
  CHECK(h.lamp.ui.hue == 0.3);
  CHECK(h.lamp.ui.saturation == 0.4);
  CHECK_FALSE(h.lamp.ui.on);
  h.set_config_from_ec2(R"({"client": "web", "brightness": 0.25, "on": true})");
  CHECK(h.lamp.ui.brightness == 0.25);
  CHECK(h.lamp.ui.on);
  // Taking a lamp/changed does not publish: the only set_configs are EC2's three.
  h.run_for(ms(100));
  CHECK(h.deliveries_on(Topic::set_config).size() == 3);
}

TEST_CASE("the first lamp/changed after start-up is taken even when it is lamp_ui's own") {
  Harness h;
  h.boot();
  h.touch(Slider::hue, 0.4712);
  h.run_for(ms(20));
  REQUIRE(
      h.retained(Topic::changed).payload ==
      R"({"color": {"h": 0.47, "s": 1.0}, "brightness": 1.0, "on": true, "client": "lamp_ui"})");
  h.power_off(PowerOff::power_loss);
  h.power_on();
  h.remote_up();
  h.run_for(std::chrono::seconds(5));
  // A fresh process: it synced from lamp_service's state, client lamp_ui and all.
  CHECK(h.lamp.ui.synced);
  CHECK(h.lamp.ui.hue == 0.47);
  // From then on its own echoes are ignored again.
  h.set_config_from_ec2(R"({"client": "lamp_ui", "color": {"h": 0.9, "s": 0.9}})");
  CHECK(h.lamp.ui.hue == 0.47);
}

TEST_CASE("association popup shows code[0:6] until {\"associated\": true}") {
  Harness h;
  h.boot();
  CHECK_FALSE(h.lamp.ui.popup_shown);
  h.from_ec2(Topic::associated,
             std::string(R"({"associated": false, "code": ")") + std::string(kCode) + "\"}", 2,
             true);
  CHECK(h.lamp.ui.popup_shown);
  CHECK(popup_code(h.lamp.ui) == "012345");
  h.from_ec2(Topic::associated, R"({"associated": true})", 2, true);
  CHECK_FALSE(h.lamp.ui.popup_shown);
  // A code shorter than six characters is shown whole, as Python's slice does.
  h.from_ec2(Topic::associated, R"({"associated": false, "code": "abc"})", 2, true);
  CHECK(h.lamp.ui.popup_shown);
  CHECK(popup_code(h.lamp.ui) == "abc");
}

TEST_CASE("association messages lamp_ui cannot use change nothing") {
  Harness h;
  h.boot();
  h.from_ec2(Topic::associated, R"({"associated": false, "code": "fedcba9876543210"})", 2);
  REQUIRE(h.lamp.ui.popup_shown);
  for (const char* bad : {"", "not json", "[]", R"({"code": "ffffff"})", R"({"associated": 1})",
                          R"({"associated": false})", R"({"associated": false, "code": 7})"}) {
    CAPTURE(bad);
    h.from_ec2(Topic::associated, bad, 2);
    CHECK(h.lamp.ui.popup_shown);
    CHECK(popup_code(h.lamp.ui) == "fedcba");
  }
}

TEST_CASE("the retained association reaches a lamp_ui that starts later") {
  Harness h;
  h.power_on();
  h.remote_up();
  h.from_ec2(Topic::associated,
             std::string(R"({"associated": false, "code": ")") + std::string(kCode) + "\"}", 2,
             true);
  CHECK_FALSE(h.lamp.ui.popup_shown);
  h.run_for(std::chrono::seconds(3));
  CHECK(h.lamp.ui.popup_shown);
  CHECK(popup_code(h.lamp.ui) == "012345");
}

TEST_CASE("\"Broker Bridged\" follows the bridge state on the local broker") {
  Harness h;
  h.boot();
  CHECK(h.lamp.ui.bridged);
  h.remote_down();
  CHECK_FALSE(h.lamp.ui.bridged);
  h.run_for(std::chrono::seconds(30));
  h.remote_up();
  CHECK(h.lamp.ui.bridged);
}

TEST_CASE("after a power cycle \"Broker Bridged\" waits for the bridge to connect again") {
  Harness h;
  h.boot();
  REQUIRE(h.lamp.ui.bridged);
  h.power_off(PowerOff::power_loss);
  h.power_on();  // EC2 does not answer this time
  h.run_for(std::chrono::seconds(5));
  REQUIRE(is_connected(h.lamp, LocalClient::lamp_ui));
  CHECK_FALSE(h.lamp.ui.bridged);
  CHECK(h.retained(Topic::bridge_state).payload == "0");
  h.remote_up();
  CHECK(h.lamp.ui.bridged);
}
