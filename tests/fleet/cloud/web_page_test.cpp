// The web page's side of the cloud stand-in: numbers as JavaScript prints them, the
// set_config it sends, the lamp/changed it reads, its client id and its slider drags.
#include "fleet/cloud/web_page.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "firmware_model/rng.hpp"

using namespace lampi::fleet;
using lampi::model::Rng;

TEST_CASE("numbers are printed as JavaScript's String(number) prints them") {
  CHECK(js_number(0.0) == "0");
  CHECK(js_number(-0.0) == "0");
  CHECK(js_number(1.0) == "1");
  CHECK(js_number(0.5) == "0.5");
  CHECK(js_number(0.1) == "0.1");
  CHECK(js_number(0.123) == "0.123");
  CHECK(js_number(0.57) == "0.57");
  CHECK(js_number(0.000001) == "0.000001");
}

TEST_CASE("numbers below a millionth are printed with JavaScript's exponent") {
  // String(1e-7) in JavaScript is "1e-7": no zero padding in the exponent.
  CHECK(js_number(1e-7) == "1e-7");
}

TEST_CASE("the web page's set_config is the state as JSON.stringify writes it") {
  WebLampView v;
  v.hue = 0.5;
  v.saturation = 1.0;
  v.brightness = 0.8;
  v.on = true;
  CHECK(render_web_set_config(v, "0.123_web_client") ==
        R"({"color":{"h":0.5,"s":1},"brightness":0.8,"on":true,"client":"0.123_web_client"})");
  v.hue = 0.0;
  v.on = false;
  CHECK(render_web_set_config(v, "c") ==
        R"({"color":{"h":0,"s":1},"brightness":0.8,"on":false,"client":"c"})");
}

TEST_CASE("a client name with a quote is escaped in the set_config") {
  WebLampView v;
  v.hue = 0.25;
  v.saturation = 0.5;
  v.brightness = 1.0;
  v.on = true;
  CHECK(render_web_set_config(v, "a\"b\\c") ==
        R"({"color":{"h":0.25,"s":0.5},"brightness":1,"on":true,"client":"a\"b\\c"})");
}

TEST_CASE("a lamp_service lamp/changed payload is read into the page's view") {
  auto v = read_changed(
      R"({"color": {"h": 0.25, "s": 1.0}, "brightness": 0.5, "on": false, "client": "lamp_ui"})");
  REQUIRE(v.has_value());
  CHECK(v->hue == 0.25);
  CHECK(v->saturation == 1.0);
  CHECK(v->brightness == 0.5);
  CHECK(v->on == false);
  CHECK(v->client == "lamp_ui");
}

TEST_CASE("a payload that is not JSON, or carries Python's NaN, is not read") {
  CHECK_FALSE(read_changed("not json").has_value());
  CHECK_FALSE(read_changed(
                  R"({"color": {"h": NaN, "s": 1.0}, "brightness": 0.5, "on": true, "client": ""})")
                  .has_value());
  CHECK_FALSE(read_changed("").has_value());
}

TEST_CASE("a web client id is a Math.random() value followed by _web_client") {
  Rng rng(42);
  for (int i = 0; i < 100; ++i) {
    const auto id = web_client_id(rng);
    const std::string suffix = "_web_client";
    REQUIRE(id.size() > suffix.size() + 2);
    CHECK(id.compare(id.size() - suffix.size(), suffix.size(), suffix) == 0);
    CHECK(id.rfind("0.", 0) == 0);
    const double value = std::stod(id.substr(0, id.size() - suffix.size()));
    CHECK(value >= 0.0);
    CHECK(value < 1.0);
  }
}

TEST_CASE("a slider drag stays in range, moves at most a tenth and lands on hundredths") {
  Rng rng(7);
  double value = 0.5;
  int at_bottom = 0, at_top = 0, moved = 0;
  for (int i = 0; i < 10000; ++i) {
    const double next = drag_step(value, rng);
    REQUIRE(next >= 0.0);
    REQUIRE(next <= 1.0);
    REQUIRE(std::fabs(next - value) <= 0.1 + 0.005 + 1e-12);
    REQUIRE(std::fabs(next * 100.0 - std::round(next * 100.0)) < 1e-9);
    if (next == 0.0) ++at_bottom;
    if (next == 1.0) ++at_top;
    if (next != value) ++moved;
    value = next;
  }
  CHECK(moved > 9000);   // a drag of up to 0.1 rarely rounds back to where it was
  CHECK(at_bottom > 0);  // 10,000 steps of a random walk reach both ends
  CHECK(at_top > 0);
}
