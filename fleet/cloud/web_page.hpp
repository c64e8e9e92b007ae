// What the course's web page sends: the full state on devices/<id>/lamp/set_config as
// JavaScript's JSON.stringify writes it, from a client named "<Math.random()>_web_client".
// Pure: the stand-in's loop owns the clock and the randomness.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "firmware_model/rng.hpp"

namespace lampi::fleet {

// A lamp as the web page shows it, from its last lamp/changed.
struct WebLampView {
  double hue = 1.0, saturation = 1.0, brightness = 1.0;
  bool on = true;
  std::string client;  // the `client` the lamp echoed
};

// The view a lamp/changed payload gives, or nullopt when it is not one (lamp_service
// writes Python's NaN, which no JSON parser reads: the page keeps what it had).
std::optional<WebLampView> read_changed(std::string_view payload);

// A number as JavaScript prints it: shortest round trip, no exponent for sliders' values,
// integers without ".0" (1, 0.5, 0.123), "1e-7" below a millionth. (Above 2^53 JavaScript
// rounds its digits; nothing on a web page's slider gets there.)
std::string js_number(double v);

// "0.7134_web_client": a session's client, from Math.random().
std::string web_client_id(model::Rng& rng);

// {"color":{"h":0.5,"s":1},"brightness":0.8,"on":true,"client":"0.123_web_client"}
std::string render_web_set_config(const WebLampView& v, std::string_view client);

// One step of a finger on a slider: the value moves by up to 0.1 and stays in [0, 1], in
// the slider's steps of 0.01.
double drag_step(double value, model::Rng& rng);

}  // namespace lampi::fleet
