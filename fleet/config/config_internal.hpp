// Helpers shared by the sources of lampi_fleet_config; not for other users.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "firmware_model/model_config.hpp"
#include "fleet/config/config_loader.hpp"

namespace lampi::fleet::detail {

// YAML and command-line names, in enum order.
inline constexpr std::array<std::string_view, model::kProfileCount> kProfileNames{
    "idle", "seed-worst-case", "touch-drag", "bluetooth"};
inline constexpr std::array<std::string_view, model::kServiceCount> kServiceNames{
    "lamp_service", "lamp_ui", "bt_peripheral", "bt_central"};

std::string join(std::span<const std::string_view> names);
// Short and exact enough for messages: 0.5, 90, 1e+06.
std::string format_number(double v);
std::string_view trim(std::string_view s);
// A plain decimal like 2.5 or 10: no sign, exponent, hex or inf, which from_chars alone allows.
std::optional<double> parse_plain_number(std::string_view s);
// Worded for a YAML key that already shows the name: "unknown profile; expected one of ...".
std::string unknown_profile_problem(std::string_view name);

// What ProfileMix's constructor throws: the problem worded for a YAML key (the key is the
// profile at fault, or "" for the whole mix), and which rule broke, so that the command
// line can word it in its own syntax without checking the rules again.
struct MixError : ConfigError {
  enum class Rule : std::uint8_t { at_least_one, percentage, once_each, add_up_to_100 };
  MixError(Rule broken, std::string key, std::string problem, double number);
  Rule rule;
  double value;  // the share's percent, or the sum
};

}  // namespace lampi::fleet::detail
