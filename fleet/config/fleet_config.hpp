// Everything a fleet run is told: loaded from YAML (config_loader), then overridden
// from the command line. Plain data; validated before anything starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "firmware_model/model_config.hpp"

namespace lampi::fleet {

using Seconds = std::chrono::duration<double>;

enum class MqttVersion : std::uint8_t { v311, v5 };
enum class StopMode : std::uint8_t { graceful, power_loss };

struct BrokerTarget {
  bool tls = false;        // mqtts://
  std::string host;        // a numeric address or a name, resolved once at start-up
  std::uint16_t port = 0;  // default 1883 for mqtt://, 8883 for mqtts://
};

struct TlsConfig {
  std::string ca_file;
  std::string cert_file;  // path template; "{id}" becomes the device id
  std::string key_file;   // path template; "{id}" becomes the device id
  bool verify = true;
};

struct ProfileShare {
  model::Profile profile;
  double percent;  // shares add up to 100
};

struct SloConfig {
  std::optional<double> p95_response_seconds;
  std::optional<double> max_failure_ratio;
  std::optional<double> min_bridged_ratio;  // of the configured lamps, at the end of the run
};

struct FleetConfig {
  std::size_t lamps = 100;
  std::uint64_t device_id_base = 0x1e0000000000ULL;

  // No broker: lampi-fleet starts Debian's mosquitto on a free loopback port.
  std::optional<BrokerTarget> broker;
  std::string username;
  std::string password;
  TlsConfig tls;
  MqttVersion mqtt_version = MqttVersion::v311;

  double hatch_rate = 100.0;  // lamps powered on per second
  std::size_t max_connects_in_flight = 100;
  std::vector<std::string> source_addresses;  // expanded from ranges like 127.0.0.2-127.0.0.9

  Seconds duration{0};   // 0: until Ctrl-C
  unsigned threads = 0;  // 0: one per core
  std::uint64_t seed = 1;
  StopMode stop_mode = StopMode::graceful;
  Seconds stop_timeout{10};

  std::vector<ProfileShare> profiles{{model::Profile::touch_drag, 100.0}};
  Seconds response_timeout{0.5};  // publish to PUBACK beyond this is a failure

  model::ModelConfig model;  // validation mode, bridge, services, sessions

  std::string metrics_listen = "127.0.0.1:9464";  // empty: no metrics endpoint
  std::string summary_json;                       // path, or empty
  std::string report_html;                        // path, or empty
  SloConfig slo;
};

}  // namespace lampi::fleet
