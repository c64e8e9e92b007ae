// The closed set of topics a LAMPI's local broker ever carries, and MQTT topic
// matching. The set is closed because every local publisher is modelled and the
// bridge only subscribes to two remote topics.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "firmware_model/device_id.hpp"

namespace lampi::model {

enum class Topic : std::uint8_t {
  set_config,
  changed,
  associated,
  bluetooth,
  state_lamp_service,
  state_lamp_ui,
  state_bt_peripheral,
  bridge_state,  // $SYS/broker/connection/<id>_broker/state
};
inline constexpr std::size_t kTopicCount = 8;

constexpr std::size_t index_of(Topic t) {
  return static_cast<std::size_t>(t);
}

// The QoS a lamp's own publishes on `t` reach EC2 with (the publisher's QoS capped at the
// bridge's local subscription, and the bridge's own state at 1), or nullopt for the
// topics that only come from EC2 (set_config, associated). Only QoS 1 publishes are
// acknowledged (PUBACK), so only those topics have a response time.
std::optional<std::uint8_t> remote_publish_qos(Topic t);

// The topic on the lamp's own broker, e.g. "lamp/changed".
std::string local_topic(Topic t, DeviceId id);
// The topic on EC2: "devices/<id>/lamp/changed"; the bridge state topic is not prefixed.
std::string remote_topic(Topic t, DeviceId id);
// Maps a topic received from EC2 back to the local one; nullopt if not ours.
std::optional<Topic> topic_from_remote(std::string_view remote, DeviceId id);
// "<id>_broker", the bridge's remote client id.
std::string bridge_client_id(DeviceId id);

// MQTT 3.1.1 topic filter matching: '+' one level, '#' the rest (including the
// parent level); wildcards at the first level never match topics starting with '$'.
bool topic_matches(std::string_view filter, std::string_view topic);

}  // namespace lampi::model
