#include "fleet/report/step_window.hpp"

#include <algorithm>

namespace lampi::fleet {

namespace {
constexpr double kJitterS = 0.1;
}  // namespace

void StepWindow::add(const FleetSecond& s) {
  if (s.from_s < from_s_ - kJitterS || s.to_s > until_s_ + kJitterS || !(s.to_s > s.from_s)) return;
  ++counted_;
  seconds_ += s.to_s - s.from_s;
  published_ += s.published;
  failures_ += s.failures;
  response_.merge(s.response);
  lag_.merge(s.schedule_lag);
  loop_lag_max_ms_ = std::max(loop_lag_max_ms_, s.loop_lag_ms);
  if (s.to_s < until_s_ - kJitterS) {
    bridged_ = s.bridged;
    bridged_seen_ = true;
  }
  bridged_at_end_ = std::min<std::uint64_t>(s.bridged, lamps_);
}

StepMeasure StepWindow::measure() const {
  StepMeasure m{.lamps = lamps_,
                .seconds = seconds_,
                .published = published_,
                .acked = response_.count(),
                .failures = failures_,
                .bridged = bridged_seen_ ? bridged_ : bridged_at_end_,
                .schedule_lag_p99_ms = static_cast<double>(lag_.percentile(0.99)) / 1000.0,
                .loop_lag_max_ms = loop_lag_max_ms_};
  if (response_.count() > 0) {
    auto ms = [&](double q) { return static_cast<double>(response_.percentile(q)) / 1000.0; };
    m.p50_ms = ms(0.5);
    m.p95_ms = ms(0.95);
    m.p99_ms = ms(0.99);
  }
  return m;
}

}  // namespace lampi::fleet
