// How one key's value goes into FleetConfig and back out: the pair of functions each key of
// config_schema.cpp holds, and the templates that make the usual pair from a reader
// (config_reader.hpp) and the member the value lives in, named once for both directions.
#pragma once

#include <nlohmann/json.hpp>

#include <concepts>
#include <optional>
#include <string>
#include <vector>

#include "fleet/config/config_reader.hpp"

namespace lampi::fleet::detail {

using Json = nlohmann::ordered_json;

using ReadFn = void (*)(Reader& r, const Field& f, FleetConfig& c);
// The value in effect, as a config file would write it: JSON is YAML, so what is shown
// reads back as the same value.
using ShowFn = Json (*)(const FleetConfig& c);

struct Access {
  ReadFn read = nullptr;
  ShowFn show = nullptr;
};

// ---- Values shown by their type (effective_config.cpp) ----

Json shown(const std::string& v);
Json shown(bool v);
Json shown(double v);
template <std::integral T>  // whole numbers; bool has its own
Json shown(T v) {
  return v;
}
Json shown(Seconds v);  // "1h30m", "0.5s"
Json shown(model::Duration v);
Json shown(const model::DurationRange& v);           // ["300ms", "2s"]
Json shown(const std::optional<std::string>& v);     // null: unset
Json shown(const std::optional<double>& v);          // null: unset
Json shown(const std::optional<std::size_t>& v);     // null: unset
Json shown(const std::optional<BrokerTarget>& v);    // null: none (a local mosquitto)
Json shown(const std::optional<ListenAddress>& v);   // "": none
Json shown(const ProfileMix& v);                     // {"touch-drag": 80, "idle": 20}
Json shown(const std::vector<Ipv4Address>& v);       // consecutive addresses as ranges
Json shown_device_id(const std::uint64_t& v);        // 12 hex digits, as written
Json shown_seconds(const std::optional<double>& v);  // a duration, or null

// ---- The usual pairs ----

// Reads the value with As and stores it at the member path, e.g.
// store<as_string, &FleetConfig::tls, &TlsConfig::ca_file> for c.tls.ca_file.
template <auto As, auto... Path>
void store(Reader& r, const Field& f, FleetConfig& c) {
  (c.*....*Path) = As(r, f);  // a fold: (c.*tls).*ca_file
}
template <auto Show, auto... Path>
Json show(const FleetConfig& c) {
  return Show((c.*....*Path));
}
template <auto... Path>
Json show_by_type(const FleetConfig& c) {
  return shown((c.*....*Path));
}

// Read with As, shown by the member's type.
template <auto As, auto... Path>
constexpr Access member{store<As, Path...>, show_by_type<Path...>};
// Read with As, shown with Show where the type alone does not say how (a device ID is
// a number written in hex).
template <auto As, auto Show, auto... Path>
constexpr Access member_shown{store<As, Path...>, show<Show, Path...>};

// One of a fixed list of names, each standing for an enum value.
template <const auto& Choices>
auto choice(const Reader& r, const Field& f) {
  return as_choice(r, f, Choices);
}
template <const auto& Choices, auto... Path>
Json show_choice(const FleetConfig& c) {
  for (const auto& [name, value] : Choices)
    if (value == (c.*....*Path)) return std::string(name);
  return nullptr;
}
template <const auto& Choices, auto... Path>
constexpr Access chosen{store<choice<Choices>, Path...>, show_choice<Choices, Path...>};

}  // namespace lampi::fleet::detail
