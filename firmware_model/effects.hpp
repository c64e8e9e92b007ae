// What one step of the model asks the outside world to do, and what it observed.
// The shell carries out the remote actions in order and counts the observations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "firmware_model/topic.hpp"
#include "firmware_model/virtual_time.hpp"

namespace lampi::model {

enum class RemoteKind : std::uint8_t {
  connect,  // CONNECT as <id>_broker, will "0" on the bridge state topic (QoS 1, retained)
  publish,
  subscribe,
  disconnect,  // drop the connection without an MQTT DISCONNECT, so the will fires
};

struct RemoteAction {
  RemoteKind kind = RemoteKind::publish;
  Topic topic = Topic::changed;
  std::uint8_t qos = 0;
  bool retain = false;
  std::string payload;
  // When the cause of this action was due: latency is measured from here, not from
  // when a busy loop got round to it (coordinated omission).
  VirtualTime scheduled{};

  friend bool operator==(const RemoteAction&, const RemoteAction&) = default;
};

// Why lamp_service refused a set_config (in either validation mode).
enum class InvalidClass : std::uint8_t {
  not_json,    // not UTF-8 JSON, or nested deeper than Python's json allows
  not_object,  // JSON, but not an object
  missing_client,
  wrong_type,
  out_of_range,
  color_incomplete,  // color without h or s
  too_large,         // over the local broker's message_size_limit: no service saw it
};
inline constexpr std::size_t kInvalidClassCount = 7;

enum class ObservationKind : std::uint8_t {
  set_config_ignored,   // detail: InvalidClass (faithful: no client, dropped silently)
  set_config_rejected,  // detail: InvalidClass (no lamp/changed sent)
  service_crashed,      // detail: InvalidClass that killed lamp_service
  service_restarted,    // detail: Service
  bridge_dropped,       // an out-going message lost while the remote link was down
  bridge_queued,        // an out-going message held while the remote link was down
  message_too_large,    // an in-coming message the local broker dropped (detail: topic)
};

struct Observation {
  ObservationKind kind;
  std::uint8_t detail = 0;
  friend bool operator==(const Observation&, const Observation&) = default;
};

enum class LocalClient : std::uint8_t { lamp_service, lamp_ui, bt_peripheral, bt_central, bridge };
inline constexpr std::size_t kLocalClientCount = 5;

// One message handed by the local broker to one local client (for tests and traces).
struct LocalDelivery {
  LocalClient to;
  Topic topic;
  std::uint8_t qos;
  bool retain;
  std::string payload;
  friend bool operator==(const LocalDelivery&, const LocalDelivery&) = default;
};

struct LocalMessage {
  LocalClient from;
  Topic topic;
  std::uint8_t qos;
  bool retain;
  bool targeted;   // a retained message sent to one new subscriber only
  LocalClient to;  // that subscriber, when targeted
  std::string payload;
  VirtualTime scheduled;
};

// Reused across lamps by one thread: clear() keeps the capacity.
struct Effects {
  std::vector<RemoteAction> remote;
  std::vector<Observation> observations;
  std::vector<LocalDelivery>* local_trace = nullptr;  // set by tests to watch the local broker
  std::vector<LocalMessage> pending;                  // local messages not yet delivered
  bool draining = false;

  void clear() {
    remote.clear();
    observations.clear();
    pending.clear();
    draining = false;
  }
};

}  // namespace lampi::model
