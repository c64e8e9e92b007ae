// lamp_service's stored state and its lamp/changed rendering. Expected strings are
// CPython's json.dumps of the same dict (keys in lamp_service's order).
#include "firmware_model/lamp_state.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>

using namespace lampi::model;

namespace {

StoredNumber f(std::uint8_t hundredths) {
  return {hundredths, NumberRepr::floating};
}
StoredNumber i(std::uint8_t hundredths) {
  return {hundredths, NumberRepr::integer};
}
StoredNumber neg_zero() {
  return {0, NumberRepr::negative_zero};
}

LampState state(StoredNumber h, StoredNumber s, StoredNumber b, OnRepr on, std::string client) {
  LampState st;
  st.hue = h;
  st.saturation = s;
  st.brightness = b;
  st.on = on;
  st.client_json = std::move(client);
  return st;
}

std::string stored(StoredNumber n) {
  std::string out;
  append_stored_number(out, n);
  return out;
}

}  // namespace

TEST_CASE("first-boot state renders the course's default lamp/changed") {
  CHECK(render_changed(LampState{}) ==
        R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": ""})");
}

TEST_CASE("every hundredth renders as Python's repr(round(k / 100, 2))") {
  // [repr(round(k / 100, 2)) for k in range(101)]
  static constexpr const char* kRepr[] = {
      "0.0",  "0.01", "0.02", "0.03", "0.04", "0.05", "0.06", "0.07", "0.08", "0.09", "0.1",
      "0.11", "0.12", "0.13", "0.14", "0.15", "0.16", "0.17", "0.18", "0.19", "0.2",  "0.21",
      "0.22", "0.23", "0.24", "0.25", "0.26", "0.27", "0.28", "0.29", "0.3",  "0.31", "0.32",
      "0.33", "0.34", "0.35", "0.36", "0.37", "0.38", "0.39", "0.4",  "0.41", "0.42", "0.43",
      "0.44", "0.45", "0.46", "0.47", "0.48", "0.49", "0.5",  "0.51", "0.52", "0.53", "0.54",
      "0.55", "0.56", "0.57", "0.58", "0.59", "0.6",  "0.61", "0.62", "0.63", "0.64", "0.65",
      "0.66", "0.67", "0.68", "0.69", "0.7",  "0.71", "0.72", "0.73", "0.74", "0.75", "0.76",
      "0.77", "0.78", "0.79", "0.8",  "0.81", "0.82", "0.83", "0.84", "0.85", "0.86", "0.87",
      "0.88", "0.89", "0.9",  "0.91", "0.92", "0.93", "0.94", "0.95", "0.96", "0.97", "0.98",
      "0.99", "1.0",
  };
  for (int k = 0; k <= 100; ++k) {
    CAPTURE(k);
    CHECK(stored(f(static_cast<std::uint8_t>(k))) == kRepr[k]);
  }
}

TEST_CASE("stored numbers keep the Python type they came in as") {
  CHECK(stored(i(0)) == "0");
  CHECK(stored(i(100)) == "1");
  CHECK(stored(neg_zero()) == "-0.0");
  CHECK(stored(f(0)) == "0.0");
  CHECK(stored(f(100)) == "1.0");
}

TEST_CASE("StoredNumber::value is the hundredths as a double") {
  CHECK(f(47).value() == 0.47);
  CHECK(f(100).value() == 1.0);
  CHECK(i(0).value() == 0.0);
  CHECK(f(10).value() == 0.1);
}

TEST_CASE("is_on follows Python truthiness of the stored value") {
  CHECK(is_on(OnRepr::json_true));
  CHECK(is_on(OnRepr::int_1));
  CHECK(is_on(OnRepr::float_1));
  CHECK_FALSE(is_on(OnRepr::json_false));
  CHECK_FALSE(is_on(OnRepr::int_0));
  CHECK_FALSE(is_on(OnRepr::float_0));
  CHECK_FALSE(is_on(OnRepr::float_neg_0));
}

TEST_CASE("render_changed: golden payloads across states") {
  CHECK(render_changed(state(f(47), f(10), f(0), OnRepr::json_false, R"("a")")) ==
        R"({"color": {"h": 0.47, "s": 0.1}, "brightness": 0.0, "on": false, "client": "a"})");
  CHECK(render_changed(state(i(100), i(0), neg_zero(), OnRepr::int_1, "null")) ==
        R"({"color": {"h": 1, "s": 0}, "brightness": -0.0, "on": 1, "client": null})");
  CHECK(render_changed(state(f(1), f(99), f(50), OnRepr::float_neg_0, R"([1, {"k": "v"}])")) ==
        R"({"color": {"h": 0.01, "s": 0.99}, "brightness": 0.5, "on": -0.0, )"
        R"("client": [1, {"k": "v"}]})");
  CHECK(render_changed(state(i(0), i(100), i(0), OnRepr::float_0, R"("x")")) ==
        R"({"color": {"h": 0, "s": 1}, "brightness": 0, "on": 0.0, "client": "x"})");
  CHECK(render_changed(state(f(33), f(67), f(100), OnRepr::float_1, R"("x")")) ==
        R"({"color": {"h": 0.33, "s": 0.67}, "brightness": 1.0, "on": 1.0, "client": "x"})");
  CHECK(render_changed(state(f(7), f(70), f(14), OnRepr::int_0, R"("x")")) ==
        R"({"color": {"h": 0.07, "s": 0.7}, "brightness": 0.14, "on": 0, "client": "x"})");
}

TEST_CASE("render_changed copies the stored client JSON verbatim, however large") {
  std::string client = "\"" + std::string(100000, 'q') + "\"";
  auto out = render_changed(state(f(100), f(100), f(100), OnRepr::json_true, client));
  CHECK(out.size() == 74 + client.size());
  CHECK(out.ends_with(", \"client\": " + client + "}"));
}

TEST_CASE("LampState equality covers every field") {
  LampState a;
  LampState b;
  CHECK(a == b);
  b.client_json = R"("x")";
  CHECK_FALSE(a == b);
  b = a;
  b.hue.repr = NumberRepr::integer;
  CHECK_FALSE(a == b);
  b = a;
  b.on = OnRepr::int_1;
  CHECK_FALSE(a == b);
}
