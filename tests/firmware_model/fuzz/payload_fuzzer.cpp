// libFuzzer target over everything a cloud payload reaches in a lamp: the CPython-style
// JSON reader and writer and set_config in both validation modes. Built and run for a
// bounded time by run_payload_fuzzer.sh (clang, with ASan and UBSan). Besides not crashing,
// each input must keep the invariants a real lamp keeps:
// - what the reader accepts, the writer writes back as JSON the reader accepts again;
// - strict mode never kills the service;
// - a stored number is NaN (Python lets it through) or in [0, 1], and the lamp/changed
//   it renders is JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "firmware_model/lamp_state.hpp"
#include "firmware_model/python_json.hpp"
#include "firmware_model/set_config.hpp"

using namespace lampi::model;

namespace {

constexpr int kDepth = 1000;  // Python's default recursion limit, as ModelConfig has it

void require(bool ok) {
  if (!ok) std::abort();
}

bool stored_ok(StoredNumber n) {
  double v = n.value();
  return v != v || (v >= 0.0 && v <= 1.0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  if (auto value = python_json_loads(payload, kDepth)) {
    require(python_json_loads(python_json_dumps(*value), kDepth).has_value());
  }
  for (ValidationMode mode : {ValidationMode::faithful, ValidationMode::strict}) {
    LampState state;
    SetConfigResult r = apply_set_config(state, payload, mode, kDepth);
    if (mode == ValidationMode::strict) require(r.outcome != SetConfigOutcome::crashed);
    require(stored_ok(state.hue) && stored_ok(state.saturation) && stored_ok(state.brightness));
    require(python_json_loads(render_changed(state), kDepth).has_value());
  }
  return 0;
}
