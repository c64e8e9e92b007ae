#include "firmware_model/topic.hpp"

namespace lampi::model {

namespace {

constexpr std::array<std::string_view, kTopicCount> kLampTopics = {
    "lamp/set_config",
    "lamp/changed",
    "lamp/associated",
    "lamp/bluetooth",
    "lamp/connection/lamp_service/state",
    "lamp/connection/lamp_ui/state",
    "lamp/connection/lamp_bt_peripheral/state",
    "",
};

std::string bridge_state_topic(DeviceId id) {
  std::string out = "$SYS/broker/connection/";
  auto d = id.digits();
  out.append(d.data(), d.size());
  out += "_broker/state";
  return out;
}

std::string device_prefix(DeviceId id) {
  std::string out = "devices/";
  auto d = id.digits();
  out.append(d.data(), d.size());
  out += '/';
  return out;
}

}  // namespace

std::optional<std::uint8_t> remote_publish_qos(Topic t) {
  switch (t) {
    case Topic::set_config:
    case Topic::associated:
      return std::nullopt;
    case Topic::bluetooth:
      return 0;  // lamp_bt_central publishes it at QoS 0
    case Topic::changed:
    case Topic::state_lamp_service:
    case Topic::state_lamp_ui:
    case Topic::state_bt_peripheral:
    case Topic::bridge_state:
      return 1;
  }
  return std::nullopt;
}

std::string local_topic(Topic t, DeviceId id) {
  if (t == Topic::bridge_state) return bridge_state_topic(id);
  return std::string(kLampTopics[index_of(t)]);
}

std::string remote_topic(Topic t, DeviceId id) {
  if (t == Topic::bridge_state) return bridge_state_topic(id);
  return device_prefix(id).append(kLampTopics[index_of(t)]);
}

std::optional<Topic> topic_from_remote(std::string_view remote, DeviceId id) {
  std::string prefix = device_prefix(id);
  if (!remote.starts_with(prefix)) return std::nullopt;
  remote.remove_prefix(prefix.size());
  for (std::size_t i = 0; i + 1 < kTopicCount; ++i)
    if (remote == kLampTopics[i]) return static_cast<Topic>(i);
  return std::nullopt;
}

std::string bridge_client_id(DeviceId id) {
  auto d = id.digits();
  return std::string(d.data(), d.size()) + "_broker";
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#'))
    return false;
  std::size_t f = 0, t = 0;
  while (true) {
    auto f_end = filter.find('/', f);
    auto t_end = topic.find('/', t);
    std::string_view f_level =
        filter.substr(f, f_end == std::string_view::npos ? f_end : f_end - f);
    if (f_level == "#") return true;
    if (t > topic.size()) return false;  // topic ran out of levels
    std::string_view t_level = topic.substr(t, t_end == std::string_view::npos ? t_end : t_end - t);
    if (f_level != "+" && f_level != t_level) return false;
    bool f_last = f_end == std::string_view::npos;
    bool t_last = t_end == std::string_view::npos;
    if (f_last && t_last) return true;
    if (f_last) return false;
    if (t_last) {
      // "a/#" matches "a": only a trailing '#' may follow.
      return filter.substr(f_end + 1) == "#";
    }
    f = f_end + 1;
    t = t_end + 1;
  }
}

}  // namespace lampi::model
