// The progress meter over hand-filled shards: phases and rates summed over the shards,
// each second's histograms taken once, and the generator's self-check at its limits.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fleet/report/progress.hpp"
#include "fleet/report/verdict.hpp"
#include "tests/support/hand_filled_fleet.hpp"

using namespace lampi::fleet;
using lampi::testing::HandFilledFleet;

namespace {

void set_phase_count(FleetStats& st, LampPhase p, std::int64_t n) {
  st.lamps_by_phase[static_cast<std::size_t>(p)].store(n);
}

}  // namespace

TEST_CASE("the progress meter sums the shards and turns totals into rates") {
  HandFilledFleet fleet(2);
  fleet.config.lamps = 10;
  ProgressMeter meter(fleet.view(), fleet.interval_reader());
  auto& a = fleet.shard(0);
  auto& b = fleet.shard(1);
  set_phase_count(a, LampPhase::bridged, 3);
  set_phase_count(b, LampPhase::bridged, 4);
  set_phase_count(b, LampPhase::connecting, 2);
  bump(a.topics[0].requests, 100);
  bump(b.topics[1].requests, 50);
  bump(b.topics[1].failures, 5);
  bump(a.connects, 3);
  bump(b.connects, 4);
  auto first = meter.sample(2.0);
  CHECK(first.lamps == 10);
  CHECK(first.by_phase[static_cast<std::size_t>(LampPhase::bridged)] == 7);
  CHECK(first.by_phase[static_cast<std::size_t>(LampPhase::connecting)] == 2);
  CHECK(first.published_per_s == doctest::Approx(75.0));  // 150 in the first 2 s
  CHECK(first.failures == 5);
  CHECK(first.failures_per_s == doctest::Approx(2.5));
  CHECK(first.connects == 7);
  CHECK(meter.bridged_peak() == 7);

  bump(a.topics[0].requests, 30);
  bump(a.reconnects, 2);
  set_phase_count(a, LampPhase::bridged, 1);
  auto second = meter.sample(3.0);
  CHECK(second.published_per_s == doctest::Approx(30.0));
  CHECK(second.failures_per_s == 0.0);
  CHECK(second.reconnects == 2);
  CHECK(second.reconnects_per_s == doctest::Approx(2.0));
  CHECK(meter.bridged_peak() == 7);  // the peak, not the last
  auto point = to_timeline_point(second);
  CHECK(point.t_s == 3.0);
  CHECK(point.lamps_bridged == 5);
  CHECK(point.lamps_connecting == 2);
  CHECK(point.requests_per_s == second.published_per_s);
}

