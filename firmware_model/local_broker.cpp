// The lamp's local Mosquitto: subscriptions, QoS downgrade, retained messages, wills.
#include <algorithm>

#include "firmware_model/step.hpp"

namespace lampi::model::detail {

namespace {

struct Subscription {
  LocalClient client;
  std::string_view filter;  // "{id}" stands for the device id
  std::uint8_t qos;
};

// What each local client subscribes to on connect (the bridge's are its out-topics).
constexpr Subscription kSubscriptions[] = {
    {LocalClient::lamp_service, "lamp/set_config", 1},
    {LocalClient::lamp_ui, "lamp/changed", 1},
    {LocalClient::lamp_ui, "lamp/associated", 2},
    {LocalClient::lamp_ui, "$SYS/broker/connection/{id}_broker/state", 1},
    {LocalClient::bt_peripheral, "lamp/changed", 1},
    {LocalClient::bridge, "lamp/changed", 1},
    {LocalClient::bridge, "lamp/connection/+/state", 1},
    {LocalClient::bridge, "lamp/bluetooth", 1},
};

using GrantTable = std::array<std::array<std::int8_t, kTopicCount>, kLocalClientCount>;

// Every topic is matched against every filter once; the id cancels out because the
// only filter naming it names it literally.
GrantTable build_grants() {
  GrantTable grants{};
  for (auto& row : grants) row.fill(-1);
  const DeviceId sample{0xabcdef012345};
  for (const auto& sub : kSubscriptions) {
    std::string filter(sub.filter);
    if (auto at = filter.find("{id}"); at != std::string::npos) filter.replace(at, 4, sample.str());
    for (std::size_t t = 0; t < kTopicCount; ++t) {
      if (!topic_matches(filter, local_topic(static_cast<Topic>(t), sample))) continue;
      auto& g = grants[static_cast<std::size_t>(sub.client)][t];
      g = std::max<std::int8_t>(g, static_cast<std::int8_t>(sub.qos));
    }
  }
  return grants;
}

std::uint8_t bit(LocalClient c) {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(c));
}

void drain(Step& s) {
  if (s.fx.draining) return;
  s.fx.draining = true;
  // FIFO: a handler's own publishes queue behind what is already in flight.
  for (std::size_t i = 0; i < s.fx.pending.size(); ++i) {
    LocalMessage msg = std::move(s.fx.pending[i]);
    auto deliver = [&](LocalClient to) {
      if (!(s.lamp.broker.connected & bit(to))) return;
      int granted = granted_qos(to, msg.topic);
      if (granted < 0) return;
      auto qos = static_cast<std::uint8_t>(std::min<int>(msg.qos, granted));
      // Live messages reach v3.1.1 clients with retain cleared; the bridge's
      // subscriptions are retain-as-published.
      bool retain = msg.targeted || (to == LocalClient::bridge && msg.retain);
      if (s.fx.local_trace) s.fx.local_trace->push_back({to, msg.topic, qos, retain, msg.payload});
      VirtualTime outer = s.scheduled;
      s.scheduled = msg.scheduled;
      on_local_message(s, to, msg.topic, qos, retain, msg.payload);
      s.scheduled = outer;
    };
    if (msg.targeted) {
      deliver(msg.to);
    } else {
      for (std::size_t c = 0; c < kLocalClientCount; ++c) deliver(static_cast<LocalClient>(c));
    }
  }
  s.fx.pending.clear();
  s.fx.draining = false;
}

}  // namespace

int granted_qos(LocalClient client, Topic topic) {
  static const GrantTable grants = build_grants();
  return grants[static_cast<std::size_t>(client)][index_of(topic)];
}

void publish_local(Step& s, LocalClient from, Topic topic, std::uint8_t qos, bool retain,
                   std::string payload) {
  if (retain) {
    auto& slot = s.lamp.broker.retained[index_of(topic)];
    if (payload.empty()) {
      slot = RetainedMessage{};  // a zero-length retained publish clears the topic
    } else {
      slot.payload = payload;
      slot.qos = qos;
      slot.present = true;
    }
  }
  s.fx.pending.push_back({from, topic, qos, retain, false, from, std::move(payload), s.scheduled});
  drain(s);
}

void subscribe_local(Step& s, LocalClient client) {
  for (std::size_t t = 0; t < kTopicCount; ++t) {
    const auto& slot = s.lamp.broker.retained[t];
    if (!slot.present || granted_qos(client, static_cast<Topic>(t)) < 0) continue;
    s.fx.pending.push_back(
        {client, static_cast<Topic>(t), slot.qos, true, true, client, slot.payload, s.scheduled});
  }
  drain(s);
}

void connect_local(Step& s, LocalClient client) {
  s.lamp.broker.connected |= bit(client);
  on_client_connected(s, client);
}

void drop_local(Step& s, LocalClient client, bool fire_will) {
  if (!(s.lamp.broker.connected & bit(client))) return;
  s.lamp.broker.connected &= static_cast<std::uint8_t>(~bit(client));
  if (!fire_will) return;
  // The three services' wills: "0" on their connection-state topic, QoS 2, retained.
  switch (client) {
    case LocalClient::lamp_service:
      publish_local(s, client, Topic::state_lamp_service, 2, true, "0");
      break;
    case LocalClient::lamp_ui:
      publish_local(s, client, Topic::state_lamp_ui, 2, true, "0");
      break;
    case LocalClient::bt_peripheral:
      publish_local(s, client, Topic::state_bt_peripheral, 2, true, "0");
      break;
    case LocalClient::bt_central:
    case LocalClient::bridge:
      break;
  }
}

}  // namespace lampi::model::detail
