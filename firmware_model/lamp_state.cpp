#include "firmware_model/lamp_state.hpp"

#include "firmware_model/python_json.hpp"

namespace lampi::model {

void append_stored_number(std::string& out, StoredNumber n) {
  switch (n.repr) {
    case NumberRepr::integer:
      out += n.hundredths == 0 ? '0' : '1';
      return;
    case NumberRepr::negative_zero:
      out += "-0.0";
      return;
    case NumberRepr::nan:
      out += "NaN";
      return;
    case NumberRepr::floating:
      append_python_float(out, n.value());
      return;
  }
}

namespace {
const char* on_text(OnRepr on) {
  switch (on) {
    case OnRepr::json_false:
      return "false";
    case OnRepr::json_true:
      return "true";
    case OnRepr::int_0:
      return "0";
    case OnRepr::int_1:
      return "1";
    case OnRepr::float_0:
      return "0.0";
    case OnRepr::float_1:
      return "1.0";
    case OnRepr::float_neg_0:
      return "-0.0";
  }
  return "true";
}
}  // namespace

std::string render_changed(const LampState& state) {
  std::string out;
  out.reserve(80 + state.client_json.size());
  out += "{\"color\": {\"h\": ";
  append_stored_number(out, state.hue);
  out += ", \"s\": ";
  append_stored_number(out, state.saturation);
  out += "}, \"brightness\": ";
  append_stored_number(out, state.brightness);
  out += ", \"on\": ";
  out += on_text(state.on);
  out += ", \"client\": ";
  out += state.client_json;
  out += '}';
  return out;
}

}  // namespace lampi::model
