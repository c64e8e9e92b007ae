// lamp_service's persisted state (the `shelve` on the real lamp) and its rendering
// as the `lamp/changed` payload.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

namespace lampi::model {

// How a stored value prints: lamp_service keeps whatever Python type came in, so a
// set_config with `"s": 1` stores the int 1 and echoes `1`, not `1.0`. NaN passes the
// course's range check (`v < 0 or v > 1.0` is false) and is echoed as `NaN`.
enum class NumberRepr : std::uint8_t { floating, integer, negative_zero, nan };

// A value in [0, 1] stored rounded to 2 decimals: exact as hundredths (or NaN).
struct StoredNumber {
  std::uint8_t hundredths = 100;
  NumberRepr repr = NumberRepr::floating;

  double value() const {
    return repr == NumberRepr::nan ? std::numeric_limits<double>::quiet_NaN() : hundredths / 100.0;
  }
  friend bool operator==(StoredNumber, StoredNumber) = default;
};

// `on` passes `value in (True, False)`, so 1, 0, 1.0 and 0.0 are stored as they came.
enum class OnRepr : std::uint8_t {
  json_false,
  json_true,
  int_0,
  int_1,
  float_0,
  float_1,
  float_neg_0
};

constexpr bool is_on(OnRepr on) {
  return on == OnRepr::json_true || on == OnRepr::int_1 || on == OnRepr::float_1;
}

struct LampState {
  OnRepr on = OnRepr::json_true;
  StoredNumber hue{};
  StoredNumber saturation{};
  StoredNumber brightness{};
  std::string client_json = "\"\"";  // the last requester's `client`, as json.dumps wrote it

  friend bool operator==(const LampState&, const LampState&) = default;
};

// `{"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": ""}`
std::string render_changed(const LampState& state);
void append_stored_number(std::string& out, StoredNumber n);

}  // namespace lampi::model
