// Helpers shared by the config sources (values, loader, validator); not for other users.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>

#include "firmware_model/model_config.hpp"

namespace lampi::fleet::detail {

// YAML and command-line names, in enum order.
inline constexpr std::array<std::string_view, model::kProfileCount> kProfileNames{
    "idle", "seed-worst-case", "touch-drag", "bluetooth"};
inline constexpr std::array<std::string_view, model::kServiceCount> kServiceNames{
    "lamp_service", "lamp_ui", "bt_peripheral", "bt_central"};

std::string in_quotes(std::string_view s);
std::string join(std::span<const std::string_view> names);
// Short and exact enough for messages: 0.5, 90, 1e+06.
std::string format_number(double v);
// Worded for a YAML key that already shows the name: "unknown profile; expected one of ...".
std::string unknown_profile_problem(std::string_view name);

}  // namespace lampi::fleet::detail
