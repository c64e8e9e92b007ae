// A number from the command line, read strictly: the whole text must be the number, in
// range, or the error quotes what was typed ("-5" never becomes 18446744073709551611), or
// the start of it when it is long.
#pragma once

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "fleet/config/config_loader.hpp"

namespace lampi::fleet {

// `what` completes "must be ...", e.g. "a whole number from 1 to 1000000".
template <typename T>
T parse_number_option(std::string_view flag, std::string_view text, T min, T max,
                      std::string_view what) {
  T value{};
  const char* end = text.data() + text.size();
  std::from_chars_result r{};
  if constexpr (std::is_floating_point_v<T>)
    r = std::from_chars(text.data(), end, value, std::chars_format::general);
  else
    r = std::from_chars(text.data(), end, value);
  bool ok = !text.empty() && r.ec == std::errc{} && r.ptr == end && value >= min && value <= max;
  if constexpr (std::is_floating_point_v<T>) ok = ok && std::isfinite(value);
  if (!ok)
    throw ConfigError("command line", std::string(flag),
                      fmt::format("must be {}; got {}", what, quote_value(text)));
  return value;
}

}  // namespace lampi::fleet
