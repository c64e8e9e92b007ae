#include "fleet/report/broker_events.hpp"

#include <algorithm>

namespace lampi::fleet {

namespace {

bool below_bar(std::int64_t bridged, std::int64_t peak, double ratio) {
  return peak > 0 && static_cast<double>(bridged) < ratio * static_cast<double>(peak);
}

}  // namespace

BrokerEvents find_broker_events(const RunTimeline& timeline, double min_bridged_ratio) {
  BrokerEvents events;
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
    const bool down = below_bar(p.lamps_bridged, peak, min_bridged_ratio);
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
    if (p.lamps_bridged > 0 && p.inflight > 0 && !p.has_latency) {
      if (!current) current = Stall{p.t_s - dt, 0, p.lamps_bridged};
      current->seconds += dt;
    } else {
      end_stall();
    }
  }
  end_stall();
  return events;
}

}  // namespace lampi::fleet
