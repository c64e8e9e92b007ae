// The config's keys, each described once, in one table per YAML section: its name, how
// its value is read into FleetConfig and shown back out, and its row of docs/config.md.
// The loader's known-key checks ("did you mean ..."), its reading, describe_keys() and
// effective_config() all come from these tables, so the keys the code reads, the keys the
// docs list and the settings a run's summary records cannot drift apart.
#pragma once

#include <span>
#include <string_view>

#include "fleet/config/config_access.hpp"

namespace lampi::fleet::detail {

struct Key {
  std::string_view name;
  Access value = {};               // reads and shows the value...
  std::span<const Key> keys = {};  // ...or, for a section, its own keys
  bool secret = false;             // never shown: a summary says "<redacted>"
  // docs/config.md's columns, in Markdown, for a value.
  std::string_view type = {};
  std::string_view fallback = {};  // the default
  std::string_view doc = {};
};

// The top level of a config file.
std::span<const Key> root_keys();

}  // namespace lampi::fleet::detail
