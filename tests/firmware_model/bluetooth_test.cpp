// The BLE peripheral's partial set_configs and the central's lamp/bluetooth messages.
// Payloads are CPython's json.dumps of the dicts the course's Python services build.
#include <doctest/doctest.h>

#include <cstdlib>

#include "tests/firmware_model/harness.hpp"

using namespace lampi::model;
using namespace lampi::model::test;

namespace {

std::string peripheral_set_config(const Harness& h) {
  auto d = h.deliveries_on(Topic::set_config);
  REQUIRE(d.size() == 1);
  CHECK(d[0].to == LocalClient::lamp_service);
  CHECK(d[0].qos == 0);
  CHECK_FALSE(d[0].retain);
  return d[0].payload;
}

std::vector<std::string> bluetooth_messages(const Harness& h) {
  std::vector<std::string> out;
  for (const auto& a : h.remote) {
    if (a.topic != Topic::bluetooth) continue;
    CHECK(a.kind == RemoteKind::publish);
    CHECK(a.qos == 0);
    CHECK_FALSE(a.retain);
    out.push_back(a.payload);
  }
  return out;
}

std::string rssi_message(const std::string& address, int rssi) {
  return R"({"client": ")" + address + R"(", "rssi": )" + std::to_string(rssi) + "}";
}

}  // namespace

TEST_CASE("ble_write_brightness: partial set_config at QoS 0 with x/255 unrounded") {
  struct Case {
    std::uint8_t value;
    const char* payload;
  };
  // json.dumps({'client': 'lamp_bt_peripheral', 'brightness': v / 255})
  static constexpr Case kCases[] = {
      {0, R"({"client": "lamp_bt_peripheral", "brightness": 0.0})"},
      {1, R"({"client": "lamp_bt_peripheral", "brightness": 0.00392156862745098})"},
      {128, R"({"client": "lamp_bt_peripheral", "brightness": 0.5019607843137255})"},
      {200, R"({"client": "lamp_bt_peripheral", "brightness": 0.7843137254901961})"},
      {254, R"({"client": "lamp_bt_peripheral", "brightness": 0.996078431372549})"},
      {255, R"({"client": "lamp_bt_peripheral", "brightness": 1.0})"},
  };
  for (const auto& c : kCases) {
    CAPTURE(int{c.value});
    Harness h;
    h.boot();
    h.ble_brightness(c.value);
    CHECK(peripheral_set_config(h) == c.payload);
  }
}

TEST_CASE("a BLE write's lamp/changed is rounded by lamp_service and crosses the bridge") {
  Harness h;
  h.boot();
  h.ble_brightness(128);
  check_wires(
      h.wires(),
      {publish(
          Topic::changed, 1, true,
          R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.5, "on": true, "client": "lamp_bt_peripheral"})")});
}

TEST_CASE("ble_write_on and ble_write_color") {
  Harness h;
  h.boot();
  SUBCASE("on") {
    h.ble_on(true);
    CHECK(peripheral_set_config(h) == R"({"client": "lamp_bt_peripheral", "on": true})");
  }
  SUBCASE("off") {
    h.ble_on(false);
    CHECK(peripheral_set_config(h) == R"({"client": "lamp_bt_peripheral", "on": false})");
    CHECK(
        h.remote_payloads(Topic::changed) ==
        std::vector<std::string>{
            R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": false, "client": "lamp_bt_peripheral"})"});
  }
  SUBCASE("color") {
    h.ble_color(64, 191);
    CHECK(
        peripheral_set_config(h) ==
        R"({"client": "lamp_bt_peripheral", "color": {"h": 0.25098039215686274, "s": 0.7490196078431373}})");
    CHECK(
        h.remote_payloads(Topic::changed) ==
        std::vector<std::string>{
            R"({"color": {"h": 0.25, "s": 0.75}, "brightness": 1.0, "on": true, "client": "lamp_bt_peripheral"})"});
  }
  SUBCASE("color at the ends of the byte") {
    h.ble_color(0, 255);
    CHECK(peripheral_set_config(h) ==
          R"({"client": "lamp_bt_peripheral", "color": {"h": 0.0, "s": 1.0}})");
  }
}

TEST_CASE("BLE writes before lamp_bt_peripheral is up go nowhere") {
  Harness h;
  h.power_on();
  h.remote_up();
  h.run_until(at_ms(900));
  h.clear();
  h.ble_brightness(10);
  h.ble_on(false);
  h.ble_color(1, 2);
  CHECK(h.trace.empty());
  CHECK(h.wires().empty());
}

TEST_CASE("phone_address_text is six uppercase hex bytes with colons") {
  BluetoothState bt;
  bt.phone_address = {0xAB, 0xCD, 0xEF, 0x01, 0x23, 0x45};
  CHECK(phone_address_text(bt) == "AB:CD:EF:01:23:45");
  bt.phone_address = {0, 0, 0, 0, 0, 0};
  CHECK(phone_address_text(bt) == "00:00:00:00:00:00");
}

TEST_CASE("phone connect and disconnect publish lamp/bluetooth, QoS 0, to EC2") {
  Harness h;
  h.boot();
  h.phone_connect();
  REQUIRE(h.lamp.bt.phone_connected);
  const std::string address = phone_address_text(h.lamp.bt);
  CHECK(address.size() == 17);
  h.phone_disconnect();
  CHECK_FALSE(h.lamp.bt.phone_connected);
  CHECK(bluetooth_messages(h) ==
        std::vector<std::string>{R"({"state": "connected", "client": ")" + address + "\"}",
                                 R"({"state": "disconnected", "client": ")" + address + "\"}"});
  // Published by lamp_bt_central, which nothing on the lamp subscribes to except the bridge.
  for (const auto& d : h.deliveries_on(Topic::bluetooth)) {
    CHECK(d.to == LocalClient::bridge);
    CHECK(d.qos == 0);
  }
}

