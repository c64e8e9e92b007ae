// One emulated LAMPI: plain data, driven by the functions below. Every function takes
// the virtual time it happens at and appends what the outside world must do to
// `Effects`; nothing here touches a socket, a thread or a clock.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "firmware_model/device_id.hpp"
#include "firmware_model/effects.hpp"
#include "firmware_model/lamp_state.hpp"
#include "firmware_model/model_config.hpp"
#include "firmware_model/rng.hpp"
#include "firmware_model/topic.hpp"
#include "firmware_model/virtual_time.hpp"

namespace lampi::model {

enum class TimerSlot : std::uint8_t {
  start_lamp_service,  // also the supervisor's restart after a crash
  start_lamp_ui,
  start_bt_peripheral,
  start_bt_central,
  ui_update_leds,
  bridge_reconnect,
  rssi_poll,
  session,
};
inline constexpr std::size_t kTimerCount = 8;

struct RetainedMessage {
  std::string payload;
  std::uint8_t qos = 0;
  bool present = false;
};

// The lamp's own Mosquitto: which local clients are connected, and its retained store.
// Retained messages survive power cycles (Mosquitto's persistence file).
struct LocalBrokerState {
  std::array<RetainedMessage, kTopicCount> retained{};
  std::uint8_t connected = 0;  // one bit per LocalClient
};

enum class LinkState : std::uint8_t { down, connecting, up };

struct QueuedMessage {
  Topic topic;
  std::uint8_t qos;
  bool retain;
  VirtualTime scheduled;
  std::string payload;
};

// The `<id>_broker` bridge's remote side.
struct BridgeState {
  LinkState link = LinkState::down;
  Duration restart_timeout{0};       // the last decorrelated-jitter wait
  std::vector<QueuedMessage> queue;  // out-going messages held while the link is down
};

enum class Slider : std::uint8_t { hue, saturation, brightness };

struct LampUiState {
  double hue = 1.0;
  double saturation = 1.0;
  double brightness = 1.0;
  bool on = true;
  bool synced = false;   // has taken its first lamp/changed since start-up
  bool bridged = false;  // "Broker Bridged"
  bool popup_shown = false;
  std::array<char, 6> popup_code{};  // code[0:6] of the association popup
};

struct BluetoothState {
  bool phone_connected = false;
  std::int8_t rssi = 0;
  std::int8_t last_reported_rssi = 0;
  std::array<std::uint8_t, 6> phone_address{};
};

enum class SessionPhase : std::uint8_t { waiting, dragging, phone_away, phone_connected };

struct SessionState {
  SessionPhase phase = SessionPhase::waiting;
  Slider slider = Slider::hue;
  std::uint16_t frame = 0;
  std::uint16_t frames = 0;
  float from = 0.0f;
  float to = 0.0f;
  VirtualTime phone_leaves{};
};

struct Lamp {
  DeviceId id{};
  Profile profile = Profile::idle;
  bool powered = false;
  bool service_crashed = false;  // lamp_service died; supervisor will start it again
  Rng rng{};
  LampState state{};  // lamp_service's shelve: survives power cycles
  LocalBrokerState broker{};
  BridgeState bridge{};
  LampUiState ui{};
  BluetoothState bt{};
  SessionState session{};
  std::array<VirtualTime, kTimerCount> timers{};
};

Lamp make_lamp(DeviceId id, std::uint64_t seed, Profile profile);

enum class PowerOff : std::uint8_t {
  graceful,    // services stop (their wills fire locally and cross the bridge), then the broker
  power_loss,  // everything stops at once; only the remote will reaches EC2
};

void power_on(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx);
void power_off(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, PowerOff how, Effects& fx);

// The earliest time `advance` has work to do (kNever when none).
VirtualTime next_deadline(const Lamp& lamp);
// Fires every timer due at or before `now`, in time order, each at its own due time:
// called late, it stamps the effects and chains the timers exactly as calls on time
// would have (the lateness shows in the latency measured from `scheduled`).
void advance(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx);

// Remote events, as the shell observed them on the bridge's connection.
void on_remote_connected(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx);
void on_remote_disconnected(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx);
void on_remote_message(Lamp& lamp, const ModelConfig& cfg, VirtualTime now,
                       std::string_view remote_topic, std::string_view payload, std::uint8_t qos,
                       bool retain, Effects& fx);

// A person at the lamp, happening at `now` (sessions use the detail:: forms, which
// happen at their step's scheduled time).
void touch_slider(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Slider slider, double value,
                  Effects& fx);
void tap_power(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx);
// A phone over BLE.
void phone_connect(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx);
void phone_disconnect(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx);
void ble_write_brightness(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, std::uint8_t value,
                          Effects& fx);
void ble_write_on(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, bool on, Effects& fx);
void ble_write_color(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, std::uint8_t hue,
                     std::uint8_t saturation, Effects& fx);

bool is_connected(const Lamp& lamp, LocalClient client);
std::string phone_address_text(const BluetoothState& bt);

}  // namespace lampi::model
