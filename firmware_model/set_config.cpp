#include "firmware_model/set_config.hpp"

#include <cmath>
#include <optional>

#include "firmware_model/python_json.hpp"

namespace lampi::model {

namespace {

using Outcome = SetConfigOutcome;

SetConfigResult result(Outcome o, InvalidClass why) {
  return {o, why};
}

bool is_number(const Json& v) {
  return v.is_number();
}

// Python's `v < 0.0 or v > 1.0` for int, float and bool; nullopt means in range.
bool in_unit_range(const Json& v) {
  if (v.is_boolean()) return true;
  if (v.is_number_unsigned()) return v.get<std::uint64_t>() <= 1;
  if (v.is_number_integer()) return v.get<std::int64_t>() >= 0 && v.get<std::int64_t>() <= 1;
  double d = v.get<double>();
  return !(d < 0.0 || d > 1.0);  // NaN passes, as in Python
}

// round(v, 2) as the type Python would keep: bool and int stay int.
StoredNumber store_number(const Json& v, bool as_float) {
  if (v.is_boolean() || v.is_number_integer() || v.is_number_unsigned()) {
    bool one = v.is_boolean() ? v.get<bool>() : v.get<std::int64_t>() == 1;
    return {static_cast<std::uint8_t>(one ? 100 : 0),
            as_float ? NumberRepr::floating : NumberRepr::integer};
  }
  double r = python_round2(v.get<double>());
  // NaN passes Python's range check and round(); strict mode never lets it in.
  if (r != r) return {0, NumberRepr::nan};
  StoredNumber n{static_cast<std::uint8_t>(r * 100.0 + 0.5), NumberRepr::floating};
  if (r == 0.0 && std::signbit(r) && !as_float) n.repr = NumberRepr::negative_zero;
  return n;
}

// `value in (True, False)`; nullopt when Python would say no.
std::optional<OnRepr> faithful_on(const Json& v) {
  if (v.is_boolean()) return v.get<bool>() ? OnRepr::json_true : OnRepr::json_false;
  if (v.is_number_integer() || v.is_number_unsigned()) {
    if (v.is_number_unsigned() ? v.get<std::uint64_t>() == 0 : v.get<std::int64_t>() == 0)
      return OnRepr::int_0;
    if (v.is_number_unsigned() ? v.get<std::uint64_t>() == 1 : v.get<std::int64_t>() == 1)
      return OnRepr::int_1;
    return std::nullopt;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == 1.0) return OnRepr::float_1;
    if (d == 0.0) return std::signbit(d) ? OnRepr::float_neg_0 : OnRepr::float_0;
  }
  return std::nullopt;
}

std::optional<Json> parse(std::string_view payload, int max_depth, InvalidClass& why) {
  why = InvalidClass::not_json;
  return python_json_loads(payload, max_depth);
}

// `'client' in v` for a JSON value that is not an object: containers and strings answer,
// anything else raises TypeError.
std::optional<bool> non_object_contains_client(const Json& v) {
  if (v.is_array()) {
    for (const auto& item : v)
      if (item.is_string() && item.get_ref<const std::string&>() == "client") return true;
    return false;
  }
  if (v.is_string()) return v.get_ref<const std::string&>().find("client") != std::string::npos;
  return std::nullopt;
}

SetConfigResult apply_faithful(LampState& state, const Json& v) {
  if (!v.is_object()) {
    auto has = non_object_contains_client(v);
    // A list or string without "client" is ignored; with it, indexing raises TypeError.
    if (has && !*has) return result(Outcome::ignored, InvalidClass::not_object);
    return result(Outcome::crashed, InvalidClass::not_object);
  }
  auto client = v.find("client");
  if (client == v.end()) return result(Outcome::ignored, InvalidClass::missing_client);
  state.client_json = python_json_dumps(*client);

  if (auto on = v.find("on"); on != v.end()) {
    auto stored = faithful_on(*on);
    if (!stored)
      return result(Outcome::rejected,
                    on->is_number() ? InvalidClass::out_of_range : InvalidClass::wrong_type);
    state.on = *stored;
  }
  if (auto color = v.find("color"); color != v.end()) {
    if (!color->is_object()) return result(Outcome::crashed, InvalidClass::wrong_type);
    // `for ch in ['h', 's']: if new_color[ch] < 0 ...`: h is looked up and range-checked
    // before s is even looked up, so {"h": 2} is refused, not a KeyError.
    for (const char* ch : {"h", "s"}) {
      auto it = color->find(ch);
      if (it == color->end()) return result(Outcome::crashed, InvalidClass::color_incomplete);
      if (!is_number(*it) && !it->is_boolean())
        return result(Outcome::crashed, InvalidClass::wrong_type);
      if (!in_unit_range(*it)) return result(Outcome::rejected, InvalidClass::out_of_range);
    }
    state.hue = store_number(color->at("h"), false);
    state.saturation = store_number(color->at("s"), false);
  }
  if (auto b = v.find("brightness"); b != v.end()) {
    if (!is_number(*b) && !b->is_boolean())
      return result(Outcome::crashed, InvalidClass::wrong_type);
    if (!in_unit_range(*b)) return result(Outcome::rejected, InvalidClass::out_of_range);
    state.brightness = store_number(*b, false);
  }
  return result(Outcome::applied, InvalidClass::not_json);
}

// A strict number: a real JSON number (not a bool), finite, in [0, 1].
std::optional<InvalidClass> strict_number_problem(const Json& v) {
  if (!is_number(v)) return InvalidClass::wrong_type;
  if (v.is_number_float() && v.get<double>() != v.get<double>()) return InvalidClass::out_of_range;
  if (!in_unit_range(v)) return InvalidClass::out_of_range;
  return std::nullopt;
}

SetConfigResult apply_strict(LampState& state, const Json& v) {
  auto reject = [](InvalidClass why) { return result(Outcome::rejected, why); };
  if (!v.is_object()) return reject(InvalidClass::not_object);
  auto client = v.find("client");
  if (client == v.end()) return reject(InvalidClass::missing_client);
  if (!client->is_string()) return reject(InvalidClass::wrong_type);

  LampState next = state;
  next.client_json = python_json_dumps(*client);
  if (auto on = v.find("on"); on != v.end()) {
    if (!on->is_boolean()) return reject(InvalidClass::wrong_type);
    next.on = on->get<bool>() ? OnRepr::json_true : OnRepr::json_false;
  }
  if (auto color = v.find("color"); color != v.end()) {
    if (!color->is_object()) return reject(InvalidClass::wrong_type);
    auto h = color->find("h");
    auto s = color->find("s");
    if (h == color->end() || s == color->end()) return reject(InvalidClass::color_incomplete);
    if (auto p = strict_number_problem(*h)) return reject(*p);
    if (auto p = strict_number_problem(*s)) return reject(*p);
    next.hue = store_number(*h, true);
    next.saturation = store_number(*s, true);
  }
  if (auto b = v.find("brightness"); b != v.end()) {
    if (auto p = strict_number_problem(*b)) return reject(*p);
    next.brightness = store_number(*b, true);
  }
  state = std::move(next);
  return result(Outcome::applied, InvalidClass::not_json);
}

}  // namespace

SetConfigResult apply_set_config(LampState& state, std::string_view payload, ValidationMode mode,
                                 int max_json_depth) {
  InvalidClass why{};
  auto parsed = parse(payload, max_json_depth, why);
  if (!parsed)
    return result(mode == ValidationMode::strict ? Outcome::rejected : Outcome::crashed, why);
  return mode == ValidationMode::strict ? apply_strict(state, *parsed)
                                        : apply_faithful(state, *parsed);
}

}  // namespace lampi::model
