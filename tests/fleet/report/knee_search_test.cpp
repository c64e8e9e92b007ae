// The capacity search's decisions on their own: steps judged against the SLOs, the passes
// it climbs, and what it concludes, fed with numbers instead of a fleet.
#include "fleet/report/knee_search.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fleet/report/verdict.hpp"

using namespace lampi::fleet;

namespace {

// A healthy step: every lamp bridged, 20 messages a second each, fast PUBACKs.
StepMeasure healthy(std::size_t lamps, double p95_ms = 10) {
  return {.lamps = lamps,
          .seconds = 10,
          .published = lamps * 200,
          .acked = lamps * 200,
          .failures = 0,
          .p50_ms = p95_ms / 2,
          .p95_ms = p95_ms,
          .p99_ms = p95_ms * 2,
          .bridged = lamps,
          .schedule_lag_p99_ms = 1,
          .loop_lag_max_ms = 2};
}

const CapacitySlo kSlo{.p95_ms = 100, .max_failure_ratio = 0.01, .min_bridged_ratio = 0.99};

// Runs the search against a "broker" that answers each step with `fleet(lamps)`.
KneeSearch search_against(SearchPlan plan, const std::function<StepMeasure(std::size_t)>& fleet) {
  KneeSearch search(plan);
  for (int guard = 0; guard < 3; ++guard) {
    auto levels = search.next_pass();
    if (levels.empty()) break;
    for (std::size_t lamps : levels) {
      StepMeasure m = fleet(lamps);
      if (!search.record({.measure = m, .judgement = judge_step(m, kSlo)})) break;
    }
  }
  CHECK(search.next_pass().empty());  // over, and stays over
  return search;
}

std::vector<std::size_t> lamps_of(const std::vector<StepResult>& steps, int pass) {
  std::vector<std::size_t> out;
  for (const auto& s : steps)
    if (s.pass == pass) out.push_back(s.measure.lamps);
  return out;
}

}  // namespace

TEST_CASE("a step holds when every SLO is kept, and names the first it breaks") {
  CHECK(judge_step(healthy(100), kSlo).held());
  CHECK(judge_step(healthy(100), kSlo).why.empty());

  auto slow = healthy(100, 150);
  auto j = judge_step(slow, kSlo);
  CHECK(j.broke == StepBreak::p95);
  CHECK(j.why == "the p95 response time was 150.0 ms, over the 100 ms SLO");

  auto failing = healthy(100);
  failing.failures = failing.published / 50;  // 2%
  CHECK(judge_step(failing, kSlo).broke == StepBreak::failure_ratio);
  CHECK(judge_step(failing, kSlo).why.find("2% of publishes failed") != std::string::npos);

  auto unbridged = healthy(100);
  unbridged.bridged = 90;
  CHECK(judge_step(unbridged, kSlo).broke == StepBreak::not_bridged);
  CHECK(judge_step(unbridged, kSlo).why ==
        "only 90 of 100 lamps were bridged (90%, under the 99% SLO)");

  auto silent = healthy(100);
  silent.acked = 0;
  silent.failures = 5;
  silent.p50_ms = silent.p95_ms = silent.p99_ms = std::nullopt;
  CHECK(judge_step(silent, kSlo).broke == StepBreak::no_acks);
  // QoS 0 publishes get no PUBACK: without a failure, silence is no break.
  silent.failures = 0;
  CHECK(judge_step(silent, kSlo).held());

  // Idle lamps publish nothing: no response time to judge, and nothing failed.
  auto idle = healthy(100);
  idle.published = idle.acked = 0;
  idle.p50_ms = idle.p95_ms = idle.p99_ms = std::nullopt;
  CHECK(judge_step(idle, kSlo).held());
}

