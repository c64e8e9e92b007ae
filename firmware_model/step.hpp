// Internal to the model: the context every handler of one step shares.
#pragma once

#include "firmware_model/lamp.hpp"

namespace lampi::model::detail {

// There is deliberately no "now": a step happens at the time its cause was due, however
// late the shell got round to it, so every effect and every timer it sets is reckoned
// from `scheduled`. A late shard then replays the lamp exactly as an on-time one would.
struct Step {
  Lamp& lamp;
  const ModelConfig& cfg;
  VirtualTime scheduled;  // when the event that started this step was due
  Effects& fx;

  void observe(ObservationKind kind, std::uint8_t detail = 0) {
    fx.observations.push_back({kind, detail});
  }
  void set_timer(TimerSlot slot, VirtualTime at) {
    lamp.timers[static_cast<std::size_t>(slot)] = at;
  }
  void clear_timer(TimerSlot slot) { set_timer(slot, kNever); }
  bool timer_pending(TimerSlot slot) const {
    return lamp.timers[static_cast<std::size_t>(slot)] != kNever;
  }
  Duration sample(DurationRange r) {
    return Duration{lamp.rng.between(static_cast<std::int64_t>(r.min.count()),
                                     static_cast<std::int64_t>(r.max.count()))};
  }
};

// Local broker (local_broker.cpp).
int granted_qos(LocalClient client, Topic topic);
void publish_local(Step& s, LocalClient from, Topic topic, std::uint8_t qos, bool retain,
                   std::string payload);
void subscribe_local(Step& s, LocalClient client);
void connect_local(Step& s, LocalClient client);
// The client's connection ends; a service killed without DISCONNECT leaves its will.
void drop_local(Step& s, LocalClient client, bool fire_will);

// Local clients' reactions (services.cpp, bridge.cpp).
void on_client_connected(Step& s, LocalClient client);
void on_local_message(Step& s, LocalClient to, Topic topic, std::uint8_t qos, bool retain,
                      const std::string& payload);
void bridge_forward(Step& s, Topic topic, std::uint8_t qos, bool retain,
                    const std::string& payload);
void bridge_connect(Step& s);
void ui_property_changed(Step& s);
void ui_publish_state(Step& s);
void rssi_poll(Step& s);

// A person at the lamp and a phone over BLE (lamp.cpp), at the step's scheduled time.
// The public functions of the same names are these with `scheduled = now`.
void touch_slider(Step& s, Slider slider, double value);
void tap_power(Step& s);
void phone_connect(Step& s);
void phone_disconnect(Step& s);
void ble_write_brightness(Step& s, std::uint8_t value);
void ble_write_on(Step& s, bool on);
void ble_write_color(Step& s, std::uint8_t hue, std::uint8_t saturation);

// Sessions (session.cpp).
void session_begin(Step& s);
void session_tick(Step& s);

}  // namespace lampi::model::detail
