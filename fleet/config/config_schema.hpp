// The config's keys, each described once, in one table per YAML section: its name, how
// its value is read into FleetConfig, and its row of docs/config.md. The loader's known-
// key checks ("did you mean ..."), its reading and describe_keys() all come from these
// tables, so the keys the code reads and the keys the docs list cannot drift apart.
#pragma once

#include <span>
#include <string_view>

#include "fleet/config/config_reader.hpp"

namespace lampi::fleet::detail {

using ReadFn = void (*)(Reader& r, const Field& f, FleetConfig& c);

struct Key {
  std::string_view name;
  ReadFn read = nullptr;           // stores the value...
  std::span<const Key> keys = {};  // ...or, for a section, its own keys
  // docs/config.md's columns, in Markdown, for a value.
  std::string_view type = {};
  std::string_view fallback = {};  // the default
  std::string_view doc = {};
};

// The top level of a config file.
std::span<const Key> root_keys();

}  // namespace lampi::fleet::detail
