// When a pass of the capacity search powers each lamp on, and when each of its steps is
// measured. Fixed before the fleet starts (the engine takes every lamp's power-on time up
// front), so a step's window is known, never guessed from what the fleet is doing.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace lampi::fleet {

struct StepTiming {
  std::size_t lamps = 0;       // powered on once this step's ramp is over
  double ramp_from_s = 0;      // its first new lamp powers on (seconds from the pass's start)
  double measure_from_s = 0;   // after the ramp and the settle
  double measure_until_s = 0;  // the next step's ramp begins here
};

struct StepSchedule {
  std::vector<StepTiming> steps;
  std::vector<double> power_on_s;  // lamp n of the pass powers on at power_on_s[n]
  double seconds() const { return steps.empty() ? 0 : steps.back().measure_until_s; }
};

// Step j adds levels[j] - levels[j-1] lamps at `hatch_rate` a second, then holds them
// `hold_s` from its last lamp's power-on, the first `settle_s` of which (connects, boot
// messages) are not measured; both edges rounded up to whole seconds. Levels ascend; the
// rate is above 0; settle_s <= hold_s - 1 (std::invalid_argument otherwise).
StepSchedule plan_steps(std::span<const std::size_t> levels, double hatch_rate, double hold_s,
                        double settle_s);

}  // namespace lampi::fleet
