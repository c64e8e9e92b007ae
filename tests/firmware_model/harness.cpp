#include "tests/firmware_model/harness.hpp"

#include <algorithm>
#include <sstream>

namespace lampi::model::test {

namespace {

const char* kind_name(RemoteKind k) {
  switch (k) {
    case RemoteKind::connect:
      return "connect";
    case RemoteKind::publish:
      return "publish";
    case RemoteKind::subscribe:
      return "subscribe";
    case RemoteKind::disconnect:
      return "disconnect";
  }
  return "?";
}

const char* client_name(LocalClient c) {
  switch (c) {
    case LocalClient::lamp_service:
      return "lamp_service";
    case LocalClient::lamp_ui:
      return "lamp_ui";
    case LocalClient::bt_peripheral:
      return "bt_peripheral";
    case LocalClient::bt_central:
      return "bt_central";
    case LocalClient::bridge:
      return "bridge";
  }
  return "?";
}

}  // namespace

ModelConfig pinned_config(ValidationMode mode) {
  ModelConfig cfg;
  cfg.mode = mode;
  cfg.service_start = {{
      {ms(500), ms(500)},    // lamp_service
      {ms(2000), ms(2000)},  // lamp_ui
      {ms(1000), ms(1000)},  // lamp_bt_peripheral
      {ms(1200), ms(1200)},  // lamp_bt_central
  }};
  return cfg;
}

std::ostream& operator<<(std::ostream& os, const Wire& w) {
  return os << '{' << kind_name(w.kind) << ' ' << remote_topic(w.topic, kId) << " qos "
            << int{w.qos} << (w.retain ? " retained" : "") << " '" << w.payload << "'}";
}

std::ostream& operator<<(std::ostream& os, const LocalDelivery& d) {
  return os << '{' << client_name(d.to) << " <- " << local_topic(d.topic, kId) << " qos "
            << int{d.qos} << (d.retain ? " retained" : "") << " '" << d.payload << "'}";
}

Wire wire(const RemoteAction& a) {
  return {a.kind, a.topic, a.qos, a.retain, a.payload};
}

std::vector<Wire> wires(const std::vector<RemoteAction>& actions) {
  std::vector<Wire> out;
  for (const auto& a : actions) out.push_back(wire(a));
  return out;
}

namespace {
template <typename T>
void check_sequence(const std::vector<T>& got, const std::vector<T>& want) {
  std::ostringstream all;
  for (const auto& g : got) all << "  " << g << '\n';
  INFO("actual sequence:\n" << all.str());
  CHECK(got.size() == want.size());
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    CAPTURE(i);
    CHECK(got[i] == want[i]);
  }
}
}  // namespace

void check_wires(const std::vector<Wire>& got, const std::vector<Wire>& want) {
  check_sequence(got, want);
}

void check_deliveries(const std::vector<LocalDelivery>& got,
                      const std::vector<LocalDelivery>& want) {
  check_sequence(got, want);
}

std::size_t count(const std::vector<Observation>& obs, ObservationKind kind) {
  return static_cast<std::size_t>(
      std::count_if(obs.begin(), obs.end(), [&](const Observation& o) { return o.kind == kind; }));
}

std::size_t count(const std::vector<Observation>& obs, ObservationKind kind, std::uint8_t detail) {
  return static_cast<std::size_t>(std::count(obs.begin(), obs.end(), Observation{kind, detail}));
}

Harness::Harness(ModelConfig config, Profile profile, std::uint64_t seed)
    : cfg(std::move(config)), lamp(make_lamp(kId, seed, profile)) {
  fx.local_trace = &trace;
}

void Harness::collect() {
  // Every entry point drains the local broker before it returns.
  REQUIRE(fx.pending.empty());
  remote.insert(remote.end(), fx.remote.begin(), fx.remote.end());
  observations.insert(observations.end(), fx.observations.begin(), fx.observations.end());
  fx.clear();
}

void Harness::power_on() {
  model::power_on(lamp, cfg, now, fx);
  collect();
}

void Harness::power_off(PowerOff how) {
  model::power_off(lamp, cfg, now, how, fx);
  collect();
}

void Harness::run_until(VirtualTime t) {
  for (auto due = next_deadline(lamp); due <= t; due = next_deadline(lamp)) {
    now = std::max(now, due);
    advance(lamp, cfg, now, fx);
    collect();
  }
  now = std::max(now, t);
}

void Harness::remote_up() {
  on_remote_connected(lamp, cfg, now, fx);
  collect();
}

void Harness::remote_down() {
  on_remote_disconnected(lamp, cfg, now, fx);
  collect();
}

void Harness::from_ec2(Topic topic, std::string_view payload, std::uint8_t qos, bool retain) {
  on_remote_message(lamp, cfg, now, remote_topic(topic, lamp.id), payload, qos, retain, fx);
  collect();
}

void Harness::boot() {
  power_on();
  remote_up();
  run_for(std::chrono::seconds(5));
  clear();
}

void Harness::touch(Slider slider, double value) {
  touch_slider(lamp, cfg, now, slider, value, fx);
  collect();
}

void Harness::tap() {
  tap_power(lamp, cfg, now, fx);
  collect();
}

void Harness::phone_connect() {
  model::phone_connect(lamp, cfg, now, fx);
  collect();
}

void Harness::phone_disconnect() {
  model::phone_disconnect(lamp, cfg, now, fx);
  collect();
}

void Harness::ble_brightness(std::uint8_t value) {
  ble_write_brightness(lamp, cfg, now, value, fx);
  collect();
}

void Harness::ble_on(bool on) {
  ble_write_on(lamp, cfg, now, on, fx);
  collect();
}

void Harness::ble_color(std::uint8_t hue, std::uint8_t saturation) {
  ble_write_color(lamp, cfg, now, hue, saturation, fx);
  collect();
}

void Harness::clear() {
  remote.clear();
  observations.clear();
  trace.clear();
}

std::vector<std::string> Harness::remote_payloads(Topic topic) const {
  std::vector<std::string> out;
  for (const auto& a : remote)
    if (a.kind == RemoteKind::publish && a.topic == topic) out.push_back(a.payload);
  return out;
}

std::vector<LocalDelivery> Harness::deliveries_to(LocalClient client) const {
  std::vector<LocalDelivery> out;
  for (const auto& d : trace)
    if (d.to == client) out.push_back(d);
  return out;
}

std::vector<LocalDelivery> Harness::deliveries_on(Topic topic) const {
  std::vector<LocalDelivery> out;
  for (const auto& d : trace)
    if (d.topic == topic) out.push_back(d);
  return out;
}

}  // namespace lampi::model::test
