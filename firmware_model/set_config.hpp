// lamp_service's handling of one `lamp/set_config` payload, in both validation modes.
#pragma once

#include <string_view>

#include "firmware_model/effects.hpp"
#include "firmware_model/lamp_state.hpp"
#include "firmware_model/model_config.hpp"

namespace lampi::model {

enum class SetConfigOutcome : std::uint8_t {
  applied,   // publish lamp/changed
  ignored,   // no client: dropped silently
  rejected,  // InvalidLampConfig: fields before the bad one stay applied (faithful), nothing sent
  crashed,   // uncaught exception: the service dies (faithful mode only)
};

struct SetConfigResult {
  SetConfigOutcome outcome = SetConfigOutcome::applied;
  InvalidClass why = InvalidClass::not_json;
  friend bool operator==(SetConfigResult, SetConfigResult) = default;
};

// Applies `payload` to `state` exactly as the mode prescribes.
SetConfigResult apply_set_config(LampState& state, std::string_view payload, ValidationMode mode,
                                 int max_json_depth);

}  // namespace lampi::model