TEST_CASE("repeated connects and disconnects are no-ops") {
  Harness h;
  h.boot();
  h.phone_disconnect();
  h.phone_connect();
  h.phone_connect();
  h.phone_disconnect();
  h.phone_disconnect();
  CHECK(bluetooth_messages(h).size() == 2);
}

TEST_CASE("RSSI is polled every second and sent only when it moved more than 2 dBm") {
  for (std::uint64_t seed : {1, 5, 9}) {
    CAPTURE(seed);
    Harness h(pinned_config(), Profile::idle, seed);
    h.boot();
    h.phone_connect();
    const std::string address = phone_address_text(h.lamp.bt);
    const VirtualTime connected_at = h.now;
    std::vector<std::string> want;
    int last = 0;  // the Python client's starting value
    for (int second = 1; second <= 60; ++second) {
      h.run_until(connected_at + std::chrono::seconds(second));
      CHECK(next_deadline(h.lamp) == connected_at + std::chrono::seconds(second + 1));
      const int rssi = h.lamp.bt.rssi;
      CHECK(rssi <= -30);
      CHECK(rssi >= -100);
      if (std::abs(rssi - last) > 2) {
        want.push_back(rssi_message(address, rssi));
        last = rssi;
      }
    }
    auto got = bluetooth_messages(h);
    REQUIRE(got.size() == want.size() + 1);
    got.erase(got.begin());  // the "connected" message
    CHECK(got == want);
    CHECK(want.size() < 60);  // some polls did stay quiet
  }
}

TEST_CASE("a steady RSSI is reported once, on the first poll") {
  ModelConfig cfg = pinned_config();
  cfg.sessions.rssi_step_dbm = 0;
  Harness h(cfg);
  h.boot();
  h.phone_connect();
  const std::string address = phone_address_text(h.lamp.bt);
  const VirtualTime t0 = h.now;
  h.run_until(t0 + ms(999));
  CHECK(bluetooth_messages(h).size() == 1);
  h.run_until(t0 + std::chrono::seconds(1));
  h.run_until(t0 + std::chrono::seconds(20));
  CHECK(bluetooth_messages(h) ==
        std::vector<std::string>{R"({"state": "connected", "client": ")" + address + "\"}",
                                 rssi_message(address, -60)});
  CHECK(h.remote.back().scheduled == t0 + std::chrono::seconds(1));
}

TEST_CASE("polling stops when the phone leaves") {
  ModelConfig cfg = pinned_config();
  cfg.sessions.rssi_step_dbm = 0;
  Harness h(cfg);
  h.boot();
  h.phone_connect();
  h.run_for(std::chrono::milliseconds(2500));
  h.phone_disconnect();
  CHECK(next_deadline(h.lamp) == kNever);
  h.run_for(std::chrono::seconds(10));
  CHECK(bluetooth_messages(h).size() == 3);  // connected, one RSSI, disconnected
}

TEST_CASE("a phone connected before lamp_bt_central is up: no lamp/bluetooth, polling anyway") {
  Harness h;
  h.power_on();
  h.remote_up();
  h.run_until(at_ms(600));
  h.phone_connect();
  CHECK(h.lamp.bt.phone_connected);
  CHECK(bluetooth_messages(h).empty());
  h.run_until(at_ms(5000));
  // Once lamp_bt_central runs, RSSI changes do get through.
  CHECK_FALSE(bluetooth_messages(h).empty());
  for (const auto& m : bluetooth_messages(h)) CHECK(m.find("\"rssi\": ") != std::string::npos);
}

TEST_CASE("power-off forgets the phone") {
  Harness h;
  h.boot();
  h.phone_connect();
  h.power_off(PowerOff::graceful);
  CHECK_FALSE(h.lamp.bt.phone_connected);
  h.power_on();
  CHECK_FALSE(h.lamp.bt.phone_connected);
}
