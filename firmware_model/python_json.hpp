// Byte-exact renderings of what the lamp's Python services write: `repr(float)`,
// `round(x, 2)` and `json.dumps` with its default separators and ensure_ascii.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace lampi::model {

using Json = nlohmann::ordered_json;  // Python dicts keep insertion order.

// Python's repr() of a float: shortest round-trip digits, fixed notation for
// exponents in [-4, 16), always a decimal point or exponent ("1.0", "1e-05").
void append_python_float(std::string& out, double value);
std::string python_float_repr(double value);

// Python's round(value, 2) on a float: correctly rounded from the exact binary value.
double python_round2(double value);

// json.dumps(value) with the defaults: ", " and ": " separators, ensure_ascii.
void append_python_json(std::string& out, const Json& value);
std::string python_json_dumps(const Json& value);

// A JSON string literal as json.dumps writes it (ensure_ascii, \uXXXX escapes).
void append_python_json_string(std::string& out, std::string_view utf8);

// json.loads(payload.decode('utf-8')): accepts NaN, Infinity and -Infinity, numbers that
// overflow to +-inf or underflow to 0, and lone surrogate escapes (kept as three-byte
// sequences); a repeated key keeps its first position and its last value. nullopt where
// Python raises: invalid UTF-8, a BOM, bad JSON, or containers nested deeper than
// `max_depth` (RecursionError). Integers wider than 64 bits become the nearest double.
std::optional<Json> python_json_loads(std::string_view payload, int max_depth);

}  // namespace lampi::model
