// The `<id>_broker` bridge: Mosquitto's bridge as a local client with one remote link.
#include <algorithm>

#include "firmware_model/step.hpp"

namespace lampi::model::detail {

namespace {

void remote(Step& s, RemoteKind kind, Topic topic, std::uint8_t qos, bool retain,
            std::string payload, VirtualTime scheduled) {
  s.fx.remote.push_back({kind, topic, qos, retain, std::move(payload), scheduled});
}

// The bridge's in-topics and the QoS it subscribes with on EC2.
constexpr std::pair<Topic, std::uint8_t> kInTopics[] = {{Topic::set_config, 1},
                                                        {Topic::associated, 2}};
// Its out-topics: forwarded with QoS 1 at most (the local subscription's grant).
constexpr Topic kOutTopics[] = {Topic::changed, Topic::state_lamp_service, Topic::state_lamp_ui,
                                Topic::state_bt_peripheral, Topic::bluetooth};

}  // namespace

void bridge_connect(Step& s) {
  s.lamp.bridge.link = LinkState::connecting;
  remote(s, RemoteKind::connect, Topic::bridge_state, 1, true, "0", s.scheduled);
}

void bridge_forward(Step& s, Topic topic, std::uint8_t qos, bool retain,
                    const std::string& payload) {
  auto& bridge = s.lamp.bridge;
  if (bridge.link == LinkState::up) {
    remote(s, RemoteKind::publish, topic, qos, retain, payload, s.scheduled);
    return;
  }
  if (qos == 0 || bridge.queue.size() >= s.cfg.bridge_queue_limit) {
    s.observe(ObservationKind::bridge_dropped, static_cast<std::uint8_t>(topic));
    return;
  }
  bridge.queue.push_back({topic, qos, retain, s.scheduled, payload});
  s.observe(ObservationKind::bridge_queued, static_cast<std::uint8_t>(topic));
}

}  // namespace lampi::model::detail

namespace lampi::model {

using detail::Step;

void on_remote_connected(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx) {
  if (!lamp.powered || lamp.bridge.link != LinkState::connecting) return;
  Step s{lamp, cfg, now, fx};
  auto& bridge = lamp.bridge;
  bridge.link = LinkState::up;
  bridge.restart_timeout = cfg.reconnect_base;
  detail::remote(s, RemoteKind::publish, Topic::bridge_state, 1, true, "1", s.scheduled);
  detail::publish_local(s, LocalClient::bridge, Topic::bridge_state, 1, true, "1");
  for (auto [topic, qos] : detail::kInTopics)
    detail::remote(s, RemoteKind::subscribe, topic, qos, false, {}, s.scheduled);
  // Mosquitto re-sends the local retained messages of its out-topics on every connect.
  for (Topic topic : detail::kOutTopics) {
    const auto& slot = lamp.broker.retained[index_of(topic)];
    if (!slot.present) continue;
    auto qos = static_cast<std::uint8_t>(
        std::min<int>(slot.qos, detail::granted_qos(LocalClient::bridge, topic)));
    detail::remote(s, RemoteKind::publish, topic, qos, true, slot.payload, s.scheduled);
  }
  for (auto& m : bridge.queue)
    detail::remote(s, RemoteKind::publish, m.topic, m.qos, m.retain, std::move(m.payload),
                   m.scheduled);
  bridge.queue.clear();
  bridge.queue.shrink_to_fit();
}

void on_remote_disconnected(Lamp& lamp, const ModelConfig& cfg, VirtualTime now, Effects& fx) {
  if (!lamp.powered || lamp.bridge.link == LinkState::down) return;
  Step s{lamp, cfg, now, fx};
  auto& bridge = lamp.bridge;
  bool was_up = bridge.link == LinkState::up;
  bridge.link = LinkState::down;
  if (was_up) detail::publish_local(s, LocalClient::bridge, Topic::bridge_state, 1, true, "0");
  // Mosquitto's decorrelated jitter: between the base and three times the last wait.
  auto base = cfg.reconnect_base.count();
  auto prev = std::max(bridge.restart_timeout.count(), base);
  auto wait = lamp.rng.between(base, std::max(base, 3 * prev));
  bridge.restart_timeout = Duration{std::min(wait, cfg.reconnect_cap.count())};
  s.set_timer(TimerSlot::bridge_reconnect, s.scheduled + bridge.restart_timeout);
}

void on_remote_message(Lamp& lamp, const ModelConfig& cfg, VirtualTime now,
                       std::string_view topic_text, std::string_view payload, std::uint8_t qos,
                       bool retain, Effects& fx) {
  if (!lamp.powered || lamp.bridge.link != LinkState::up) return;
  auto topic = topic_from_remote(topic_text, lamp.id);
  if (!topic) return;
  for (auto [in_topic, in_qos] : detail::kInTopics) {
    if (in_topic != *topic) continue;
    if (cfg.message_size_limit != 0 && payload.size() > cfg.message_size_limit) {
      fx.observations.push_back(
          {ObservationKind::message_too_large, static_cast<std::uint8_t>(*topic)});
      return;
    }
    Step s{lamp, cfg, now, fx};
    detail::publish_local(s, LocalClient::bridge, *topic, std::min(qos, in_qos), retain,
                          std::string(payload));
  }
}

}  // namespace lampi::model