TEST_CASE("a generator behind its schedule is judged before anything the broker did") {
  auto m = healthy(100, 900);
  m.failures = m.published;
  m.schedule_lag_p99_ms = kGeneratorLagLimitMs + 1;
  auto j = judge_step(m, kSlo);
  CHECK(j.broke == StepBreak::generator_saturated);
  CHECK(j.why.find("not the broker's") != std::string::npos);
  // At the limit is still keeping up, and a slow event-loop second alone is only told.
  m.schedule_lag_p99_ms = kGeneratorLagLimitMs;
  m.loop_lag_max_ms = 500;
  CHECK(judge_step(m, kSlo).broke == StepBreak::failure_ratio);
}

TEST_CASE("the first pass climbs from start in steps and ends at max lamps") {
  CHECK(coarse_levels({.start = 100, .step = 100, .fine_step = 25, .max_lamps = 450}) ==
        std::vector<std::size_t>{100, 200, 300, 400, 450});
  CHECK(coarse_levels({.start = 50, .step = 50, .fine_step = 0, .max_lamps = 150}) ==
        std::vector<std::size_t>{50, 100, 150});
  CHECK(coarse_levels({.start = 10, .step = 5, .fine_step = 1, .max_lamps = 10}) ==
        std::vector<std::size_t>{10});
  CHECK(fine_levels(400, 500, 25) == std::vector<std::size_t>{400, 425, 450, 475});
  CHECK(fine_levels(400, 500, 0).empty());
  CHECK_THROWS_AS(check_plan({.start = 0, .step = 1, .fine_step = 0, .max_lamps = 5}),
                  std::invalid_argument);
  CHECK_THROWS_AS(check_plan({.start = 10, .step = 0, .fine_step = 0, .max_lamps = 50}),
                  std::invalid_argument);
  CHECK_THROWS_AS(KneeSearch({.start = 60, .step = 10, .fine_step = 0, .max_lamps = 50}),
                  std::invalid_argument);
}

TEST_CASE("a knee found by the first pass is narrowed by a second from the last step held") {
  // Response time bends past 430 lamps.
  auto fleet = [](std::size_t lamps) { return healthy(lamps, lamps > 430 ? 400 : 20); };
  auto search =
      search_against({.start = 100, .step = 100, .fine_step = 25, .max_lamps = 2000}, fleet);
  CHECK(lamps_of(search.steps(), 1) == std::vector<std::size_t>{100, 200, 300, 400, 500});
  CHECK(lamps_of(search.steps(), 2) == std::vector<std::size_t>{400, 425, 450});
  auto r = search.result();
  CHECK(r.outcome == SearchOutcome::knee);
  REQUIRE(r.held);
  REQUIRE(r.broke);
  CHECK(r.held->measure.lamps == 425);
  CHECK(r.held->pass == 2);
  CHECK(r.broke->measure.lamps == 450);
  CHECK(r.broke->judgement.broke == StepBreak::p95);
  CHECK(r.summary ==
        "Capacity: 425 lamps, 8500 acknowledged messages/s (p95 20.0 ms), the last step that "
        "held; at 450 lamps the p95 response time was 400.0 ms, over the 100 ms SLO.");
  CHECK(capacity_exit_code(r.outcome) == kExitOk);
}

TEST_CASE("a second pass that holds every fine step leaves the first pass's break as the knee") {
  auto fleet = [](std::size_t lamps) { return healthy(lamps, lamps >= 500 ? 400 : 20); };
  auto search =
      search_against({.start = 100, .step = 100, .fine_step = 50, .max_lamps = 2000}, fleet);
  CHECK(lamps_of(search.steps(), 2) == std::vector<std::size_t>{400, 450});
  auto r = search.result();
  CHECK(r.outcome == SearchOutcome::knee);
  CHECK(r.held->measure.lamps == 450);
  CHECK(r.broke->measure.lamps == 500);
  CHECK(r.broke->pass == 1);
}