TEST_CASE("each second's histograms are merged over the shards and taken once") {
  HandFilledFleet fleet(3);
  ProgressMeter meter(fleet.view(), fleet.interval_reader());
  HandFilledFleet::publish(fleet.shard(0), {1000, 2000}, {300});
  HandFilledFleet::publish(fleet.shard(1), {3000}, {});
  HandFilledFleet::publish(fleet.shard(2), {40'000}, {7'000});
  auto s = meter.sample(1.0);
  // The reference: one histogram that saw every shard's samples.
  LatencyHistogram all;
  for (std::int64_t us : {1000, 2000, 3000, 40'000}) all.record(us);
  CHECK(s.acked);
  CHECK(s.p50_ms == static_cast<double>(all.percentile(0.5)) / 1000.0);
  CHECK(s.p95_ms == static_cast<double>(all.percentile(0.95)) / 1000.0);
  CHECK(s.p99_ms == 40.0);  // the top sample: clamped to the maximum
  CHECK(s.schedule_lag_max_ms == 7.0);
  CHECK(s.schedule_lag_p99_ms == 7.0);
  CHECK(format_progress(s).find("p50 2.0 ms") != std::string::npos);

  // The meter emptied the mailboxes: a second with nothing published has no latency.
  auto quiet = meter.sample(2.0);
  CHECK_FALSE(quiet.acked);
  CHECK(quiet.schedule_lag_max_ms == 0.0);
  CHECK(format_progress(quiet).find("p50 - ms p95 - ms") != std::string::npos);
}

TEST_CASE("each second keeps Locust's percentiles of its own, and the run's totals so far") {
  HandFilledFleet fleet(2);
  ProgressMeter meter(fleet.view(), fleet.interval_reader());
  HandFilledFleet::publish(fleet.shard(0), {500, 900, 1'300});
  HandFilledFleet::publish(fleet.shard(1), {2'000, 80'000});
  bump(fleet.shard(0).topics[0].requests, 6);
  count_failure(fleet.shard(1).topics[0], FailureReason::timeout);
  auto first = meter.sample(1.0);
  LatencyHistogram second;
  for (std::int64_t us : {500, 900, 1'300, 2'000, 80'000}) second.record(us);
  for (std::size_t i = 0; i < kReportedPercentiles.size(); ++i) {
    CAPTURE(kReportedPercentiles[i].name);
    CHECK(first.percentiles_ms[i] ==
          static_cast<double>(second.percentile(kReportedPercentiles[i].q)) / 1000.0);
  }
  CHECK(first.percentiles_ms.back() == 80.0);  // 100%: the maximum
  CHECK(first.requests == 6);
  CHECK(first.failures == 1);
  CHECK(first.acked_ever);
  CHECK(first.total_min_ms == 0.5);

  // A quiet second: nothing of its own, the totals as they were.
  bump(fleet.shard(1).topics[3].requests, 4);
  auto quiet = meter.sample(2.0);
  CHECK_FALSE(quiet.acked);
  CHECK(quiet.acked_ever);
  CHECK(quiet.requests == 10);
  CHECK(quiet.total_max_ms == 80.0);
  CHECK(quiet.total_average_ms == doctest::Approx(second.mean() / 1000.0));

  // The run so far is every second's samples together.
  HandFilledFleet::publish(fleet.shard(1), {100});
  auto third = meter.sample(3.0);
  second.record(100);
  CHECK(third.total_median_ms == static_cast<double>(second.percentile(0.5)) / 1000.0);
  CHECK(third.total_min_ms == 0.1);
  auto point = to_timeline_point(third);
  CHECK(point.percentiles_ms == third.percentiles_ms);
  CHECK(point.total_requests == 10);
  CHECK(point.total_failures == 1);
  CHECK(point.total_has_latency);
  CHECK(point.total_median_ms == third.total_median_ms);
  CHECK(point.total_average_ms == third.total_average_ms);
  CHECK(point.total_min_ms == 0.1);
  CHECK(point.total_max_ms == 80.0);
  CHECK_FALSE(to_timeline_point(ProgressMeter(fleet.view(), fleet.interval_reader()).sample(1.0))
                  .total_has_latency);
}

TEST_CASE("the generator's self-check: schedule or loop lag past 100 ms, not at it") {
  struct Case {
    const char* why;
    std::int64_t schedule_lag_us;  // published this second
    std::int64_t loop_lag_us;      // the shard's last tick
    bool saturated;
  };
  for (const auto& c :
       {Case{"both small", 2'000, 1'000, false},
        Case{"schedule lag exactly 100 ms", 100'000, 0, false},
        Case{"schedule lag 1 us past", 100'001, 0, true},
        Case{"loop lag exactly 100 ms", 0, 100'000, false},
        Case{"loop lag 1 us past", 0, 100'001, true}, Case{"both past", 250'000, 250'000, true}}) {
    CAPTURE(c.why);
    HandFilledFleet fleet(2);
    ProgressMeter meter(fleet.view(), fleet.interval_reader());
    // On one shard only: the worst shard decides.
    HandFilledFleet::publish(fleet.shard(1), {}, {c.schedule_lag_us, c.schedule_lag_us});
    fleet.shard(1).loop_lag_us.store(c.loop_lag_us);
    auto s = meter.sample(1.0);
    CHECK(generator_saturated(s) == c.saturated);
    CHECK((format_progress(s).find("GENERATOR SATURATED") != std::string::npos) == c.saturated);
    CHECK(generator_saturated(s) == (over_generator_lag_limit(s.schedule_lag_p99_ms) ||
                                     over_generator_lag_limit(s.loop_lag_max_ms)));
  }
}
