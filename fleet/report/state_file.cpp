#include "fleet/report/state_file.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>

#include "fleet/config/bounded_file.hpp"
#include "fleet/config/config_loader.hpp"
#include "fleet/stats/fleet_stats.hpp"

namespace lampi::fleet {

namespace {

using Json = nlohmann::ordered_json;
constexpr int kFormat = 1;
// About 600 bytes a lamp: a million lamps' file is well under this.
constexpr std::size_t kMaxStateFileBytes = std::size_t{1} << 30;

// Payloads are bytes (a cloud may send anything): hex keeps them exact in JSON.
std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

[[noreturn]] void fail(std::string_view source, const std::string& where,
                       const std::string& problem) {
  throw StateFileError(fmt::format(
      "{}: {}{}; fix or remove the file, or give --fresh to start every lamp anew (the file "
      "is then written over)",
      source, where.empty() ? "" : where + ": ", problem));
}

Json number_json(model::StoredNumber n) {
  return Json::array({n.hundredths, static_cast<int>(n.repr)});
}

}  // namespace

std::string render_state_file(const LampStates& states) {
  Json lamps = Json::object();
  for (const auto& [id, stored] : states) {
    Json retained = Json::object();
    for (std::size_t t = 0; t < model::kTopicCount; ++t) {
      const auto& r = stored.retained[t];
      if (!r.present) continue;
      retained[topic_pattern(static_cast<model::Topic>(t))] = {{"qos", r.qos},
                                                               {"payload_hex", to_hex(r.payload)}};
    }
    lamps[model::DeviceId{id}.str()] = {{"on", static_cast<int>(stored.state.on)},
                                        {"h", number_json(stored.state.hue)},
                                        {"s", number_json(stored.state.saturation)},
                                        {"brightness", number_json(stored.state.brightness)},
                                        {"client_json", stored.state.client_json},
                                        {"retained", std::move(retained)}};
  }
  Json j = {{"lampi_fleet_state", kFormat}, {"lamps", std::move(lamps)}};
  return j.dump(1) + "\n";
}

LampStates parse_state_file(std::string_view text, std::string_view source) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    fail(source, "", std::string("is not JSON (") + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("lampi_fleet_state"))
    fail(source, "", "is not a lampi-fleet state file (no \"lampi_fleet_state\")");
  if (j["lampi_fleet_state"] != kFormat)
    fail(source, "lampi_fleet_state",
         "is format " + j["lampi_fleet_state"].dump() + "; this lampi-fleet reads format 1");
  if (!j.contains("lamps") || !j["lamps"].is_object()) fail(source, "lamps", "expected an object");
  std::map<std::string, std::size_t> topic_of;
  for (std::size_t t = 0; t < model::kTopicCount; ++t)
    topic_of[topic_pattern(static_cast<model::Topic>(t))] = t;

  LampStates out;
  for (const auto& [key, lamp] : j["lamps"].items()) {
    const std::string where = "lamps." + key;
    auto id = model::parse_device_id(key);
    if (!id) fail(source, where, "is not a device ID (12 hex digits)");
    model::StoredLamp stored;
    auto number = [&](const char* name) {
      const Json& n = lamp.contains(name) ? lamp[name] : Json();
      if (!n.is_array() || n.size() != 2 || !n[0].is_number_unsigned() || n[0] > 100 ||
          !n[1].is_number_unsigned() || n[1] > static_cast<int>(model::NumberRepr::nan))
        fail(source, where + "." + name, "expected [hundredths 0-100, representation 0-3]");
      return model::StoredNumber{n[0].get<std::uint8_t>(),
                                 static_cast<model::NumberRepr>(n[1].get<int>())};
    };
    if (!lamp.is_object()) fail(source, where, "expected an object");
    if (!lamp.contains("on") || !lamp["on"].is_number_unsigned() ||
        lamp["on"] > static_cast<int>(model::OnRepr::float_neg_0))
      fail(source, where + ".on", "expected 0-6");
    stored.state.on = static_cast<model::OnRepr>(lamp["on"].get<int>());
    stored.state.hue = number("h");
    stored.state.saturation = number("s");
    stored.state.brightness = number("brightness");
    if (!lamp.contains("client_json") || !lamp["client_json"].is_string())
      fail(source, where + ".client_json", "expected a string");
    stored.state.client_json = lamp["client_json"].get<std::string>();
    if (!lamp.contains("retained") || !lamp["retained"].is_object())
      fail(source, where + ".retained", "expected an object");
    for (const auto& [topic, message] : lamp["retained"].items()) {
      auto t = topic_of.find(topic);
      if (t == topic_of.end())
        fail(source, where + ".retained", "unknown topic " + quote_value(topic));
      if (!message.is_object() || !message.contains("qos") ||
          !message["qos"].is_number_unsigned() || message["qos"] > 2 ||
          !message.contains("payload_hex") || !message["payload_hex"].is_string())
        fail(source, where + ".retained." + topic,
             "expected {\"qos\": 0-2, \"payload_hex\": \"...\"}");
      auto payload = from_hex(message["payload_hex"].get<std::string>());
      if (!payload)
        fail(source, where + ".retained." + topic + ".payload_hex", "is not lowercase hex");
      stored.retained[t->second] = {.payload = std::move(*payload),
                                    .qos = message["qos"].get<std::uint8_t>(),
                                    .present = true};
    }
    out.emplace(id->value, std::move(stored));
  }
  return out;
}

LampStates read_state_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) return {};
  std::optional<std::string> text;
  try {
    text = read_at_most(path, kMaxStateFileBytes);
  } catch (const std::system_error& e) {
    fail(path.string(), "", "cannot read it: " + e.code().message());
  }
  if (!text) fail(path.string(), "", "is larger than 1 GiB, far more than a million lamps need");
  return parse_state_file(*text, path.string());
}

}  // namespace lampi::fleet
