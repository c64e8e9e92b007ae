// The fleet's state file (run.state_file): what every lamp keeps across a power cycle
// (firmware_model/lamp_storage.hpp), saved while a run goes on and when it ends, and read
// back when the next run starts, so a restarted fleet comes back as real lamps do after a
// power cut: same colours, same retained messages, same association.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include "firmware_model/lamp_storage.hpp"

namespace lampi::fleet {

using LampStates = model::StoredLamps;

// what(): "<file>: <where>: <problem>; ...what to do (or --fresh)".
class StateFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string render_state_file(const LampStates& states);
// `source` names the file in errors.
LampStates parse_state_file(std::string_view text, std::string_view source);
// A missing file is a first run: no states. Anything else unreadable is an error.
LampStates read_state_file(const std::filesystem::path& path);

}  // namespace lampi::fleet
