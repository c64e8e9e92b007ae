// When a capacity pass powers its lamps on and measures each step, and how a step's
// window adds up the fleet's seconds.
#include "fleet/report/step_schedule.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "fleet/report/step_window.hpp"

using namespace lampi::fleet;

TEST_CASE("each step ramps its new lamps at the hatch rate, settles, then is measured") {
  const std::vector<std::size_t> levels{20, 30};
  auto s = plan_steps(levels, 10, 8, 3);
  REQUIRE(s.power_on_s.size() == 30);
  CHECK(s.power_on_s[0] == 0);
  CHECK(s.power_on_s[19] == doctest::Approx(1.9));
  REQUIRE(s.steps.size() == 2);
  CHECK(s.steps[0].lamps == 20);
  // The last lamp at 1.9 s, + settle 3 and + hold 8, up to whole seconds.
  CHECK(s.steps[0].measure_from_s == 5);
  CHECK(s.steps[0].measure_until_s == 10);
  CHECK(s.steps[1].ramp_from_s == 10);
  CHECK(s.power_on_s[20] == 10);
  CHECK(s.power_on_s[29] == doctest::Approx(10.9));
  CHECK(s.steps[1].measure_from_s == 14);
  CHECK(s.seconds() == 19);
  CHECK_THROWS_AS(plan_steps(std::vector<std::size_t>{20, 20}, 10, 8, 3), std::invalid_argument);
  CHECK_THROWS_AS(plan_steps(levels, 10, 3.5, 3), std::invalid_argument);
}

TEST_CASE("a step's window counts only the seconds inside it") {
  StepWindow w(50, 10, 13);
  auto second = [](double from, std::uint64_t published, std::int64_t response_us) {
    FleetSecond s{.from_s = from, .to_s = from + 1, .published = published, .failures = 1};
    for (std::uint64_t i = 0; i < published; ++i) s.response.record(response_us);
    s.schedule_lag.record(2000);
    s.loop_lag_ms = from;
    s.bridged = static_cast<std::uint64_t>(from) * 4;  // sampled just after the interval
    return s;
  };
  w.add(second(9.5, 100, 900'000));  // straddles the start: settle time
  w.add(second(10.02, 100, 10'000));
  w.add(second(11, 100, 20'000));
  w.add(second(12, 100, 30'000));
  w.add(second(12.6, 100, 900'000));  // runs into the next ramp
  CHECK(w.seconds_counted() == 3);
  auto m = w.measure();
  CHECK(m.lamps == 50);
  CHECK(m.seconds == doctest::Approx(3));
  CHECK(m.published == 300);
  CHECK(m.acked == 300);
  CHECK(m.failures == 3);
  CHECK(m.acked_per_s() == doctest::Approx(100));
  REQUIRE(m.p95_ms);
  CHECK(*m.p95_ms == doctest::Approx(30).epsilon(0.05));
  CHECK(*m.p50_ms == doctest::Approx(20).epsilon(0.05));
  // Sampled after 12 s: the one sampled after 13 s sees the next step's lamps.
  CHECK(m.bridged == 44);
  CHECK(m.schedule_lag_p99_ms == doctest::Approx(2).epsilon(0.05));
  CHECK(m.loop_lag_max_ms == doctest::Approx(12));

  StepWindow empty(5, 0, 1);
  CHECK_FALSE(empty.measure().p95_ms);
  CHECK(empty.measure().acked_per_s() == 0);
}
