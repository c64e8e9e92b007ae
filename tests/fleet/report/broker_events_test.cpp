// Outages and stalls, found in a run's timeline: named for what the broker did, and never
// seen in a ramp-up, an idle second or a short hiccup.
#include "fleet/report/broker_events.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace lampi::fleet;

namespace {

struct Second {
  std::int64_t bridged;
  std::int64_t inflight;
  bool acked;
};

RunTimeline timeline(const std::vector<Second>& seconds) {
  RunTimeline tl;
  double t = 0;
  for (const auto& s : seconds) {
    TimelinePoint p;
    p.t_s = ++t;
    p.lamps_bridged = s.bridged;
    p.inflight = s.inflight;
    p.has_latency = s.acked;
    tl.push_back(p);
  }
  return tl;
}

constexpr double kRatio = 0.99;

}  // namespace

TEST_CASE("a ramp-up and a steady run are neither an outage nor a stall") {
  auto events = find_broker_events(
      timeline({{10, 1, true}, {50, 3, true}, {100, 5, true}, {100, 0, false}, {100, 2, true}}),
      kRatio);
  CHECK_FALSE(events.outage);
  CHECK_FALSE(events.stall);
}

TEST_CASE("bridged lamps falling under the bar is an outage, recovered or not") {
  auto back = find_broker_events(timeline({{100, 1, true},
                                           {100, 1, true},
                                           {40, 0, false},
                                           {0, 0, false},
                                           {60, 0, false},
                                           {99, 1, true},
                                           {100, 1, true}}),
                                 kRatio);
  REQUIRE(back.outage);
  CHECK(back.outage->start_s == 3);
  REQUIRE(back.outage->recovered_s);
  CHECK(*back.outage->recovered_s == 6);  // 99 of 100 is at the bar
  CHECK(back.outage->bridged_before == 100);
  CHECK(back.outage->bridged_lowest == 0);

  auto gone = find_broker_events(timeline({{100, 1, true}, {5, 0, false}, {0, 0, false}}), kRatio);
  REQUIRE(gone.outage);
  CHECK_FALSE(gone.outage->recovered_s);
  CHECK(gone.outage->bridged_lowest == 0);

  // One lamp of a thousand dropping is churn, not an outage.
  CHECK_FALSE(find_broker_events(timeline({{1000, 1, true}, {991, 1, true}}), kRatio).outage);
}

TEST_CASE("publishes waiting and no PUBACK for three seconds or more, lamps still bridged, is a stall") {
  auto events = find_broker_events(timeline({{100, 2, true},
                                             {100, 40, false},
                                             {100, 80, false},
                                             {100, 120, false},
                                             {100, 160, false},
                                             {100, 3, true}}),
                                   kRatio);
  REQUIRE(events.stall);
  CHECK(events.stall->start_s == 1);
  CHECK(events.stall->seconds == 4);
  CHECK(events.stall->bridged == 100);
  CHECK_FALSE(events.outage);
}

TEST_CASE("not a stall: a two-second hiccup, idle seconds, or lamps that lost their connections") {
  CHECK_FALSE(
      find_broker_events(timeline({{100, 2, true}, {100, 9, false}, {100, 9, false}, {100, 1, true}}),
                         kRatio)
          .stall);
  // Nothing in flight: no PUBACK is due, so none missing.
  CHECK_FALSE(find_broker_events(timeline({{100, 0, false},
                                           {100, 0, false},
                                           {100, 0, false},
                                           {100, 0, false},
                                           {100, 0, false}}),
                                 kRatio)
                  .stall);
  // Without connections it is the outage that is named.
  auto down = find_broker_events(timeline({{100, 1, true},
                                           {0, 50, false},
                                           {0, 50, false},
                                           {0, 50, false},
                                           {0, 50, false}}),
                                 kRatio);
  CHECK(down.outage);
  CHECK_FALSE(down.stall);
}

TEST_CASE("of several stalls, the longest is kept") {
  auto events = find_broker_events(timeline({{10, 1, true},
                                             {10, 1, false},
                                             {10, 1, false},
                                             {10, 1, false},
                                             {10, 1, true},
                                             {10, 1, false},
                                             {10, 1, false},
                                             {10, 1, false},
                                             {10, 1, false},
                                             {10, 1, false},
                                             {10, 1, true}}),
                                   kRatio);
  REQUIRE(events.stall);
  CHECK(events.stall->seconds == 5);
  CHECK(events.stall->start_s == 5);
}
