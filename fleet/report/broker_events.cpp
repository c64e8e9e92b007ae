#include "fleet/report/broker_events.hpp"

#include <algorithm>

namespace lampi::fleet {

namespace {

bool below_bar(std::int64_t bridged, std::int64_t peak, double ratio) {
  return peak > 0 && static_cast<double>(bridged) < ratio * static_cast<double>(peak);
}

// The fleet's own drops: within this of a kill or storm, a fall is theirs.
constexpr double kInjectedGraceSeconds = 2.0;

// A restart is carried out by the run loop, up to this long after its time.
constexpr double kRunLoopLagSeconds = 1.0;

// When a restarted broker is up again, into the run.
double broker_back_s(const FaultEvent& f) {
  return f.at.count() + kRunLoopLagSeconds + f.lasting.count();
}

double drop_window_s(const FaultEvent& f) {
  return f.kind == FaultKind::restart ? broker_back_s(f) - f.at.count() + kInjectedGraceSeconds
                                      : kInjectedGraceSeconds;
}

bool dropped_by_fleet(double t, std::span<const FaultEvent> faults) {
  for (const auto& f : faults)
    if (f.kind != FaultKind::stall && t >= f.at.count() && t <= f.at.count() + drop_window_s(f))
      return true;
  return false;
}

bool stalled_by_fleet(double t, std::span<const FaultEvent> faults, double timeout_s) {
  for (const auto& f : faults) {
    if (f.kind != FaultKind::stall && f.kind != FaultKind::restart) continue;
    if (t >= f.at.count() && t <= f.at.count() + f.lasting.count() + timeout_s + 1.0) return true;
  }
  return false;
}

}  // namespace

BrokerEvents find_broker_events(const RunTimeline& timeline, double min_bridged_ratio,
                                std::span<const FaultEvent> faults, double response_timeout_s) {
  BrokerEvents events;
  bool excused = false;  // bridged lamps are down because the fleet dropped them
  std::int64_t peak = 0;
  std::optional<Stall> current;
  auto end_stall = [&] {
    if (current && current->seconds >= kMinStallSeconds &&
        (!events.stall || current->seconds > events.stall->seconds))
      events.stall = current;
    current.reset();
  };
  double previous_t = 0;
  for (const TimelinePoint& p : timeline) {
    const double dt = p.t_s - previous_t;
    previous_t = p.t_s;
    // Of the most bridged so far, but no more than are powered on now: lamps the churn has
    // switched off are not the broker's to keep.
    const std::int64_t powered = p.lamps_bridged + p.lamps_connecting + p.lamps_backing_off;
    const bool down = below_bar(p.lamps_bridged, std::min(peak, powered), min_bridged_ratio);
    if (down && !events.outage && (excused || dropped_by_fleet(p.t_s, faults))) {
      excused = true;
      end_stall();
      continue;
    }
    excused = false;
    if (down) {
      end_stall();  // lamps without connections are an outage, not a stall
      if (!events.outage) events.outage = Outage{p.t_s, std::nullopt, peak, p.lamps_bridged};
      if (!events.outage->recovered_s)
        events.outage->bridged_lowest = std::min(events.outage->bridged_lowest, p.lamps_bridged);
      continue;
    }
    if (events.outage && !events.outage->recovered_s) events.outage->recovered_s = p.t_s;
    peak = std::max(peak, p.lamps_bridged);
    // Publishes were waiting and not one PUBACK came this second.
    if (p.lamps_bridged > 0 && p.inflight > 0 && !p.has_latency &&
        !stalled_by_fleet(p.t_s, faults, response_timeout_s)) {
      if (!current) current = Stall{p.t_s - dt, 0, p.lamps_bridged};
      current->seconds += dt;
    } else {
      end_stall();
    }
  }
  end_stall();
  return events;
}

std::vector<FaultResult> fault_results(const RunTimeline& timeline,
                                       std::span<const FaultEvent> faults,
                                       std::span<const std::uint64_t> lamps_hit) {
  std::vector<FaultResult> out;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const FaultEvent& f = faults[i];
    FaultResult r{f, i < lamps_hit.size() ? lamps_hit[i] : 0, std::nullopt};
    const double at = f.at.count();
    std::int64_t before = 0;
    bool dipped = false;
    for (const TimelinePoint& p : timeline) {
      if (p.t_s <= at) {
        before = p.lamps_bridged;
        continue;
      }
      if (f.kind == FaultKind::stall) {
        if (p.t_s >= at + f.lasting.count() && p.failures_per_s == 0) {
          r.recovered_after_s = p.t_s - at;
          break;
        }
        continue;
      }
      const bool whole = static_cast<double>(p.lamps_bridged) >= 0.99 * static_cast<double>(before);
      if (!whole) dipped = true;
      // A restart's fall may come a second late, and none can end before the broker is up.
      const bool may_be_over = f.kind != FaultKind::restart || p.t_s >= broker_back_s(f);
      // A fall too small for the 1% bar: whole once every lamp it hit is back.
      if ((dipped && whole) || (!dipped && may_be_over && p.lamps_bridged >= before)) {
        r.recovered_after_s = p.t_s - at;
        break;
      }
    }
    if (r.lamps == 0 && !r.recovered_after_s) r.recovered_after_s = 0.0;  // hit nothing
    out.push_back(r);
  }
  return out;
}

}  // namespace lampi::fleet
