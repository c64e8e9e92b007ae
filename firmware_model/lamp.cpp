// Power, timers and the people at the lamp: the entry points into one lamp's model.
#include "firmware_model/lamp.hpp"

#include <algorithm>
#include <cstdio>

#include "firmware_model/python_json.hpp"
#include "firmware_model/step.hpp"

namespace lampi::model {

using detail::Step;

namespace {

constexpr LocalClient service_client(Service svc) {
  switch (svc) {
    case Service::lamp_service:
      return LocalClient::lamp_service;
    case Service::lamp_ui:
      return LocalClient::lamp_ui;
    case Service::bt_peripheral:
      return LocalClient::bt_peripheral;
    case Service::bt_central:
      return LocalClient::bt_central;
  }
  return LocalClient::lamp_service;
}

constexpr TimerSlot start_slot(Service svc) {
  return static_cast<TimerSlot>(svc);
}

void start_service(Step& s, Service svc) {
  LocalClient client = service_client(svc);
  if (is_connected(s.lamp, client)) return;
  if (svc == Service::lamp_ui) s.lamp.ui = LampUiState{};  // a fresh process: unsynced
  detail::connect_local(s, client);
  if (svc == Service::lamp_ui) detail::session_begin(s);
}

void fire(Step& s, TimerSlot slot) {
  switch (slot) {
    case TimerSlot::start_lamp_service:
      if (s.lamp.service_crashed) {
        s.lamp.service_crashed = false;
        s.observe(ObservationKind::service_restarted,
                  static_cast<std::uint8_t>(Service::lamp_service));
      }
      start_service(s, Service::lamp_service);
      return;
    case TimerSlot::start_lamp_ui:
      start_service(s, Service::lamp_ui);
      return;
    case TimerSlot::start_bt_peripheral:
      start_service(s, Service::bt_peripheral);
      return;
    case TimerSlot::start_bt_central:
      start_service(s, Service::bt_central);
      return;
    case TimerSlot::ui_update_leds:
      detail::ui_publish_state(s);
      return;
    case TimerSlot::bridge_reconnect:
      detail::bridge_connect(s);
      return;
    case TimerSlot::rssi_poll:
      detail::rssi_poll(s);
      return;
    case TimerSlot::session:
      detail::session_tick(s);
      return;
  }
}

void publish_from_peripheral(Step& s, std::string payload) {
  if (!is_connected(s.lamp, LocalClient::bt_peripheral)) return;
  detail::publish_local(s, LocalClient::bt_peripheral, Topic::set_config, 0, false,
                        std::move(payload));
}

}  // namespace

Lamp make_lamp(DeviceId id, std::uint64_t seed, Profile profile) {
  Lamp lamp;
  lamp.id = id;
  lamp.profile = profile;
  lamp.rng = Rng(seed);
  lamp.timers.fill(kNever);
  return lamp;
}

bool is_connected(const Lamp& lamp, LocalClient client) {
  return (lamp.broker.connected >> static_cast<unsigned>(client)) & 1u;
}

std::string phone_address_text(const BluetoothState& bt) {
  char buf[18];
  const auto& a = bt.phone_address;
  std::snprintf(buf, sizeof buf, "%02X:%02X:%02X:%02X:%02X:%02X", a[0], a[1], a[2], a[3], a[4],
                a[5]);
  return buf;
}

void power_on(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx) {
  if (lamp.powered) return;
  Step s{lamp, cfg, now, fx};
  lamp.powered = true;
  lamp.service_crashed = false;
  lamp.timers.fill(kNever);
  lamp.ui = LampUiState{};
  lamp.bt = BluetoothState{};
  lamp.session = SessionState{};
  // Mosquitto comes up first; its bridge dials EC2 straight away.
  lamp.broker.connected = 0;
  detail::connect_local(s, LocalClient::bridge);
  // Its first connect attempt also publishes "0" on the local notification topic
  // (initial_notification_done), so lamp_ui never shows the last run's "1" as
  // "Broker Bridged" before this run's bridge is up.
  detail::publish_local(s, LocalClient::bridge, Topic::bridge_state, 1, true, "0");
  lamp.bridge.restart_timeout = cfg.reconnect_base;
  detail::bridge_connect(s);
  for (std::size_t i = 0; i < kServiceCount; ++i)
    s.set_timer(start_slot(static_cast<Service>(i)), s.scheduled + s.sample(cfg.service_start[i]));
}

void power_off(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, PowerOff how, Effects& fx) {
  if (!lamp.powered) return;
  Step s{lamp, cfg, now, fx};
  if (how == PowerOff::graceful) {
    // systemd stops the services before Mosquitto; killed by SIGTERM they never send
    // DISCONNECT, so their wills are published and cross the bridge if it is up.
    for (auto c : {LocalClient::lamp_ui, LocalClient::bt_central, LocalClient::bt_peripheral,
                   LocalClient::lamp_service})
      detail::drop_local(s, c, true);
  }
  if (lamp.bridge.link != LinkState::down)
    fx.remote.push_back({RemoteKind::disconnect, Topic::bridge_state, 0, false, {}, s.scheduled});
  lamp.powered = false;
  lamp.broker.connected = 0;
  lamp.bridge.link = LinkState::down;
  lamp.bridge.queue.clear();
  lamp.bridge.queue.shrink_to_fit();
  lamp.bt.phone_connected = false;
  lamp.timers.fill(kNever);
}

VirtualTime next_deadline(const Lamp& lamp) {
  return *std::min_element(lamp.timers.begin(), lamp.timers.end());
}

void advance(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx) {
  while (lamp.powered) {
    auto it = std::min_element(lamp.timers.begin(), lamp.timers.end());
    if (*it > now) return;
    VirtualTime due = *it;
    *it = kNever;
    // The timer fires at its own time, not at `now`: everything it causes, and every
    // timer it chains, is reckoned from `due`, so a late call does not drift the lamp.
    Step s{lamp, cfg, due, fx};
    fire(s, static_cast<TimerSlot>(it - lamp.timers.begin()));
  }
}

namespace detail {

void touch_slider(Step& s, Slider slider, double value) {
  auto& ui = s.lamp.ui;
  if (!is_connected(s.lamp, LocalClient::lamp_ui)) return;
  double& target = slider == Slider::hue          ? ui.hue
                   : slider == Slider::saturation ? ui.saturation
                                                  : ui.brightness;
  value = std::clamp(value, 0.0, 1.0);
  if (target == value) return;  // Kivy fires on_<prop> only when the value changes
  target = value;
  ui_property_changed(s);
}

void tap_power(Step& s) {
  if (!is_connected(s.lamp, LocalClient::lamp_ui)) return;
  s.lamp.ui.on = !s.lamp.ui.on;
  ui_property_changed(s);
}

void phone_connect(Step& s) {
  auto& lamp = s.lamp;
  if (!lamp.powered || lamp.bt.phone_connected) return;
  auto& bt = lamp.bt;
  std::uint64_t bits = lamp.rng.next();
  for (auto& byte : bt.phone_address) {
    byte = static_cast<std::uint8_t>(bits);
    bits >>= 8;
  }
  bt.phone_connected = true;
  bt.rssi = static_cast<std::int8_t>(s.cfg.sessions.rssi_mean_dbm);
  bt.last_reported_rssi = 0;
  // lamp_bt_central polls once a second from the moment the phone connected.
  s.set_timer(TimerSlot::rssi_poll, s.scheduled + std::chrono::seconds(1));
  if (!is_connected(lamp, LocalClient::bt_central)) return;
  publish_local(s, LocalClient::bt_central, Topic::bluetooth, 0, false,
                "{\"state\": \"connected\", \"client\": \"" + phone_address_text(bt) + "\"}");
}

void phone_disconnect(Step& s) {
  auto& lamp = s.lamp;
  if (!lamp.powered || !lamp.bt.phone_connected) return;
  lamp.bt.phone_connected = false;
  s.clear_timer(TimerSlot::rssi_poll);
  if (!is_connected(lamp, LocalClient::bt_central)) return;
  publish_local(
      s, LocalClient::bt_central, Topic::bluetooth, 0, false,
      "{\"state\": \"disconnected\", \"client\": \"" + phone_address_text(lamp.bt) + "\"}");
}

void ble_write_brightness(Step& s, std::uint8_t value) {
  std::string msg = "{\"client\": \"lamp_bt_peripheral\", \"brightness\": ";
  append_python_float(msg, value / 255.0);
  msg += '}';
  publish_from_peripheral(s, std::move(msg));
}

void ble_write_on(Step& s, bool on) {
  publish_from_peripheral(s, on ? "{\"client\": \"lamp_bt_peripheral\", \"on\": true}"
                                : "{\"client\": \"lamp_bt_peripheral\", \"on\": false}");
}

void ble_write_color(Step& s, std::uint8_t hue, std::uint8_t saturation) {
  std::string msg = "{\"client\": \"lamp_bt_peripheral\", \"color\": {\"h\": ";
  append_python_float(msg, hue / 255.0);
  msg += ", \"s\": ";
  append_python_float(msg, saturation / 255.0);
  msg += "}}";
  publish_from_peripheral(s, std::move(msg));
}

}  // namespace detail

// Called from outside a step (the shell, tests), these happen at the `now` they are
// given: it is their scheduled time.

void touch_slider(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Slider slider, double value,
                  Effects& fx) {
  Step s{lamp, cfg, now, fx};
  detail::touch_slider(s, slider, value);
}

void tap_power(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx) {
  Step s{lamp, cfg, now, fx};
  detail::tap_power(s);
}

void phone_connect(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx) {
  Step s{lamp, cfg, now, fx};
  detail::phone_connect(s);
}

void phone_disconnect(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx) {
  Step s{lamp, cfg, now, fx};
  detail::phone_disconnect(s);
}

void ble_write_brightness(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, std::uint8_t value,
                          Effects& fx) {
  Step s{lamp, cfg, now, fx};
  detail::ble_write_brightness(s, value);
}

void ble_write_on(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, bool on, Effects& fx) {
  Step s{lamp, cfg, now, fx};
  detail::ble_write_on(s, on);
}

void ble_write_color(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, std::uint8_t hue,
                     std::uint8_t saturation, Effects& fx) {
  Step s{lamp, cfg, now, fx};
  detail::ble_write_color(s, hue, saturation);
}

}  // namespace lampi::model
