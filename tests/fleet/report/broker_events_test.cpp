// Outages and stalls, found in a run's timeline: named for what the broker did, and never
// seen in a ramp-up, an idle second or a short hiccup.
#include "fleet/report/broker_events.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

using namespace lampi::fleet;

namespace {

struct Second {
  std::int64_t bridged;
  std::int64_t inflight;
  bool acked;
};

// Lamps that were bridged and are not now back off and retry, still powered on, as lamps
// whose broker went away do; `switched_off` of them are off instead (power-cycled).
RunTimeline timeline(const std::vector<Second>& seconds, std::int64_t switched_off = 0) {
  RunTimeline tl;
  double t = 0;
  std::int64_t most = 0;
  for (const auto& s : seconds) {
    TimelinePoint p;
    p.t_s = ++t;
    p.lamps_bridged = s.bridged;
    most = std::max(most, s.bridged);
    p.lamps_backing_off = std::max<std::int64_t>(0, most - s.bridged - switched_off);
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

TEST_CASE(
    "publishes waiting and no PUBACK for three seconds or more, lamps still bridged, is a stall") {
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
      find_broker_events(
          timeline({{100, 2, true}, {100, 9, false}, {100, 9, false}, {100, 1, true}}), kRatio)
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
  auto down = find_broker_events(
      timeline({{100, 1, true}, {0, 50, false}, {0, 50, false}, {0, 50, false}, {0, 50, false}}),
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

TEST_CASE("lamps the churn switched off are not the broker's to keep bridged") {
  // 30 of 100 lamps off (power-cycled), the rest bridged: no outage...
  CHECK_FALSE(
      find_broker_events(timeline({{100, 1, true}, {70, 1, true}, {70, 1, true}}, 30), kRatio)
          .outage);
  // ...but the same fall with every lamp still powered on, backing off, is one.
  CHECK(
      find_broker_events(timeline({{100, 1, true}, {70, 1, true}, {70, 1, true}}), kRatio).outage);
}

TEST_CASE("what the fleet's own faults cause is neither an outage nor a stall") {
  const std::vector<FaultEvent> kill{{.at = Seconds(1.5), .kind = FaultKind::kill, .share = 0.5}};
  // A fall that begins within 2 s of a kill is the kill's, until the lamps are back...
  auto excused = find_broker_events(
      timeline({{100, 1, true}, {50, 1, true}, {60, 1, true}, {100, 1, true}}), kRatio, kill);
  CHECK_FALSE(excused.outage);
  // ...and one that begins later is the broker's.
  auto later = find_broker_events(
      timeline({{100, 1, true}, {100, 1, true}, {100, 1, true}, {100, 1, true}, {40, 1, true}}),
      kRatio, kill);
  REQUIRE(later.outage);
  CHECK(later.outage->start_s == 5);
  // Seconds without a PUBACK while the fleet holds sockets unread are no broker stall.
  const std::vector<FaultEvent> stall{
      {.at = Seconds(1), .kind = FaultKind::stall, .share = 1.0, .lasting = Seconds(4)}};
  auto held = timeline({{100, 1, true},
                        {100, 40, false},
                        {100, 80, false},
                        {100, 120, false},
                        {100, 160, false},
                        {100, 3, true}});
  CHECK_FALSE(find_broker_events(held, kRatio, stall).stall);
  CHECK(find_broker_events(held, kRatio).stall);
}

TEST_CASE("a broker restarted on purpose is no outage while it is down and its lamps return") {
  const std::vector<FaultEvent> restart{
      {.at = Seconds(2), .kind = FaultKind::restart, .lasting = Seconds(3)}};
  // Stopped up to a second late, down for 3 s, the lamps back over the seconds after.
  auto tl = timeline({{100, 1, true},
                      {100, 1, true},
                      {100, 1, true},
                      {0, 0, false},
                      {0, 0, false},
                      {0, 0, false},
                      {30, 1, true},
                      {70, 1, true},
                      {100, 1, true}});
  CHECK_FALSE(find_broker_events(tl, kRatio, restart).outage);
  CHECK(find_broker_events(tl, kRatio).outage);  // the same seconds, not asked for
  // A fall that begins after the broker was back is the broker's again.
  auto later = timeline({{100, 1, true},
                         {100, 1, true},
                         {100, 1, true},
                         {100, 1, true},
                         {100, 1, true},
                         {100, 1, true},
                         {100, 1, true},
                         {100, 1, true},
                         {100, 1, true},
                         {10, 1, true}});
  REQUIRE(find_broker_events(later, kRatio, restart).outage);
  auto r = fault_results(tl, restart, std::vector<std::uint64_t>{100});
  REQUIRE(r.size() == 1);
  REQUIRE(r[0].recovered_after_s);
  CHECK(*r[0].recovered_after_s == doctest::Approx(7.0));
}

TEST_CASE("each fault's lamps and its time until the fleet is whole again") {
  const std::vector<FaultEvent> faults{
      {.at = Seconds(1), .kind = FaultKind::kill, .share = 0.5},
      {.at = Seconds(5), .kind = FaultKind::stall, .share = 0.2, .lasting = Seconds(2)},
      {.at = Seconds(9), .kind = FaultKind::storm}};
  RunTimeline tl = timeline({{100, 1, true},   // 1: the kill
                             {50, 1, true},    // 2
                             {80, 1, true},    // 3
                             {99, 1, true},    // 4: whole again (99 of 100)
                             {100, 1, true},   // 5: the stall
                             {100, 1, true},   // 6
                             {100, 1, true},   // 7: its end, but publishes still failing
                             {100, 1, true},   // 8: none failing
                             {100, 1, true},   // 9: the storm
                             {0, 0, false},    // 10
                             {20, 1, true}});  // 11: not whole by the end
  tl[6].failures_per_s = 3;
  const std::vector<std::uint64_t> hit{50, 20, 100};
  auto r = fault_results(tl, faults, hit);
  REQUIRE(r.size() == 3);
  CHECK(r[0].lamps == 50);
  REQUIRE(r[0].recovered_after_s);
  CHECK(*r[0].recovered_after_s == doctest::Approx(3.0));
  REQUIRE(r[1].recovered_after_s);
  CHECK(*r[1].recovered_after_s == doctest::Approx(3.0));
  CHECK(r[2].lamps == 100);
  CHECK_FALSE(r[2].recovered_after_s);
}
