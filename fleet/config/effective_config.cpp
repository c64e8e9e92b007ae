// The settings in effect, walked from the schema's tables; and how each type of value is
// written back in the config file's own syntax (config_access.hpp).
#include "fleet/config/effective_config.hpp"

#include "firmware_model/device_id.hpp"
#include "fleet/config/config_loader.hpp"
#include "fleet/config/config_schema.hpp"

namespace lampi::fleet {

namespace detail {

Json shown(const std::string& v) {
  return v;
}
Json shown(bool v) {
  return v;
}
Json shown(double v) {
  return v;
}
Json shown(Seconds v) {
  return format_duration(v);
}
Json shown(model::Duration v) {
  return format_duration(std::chrono::duration<double>(v));
}
Json shown(const model::DurationRange& v) {
  return Json::array({shown(v.min), shown(v.max)});
}
Json shown(const std::optional<std::string>& v) {
  return v ? Json(*v) : Json(nullptr);
}
Json shown(const std::optional<double>& v) {
  return v ? Json(*v) : Json(nullptr);
}
Json shown(const std::optional<std::size_t>& v) {
  return v ? Json(*v) : Json(nullptr);
}
Json shown(const std::optional<BrokerTarget>& v) {
  return v ? Json(format_broker_url(*v)) : Json(nullptr);
}
Json shown(const std::optional<ListenAddress>& v) {
  return v ? format_listen_address(*v) : "";
}
Json shown(const ProfileMix& v) {
  Json out = Json::object();
  for (const auto& share : v) out[std::string(profile_name(share.profile))] = share.percent;
  return out;
}
// The list is kept expanded, one entry per address; written back, each run of consecutive
// addresses is one range again.
Json shown(const std::vector<Ipv4Address>& v) {
  Json out = Json::array();
  for (std::size_t i = 0; i < v.size();) {
    std::size_t last = i;
    while (last + 1 < v.size() && v[last + 1].value == v[last].value + 1) ++last;
    out.push_back(last == i ? v[i].str() : v[i].str() + "-" + v[last].str());
    i = last + 1;
  }
  return out;
}
Json shown_device_id(const std::uint64_t& v) {
  return model::DeviceId{v}.str();
}
Json shown_seconds(const std::optional<double>& v) {
  return v ? shown(Seconds(*v)) : Json(nullptr);
}

}  // namespace detail

namespace {

detail::Json section(std::span<const detail::Key> keys, const FleetConfig& c) {
  detail::Json out = detail::Json::object();
  for (const auto& k : keys) {
    std::string name(k.name);
    if (!k.keys.empty()) {
      out[name] = section(k.keys, c);
      continue;
    }
    detail::Json value = k.value.show(c);
    if (k.secret && !(value.is_string() && value.get_ref<const std::string&>().empty()))
      value = std::string(kRedacted);
    out[name] = std::move(value);
  }
  return out;
}

}  // namespace

nlohmann::ordered_json effective_config(const FleetConfig& config) {
  return section(detail::root_keys(), config);
}

}  // namespace lampi::fleet
