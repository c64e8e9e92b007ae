#include "fleet/cloud/web_page.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace lampi::fleet {

std::optional<WebLampView> read_changed(std::string_view payload) {
  auto j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  // lamp_service always writes every field.
  if (!j.is_object() || !j.contains("color") || !j.contains("brightness") || !j.contains("on") ||
      !j.contains("client"))
    return std::nullopt;
  WebLampView v;
  auto number = [](const nlohmann::json& o, const char* key, double& out) {
    auto it = o.find(key);
    if (it != o.end() && it->is_number()) out = it->get<double>();
  };
  if (auto c = j.find("color"); c != j.end() && c->is_object()) {
    number(*c, "h", v.hue);
    number(*c, "s", v.saturation);
  }
  number(j, "brightness", v.brightness);
  if (auto on = j.find("on"); on != j.end()) {
    if (on->is_boolean())
      v.on = on->get<bool>();
    else if (on->is_number())
      v.on = on->get<double>() != 0;
  }
  if (auto client = j.find("client"); client != j.end() && client->is_string())
    v.client = client->get<std::string>();
  return v;
}

std::string js_number(double v) {
  if (!std::isfinite(v)) return "null";  // JSON.stringify(NaN)
  if (v == 0) return "0";                // -0 too
  char buf[64];
  // JavaScript switches to exponents below 1e-6 and from 1e21; sliders live in [0, 1].
  auto fmt = (std::fabs(v) >= 1e-6 && std::fabs(v) < 1e21) ? std::chars_format::fixed
                                                           : std::chars_format::scientific;
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, fmt);
  if (ec != std::errc{}) return "null";
  std::string out(buf, end);
  // C++ pads the exponent to two digits ("1e-07"); JavaScript does not, and signs it ("1e-7",
  // "1e+21").
  if (auto e = out.find('e'); e != std::string::npos) {
    std::size_t digits = e + 2;
    while (digits + 1 < out.size() && out[digits] == '0') out.erase(digits, 1);
  }
  return out;
}

std::string web_client_id(model::Rng& rng) {
  return js_number(rng.unit()) + "_web_client";
}

std::string render_web_set_config(const WebLampView& v, std::string_view client) {
  std::string out = R"({"color":{"h":)";
  out += js_number(v.hue);
  out += R"(,"s":)";
  out += js_number(v.saturation);
  out += R"(},"brightness":)";
  out += js_number(v.brightness);
  out += R"(,"on":)";
  out += v.on ? "true" : "false";
  out += R"(,"client":)";
  out += nlohmann::json(std::string(client)).dump();
  out += '}';
  return out;
}

double drag_step(double value, model::Rng& rng) {
  double next = value + rng.between(-0.1, 0.1);
  next = std::clamp(next, 0.0, 1.0);
  return std::round(next * 100.0) / 100.0;
}

}  // namespace lampi::fleet