TEST_CASE("a second pass whose first step breaks keeps the first pass's knee and says so") {
  int calls = 0;
  auto fleet = [&](std::size_t lamps) {
    ++calls;
    // Pass 1 holds 100 and 200 and breaks at 300; pass 2 (call 4) breaks at 200.
    return healthy(lamps, lamps >= 300 || calls == 4 ? 400 : 20);
  };
  auto search =
      search_against({.start = 100, .step = 100, .fine_step = 25, .max_lamps = 2000}, fleet);
  CHECK(lamps_of(search.steps(), 2) == std::vector<std::size_t>{200});
  auto r = search.result();
  CHECK(r.outcome == SearchOutcome::knee);
  CHECK(r.held->measure.lamps == 200);
  CHECK(r.broke->measure.lamps == 300);
  REQUIRE(r.notes.size() == 1);
  CHECK(r.notes[0].find("The second pass broke at 200 lamps too") == 0);
}

TEST_CASE("every step holding up to max lamps is a result, not a knee") {
  auto search = search_against({.start = 100, .step = 100, .fine_step = 25, .max_lamps = 300},
                               [](std::size_t n) { return healthy(n); });
  CHECK(lamps_of(search.steps(), 1) == std::vector<std::size_t>{100, 200, 300});
  CHECK(lamps_of(search.steps(), 2).empty());
  auto r = search.result();
  CHECK(r.outcome == SearchOutcome::max_lamps);
  CHECK(r.held->measure.lamps == 300);
  CHECK_FALSE(r.broke);
  CHECK(r.summary.find("Every step held, up to") == 0);
  CHECK(capacity_exit_code(r.outcome) == kExitOk);
}

TEST_CASE("the generator saturating ends the search without a knee and with its own code") {
  auto fleet = [](std::size_t lamps) {
    auto m = healthy(lamps, lamps >= 300 ? 400 : 20);
    if (lamps >= 300) m.schedule_lag_p99_ms = 250;
    return m;
  };
  auto search =
      search_against({.start = 100, .step = 100, .fine_step = 25, .max_lamps = 2000}, fleet);
  CHECK(lamps_of(search.steps(), 2).empty());  // not narrowed: it is not the broker's knee
  auto r = search.result();
  CHECK(r.outcome == SearchOutcome::generator_limit);
  CHECK(r.held->measure.lamps == 200);
  CHECK(r.broke->judgement.broke == StepBreak::generator_saturated);
  CHECK(r.summary.find("The generator saturated before the broker broke an SLO") == 0);
  CHECK(r.summary.find("The broker held every step up to 200 lamps") != std::string::npos);
  CHECK(capacity_exit_code(r.outcome) == kExitGeneratorLimit);
  CHECK(outcome_names(r.outcome).code == "generator_limit");
}

TEST_CASE("a first step that breaks says the capacity is below start, or not connected") {
  auto slow = search_against({.start = 100, .step = 100, .fine_step = 25, .max_lamps = 500},
                             [](std::size_t n) { return healthy(n, 400); });
  CHECK(slow.steps().size() == 1);
  CHECK(slow.result().outcome == SearchOutcome::below_start);
  CHECK_FALSE(slow.result().held);
  CHECK(capacity_exit_code(SearchOutcome::below_start) == kExitFailed);

  auto refused = search_against({.start = 100, .step = 100, .fine_step = 25, .max_lamps = 500},
                                [](std::size_t n) {
                                  auto m = healthy(n);
                                  m.bridged = 0;
                                  return m;
                                });
  CHECK(refused.result().outcome == SearchOutcome::not_connected);
  CHECK(capacity_exit_code(SearchOutcome::not_connected) == kExitNotConnected);
}

TEST_CASE("a search stopped from outside keeps what held and says why it ended") {
  KneeSearch search({.start = 100, .step = 100, .fine_step = 25, .max_lamps = 500});
  auto levels = search.next_pass();
  CHECK(search.record({.measure = healthy(100), .judgement = {}}));
  search.stop(SearchOutcome::interrupted);
  CHECK(search.next_pass().empty());
  auto r = search.result();
  CHECK(r.outcome == SearchOutcome::interrupted);
  CHECK(r.held->measure.lamps == 100);
  CHECK(capacity_exit_code(r.outcome) == kExitInterrupted);
  CHECK(capacity_exit_code(SearchOutcome::time_limit) == kExitInterrupted);
}
