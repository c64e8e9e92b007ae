#include "fleet/report/step_schedule.hpp"

#include <cmath>
#include <stdexcept>

namespace lampi::fleet {

StepSchedule plan_steps(std::span<const std::size_t> levels, double hatch_rate, double hold_s,
                        double settle_s) {
  if (!(hatch_rate > 0) || !(settle_s >= 0) || !(hold_s >= settle_s + 1))
    throw std::invalid_argument("plan_steps: needs a rate above 0 and 0 <= settle <= hold - 1 s");
  StepSchedule out;
  double t = 0;
  std::size_t lamps = 0;
  for (std::size_t level : levels) {
    if (level <= lamps) throw std::invalid_argument("plan_steps: the levels must ascend");
    const double from = t;
    for (std::size_t n = lamps; n < level; ++n)
      out.power_on_s.push_back(from + static_cast<double>(n - lamps) / hatch_rate);
    // The ramp is over when the last new lamp has powered on. The window's edges are
    // whole seconds of the pass, as the shards hand over their histograms on those.
    const double ramp_end = from + static_cast<double>(level - lamps - 1) / hatch_rate;
    out.steps.push_back({.lamps = level,
                         .ramp_from_s = from,
                         .measure_from_s = std::ceil(ramp_end + settle_s),
                         .measure_until_s = std::ceil(ramp_end + hold_s)});
    t = out.steps.back().measure_until_s;
    lamps = level;
  }
  return out;
}

}  // namespace lampi::fleet
