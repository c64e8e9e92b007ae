// Drives one lamp through virtual time and keeps every effect, so a test can assert on
// exactly what crossed the bridge, what the local broker delivered and what was observed.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "firmware_model/lamp.hpp"

namespace lampi::model::test {

inline constexpr DeviceId kId{0x1e0000000000};

constexpr Duration ms(std::int64_t n) {
  return std::chrono::milliseconds(n);
}
constexpr VirtualTime at_ms(std::int64_t n) {
  return at(std::chrono::milliseconds(n));
}

// Service start times pinned (min == max), so a boot's order is fixed: lamp_service at
// 0.5 s, bt_peripheral at 1.0 s, bt_central at 1.2 s, lamp_ui at 2.0 s.
ModelConfig pinned_config(ValidationMode mode = ValidationMode::faithful);

// A remote action without its timestamp, for golden sequences.
struct Wire {
  RemoteKind kind = RemoteKind::publish;
  Topic topic = Topic::changed;
  std::uint8_t qos = 0;
  bool retain = false;
  std::string payload;
  friend bool operator==(const Wire&, const Wire&) = default;
};
std::ostream& operator<<(std::ostream& os, const Wire& w);
std::ostream& operator<<(std::ostream& os, const LocalDelivery& d);

inline Wire publish(Topic t, std::uint8_t qos, bool retain, std::string payload) {
  return {RemoteKind::publish, t, qos, retain, std::move(payload)};
}
inline Wire subscribe(Topic t, std::uint8_t qos) {
  return {RemoteKind::subscribe, t, qos, false, {}};
}
// The CONNECT carries the will: "0" on the bridge state topic, QoS 1, retained.
inline Wire connect() {
  return {RemoteKind::connect, Topic::bridge_state, 1, true, "0"};
}
inline Wire disconnect() {
  return {RemoteKind::disconnect, Topic::bridge_state, 0, false, {}};
}

Wire wire(const RemoteAction& a);
std::vector<Wire> wires(const std::vector<RemoteAction>& actions);
// Compares element by element and prints the whole actual sequence on a mismatch.
void check_wires(const std::vector<Wire>& got, const std::vector<Wire>& want);
void check_deliveries(const std::vector<LocalDelivery>& got,
                      const std::vector<LocalDelivery>& want);

std::size_t count(const std::vector<Observation>& obs, ObservationKind kind);
std::size_t count(const std::vector<Observation>& obs, ObservationKind kind, std::uint8_t detail);
inline std::uint8_t detail_of(InvalidClass c) {
  return static_cast<std::uint8_t>(c);
}

// Python's json.dumps of the lamp/changed dict for the first-boot defaults.
inline constexpr std::string_view kDefaultChanged =
    R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": ""})";

class Harness {
 public:
  explicit Harness(ModelConfig config = pinned_config(), Profile profile = Profile::idle,
                   std::uint64_t seed = 1);
  Harness(const Harness&) = delete;  // fx.local_trace points into this object
  Harness& operator=(const Harness&) = delete;

  void power_on();
  void power_off(PowerOff how);
  // Fires every deadline up to `t` at its own time, the way the fleet's shards do.
  void run_until(VirtualTime t);
  void run_for(Duration d) { run_until(now + d); }
  void remote_up();
  void remote_down();
  void from_ec2(Topic topic, std::string_view payload, std::uint8_t qos, bool retain = false);
  void set_config_from_ec2(std::string_view payload) { from_ec2(Topic::set_config, payload, 1); }
  // Powers on with EC2 reachable and runs until every service is up, then forgets it all.
  void boot();
  void clear();

  // A person at the lamp, a phone over BLE.
  void touch(Slider slider, double value);
  void tap();
  void phone_connect();
  void phone_disconnect();
  void ble_brightness(std::uint8_t value);
  void ble_on(bool on);
  void ble_color(std::uint8_t hue, std::uint8_t saturation);
  // Moves what an entry point called directly left in `fx` into the logs.
  void collect();

  std::vector<Wire> wires() const { return test::wires(remote); }
  std::vector<std::string> remote_payloads(Topic topic) const;
  std::vector<LocalDelivery> deliveries_to(LocalClient client) const;
  std::vector<LocalDelivery> deliveries_on(Topic topic) const;
  const RetainedMessage& retained(Topic t) const { return lamp.broker.retained[index_of(t)]; }

  ModelConfig cfg;
  Lamp lamp;
  Effects fx;
  std::vector<LocalDelivery> trace;
  std::vector<RemoteAction> remote;
  std::vector<Observation> observations;
  VirtualTime now{};
};

}  // namespace lampi::model::test
