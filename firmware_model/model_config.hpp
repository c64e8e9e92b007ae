// Knobs shared by every lamp of a fleet (one instance per fleet, read-only while it runs).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "firmware_model/virtual_time.hpp"

namespace lampi::model {

// How lamp_service treats set_config: exactly as the course code does, or the
// all-or-nothing validation the course text asks for (never crashes).
enum class ValidationMode : std::uint8_t { faithful, strict };

enum class Service : std::uint8_t { lamp_service, lamp_ui, bt_peripheral, bt_central };
inline constexpr std::size_t kServiceCount = 4;

struct DurationRange {
  Duration min{0};
  Duration max{0};
};

// Workload profiles a lamp's synthetic human follows.
enum class Profile : std::uint8_t { idle, seed_worst_case, touch_drag, bluetooth };
inline constexpr std::size_t kProfileCount = 4;

struct SessionConfig {
  double frame_rate_hz = 60.0;  // Kivy frame rate while a finger drags
  DurationRange drag_duration{seconds_to_duration(0.3), seconds_to_duration(2.0)};
  DurationRange think_time{seconds_to_duration(2.0), seconds_to_duration(10.0)};
  double tap_probability = 0.2;  // an interaction is an on/off tap
  // The seed's worst case: 10 lamp/changed per interaction, 1-2 s between.
  int worst_case_messages = 10;
  DurationRange worst_case_think{seconds_to_duration(1.0), seconds_to_duration(2.0)};
  // Phone sessions over BLE.
  DurationRange phone_session{seconds_to_duration(10.0), seconds_to_duration(60.0)};
  DurationRange phone_idle{seconds_to_duration(5.0), seconds_to_duration(30.0)};
  DurationRange phone_write_interval{seconds_to_duration(1.0), seconds_to_duration(5.0)};
  int rssi_mean_dbm = -60;
  int rssi_step_dbm = 4;  // the random walk's largest step per one-second poll
};

struct ModelConfig {
  ValidationMode mode = ValidationMode::faithful;
  // When each service comes up after power-on (systemd/supervisor order, jittered).
  std::array<DurationRange, kServiceCount> service_start{{
      {seconds_to_duration(0.3), seconds_to_duration(1.0)},  // lamp_service
      {seconds_to_duration(1.5), seconds_to_duration(3.0)},  // lamp_ui (Kivy is slow)
      {seconds_to_duration(0.5), seconds_to_duration(1.5)},  // lamp_bt_peripheral
      {seconds_to_duration(0.5), seconds_to_duration(1.5)},  // lamp_bt_central
  }};
  Duration service_restart_delay = seconds_to_duration(1.0);  // supervisor restart of a crash
  Duration ui_update_delay = seconds_to_duration(0.01);       // _update_leds debounce
  // Bridge: Mosquitto's defaults as on the lamp.
  std::size_t bridge_queue_limit = 1000;  // max_queued_messages
  Duration reconnect_base = seconds_to_duration(5.0);
  Duration reconnect_cap = seconds_to_duration(30.0);
  Duration keepalive = seconds_to_duration(60.0);
  bool clean_session = false;
  // The local Mosquitto's message_size_limit, in payload bytes (0: none, Mosquitto's own
  // default). A larger message from EC2 is dropped there and no service sees it. Set
  // here so one huge command costs its shard a byte count, not a parse that stalls every
  // lamp on the thread (a real lamp would only stall itself).
  std::size_t message_size_limit = 1024 * 1024;
  // Past this nesting depth Python's json raises RecursionError.
  int max_json_depth = 1000;
  SessionConfig sessions{};
};

}  // namespace lampi::model
