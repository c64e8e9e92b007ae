// The verdict's thresholds against a plain statement of them, at and either side of
// every boundary; then the names and the text each code is rendered with.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "fleet/report/verdict.hpp"

using namespace lampi::fleet;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
double above(double x) {
  return std::nextafter(x, kInf);
}
double below(double x) {
  return std::nextafter(x, -kInf);
}

// The rule as the docs state it, written as plainly as it can be.
VerdictCode reference(const VerdictInputs& in) {
  bool generator_behind = in.schedule_lag_p99_ms > 100.0;
  bool broker_behind = in.p95_response_ms > in.response_timeout_ms || in.failure_ratio > 0.01;
  if (generator_behind) return VerdictCode::generator_saturated;
  if (broker_behind) return VerdictCode::broker_saturated;
  return VerdictCode::ok;
}

struct Case {
  const char* why;
  VerdictInputs in;
  VerdictCode expected;
};

VerdictInputs inputs(double lag, double p95, double failures, double timeout = 500) {
  VerdictInputs in;
  in.schedule_lag_p99_ms = lag;
  in.p95_response_ms = p95;
  in.failure_ratio = failures;
  in.response_timeout_ms = timeout;
  return in;
}

}  // namespace

TEST_CASE("the verdict's thresholds, exactly at and just past each boundary") {
  using enum VerdictCode;
  const std::vector<Case> cases = {
      {"an idle run", inputs(0, 0, 0), ok},
      {"lag at the limit still keeps the schedule", inputs(100.0, 2, 0), ok},
      {"lag just past the limit", inputs(above(100.0), 2, 0), generator_saturated},
      {"lag well past the limit", inputs(250, 2, 0), generator_saturated},
      {"a late generator wins over a failing broker", inputs(above(100.0), 1e6, 1.0),
       generator_saturated},
      {"p95 at the timeout", inputs(1, 500, 0), ok},
      {"p95 just past the timeout", inputs(1, above(500), 0), broker_saturated},
      {"p95 past a 2 s timeout", inputs(1, 2000.5, 0, 2000), broker_saturated},
      {"failures at 1%", inputs(1, 2, 0.01), ok},
      {"failures just past 1%", inputs(1, 2, above(0.01)), broker_saturated},
      {"failures just under 1%", inputs(1, 2, below(0.01)), ok},
      {"every publish failed", inputs(1, 0, 1.0), broker_saturated},
      {"lag just under the limit leaves the broker's verdict", inputs(below(100.0), 900, 0),
       broker_saturated},
      {"a zero timeout and no responses", inputs(0, 0, 0, 0), ok},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    CHECK(judge_verdict(c.in) == c.expected);
    CHECK(reference(c.in) == c.expected);  // the table itself agrees with the plain rule
    CHECK(verdict_for(c.in).code == c.expected);
  }
}

TEST_CASE("the verdict agrees with the plain rule over a grid around every boundary") {
  const std::vector<double> lags = {0, 50, below(100.0), 100.0, above(100.0), 100.5, 1e4};
  const std::vector<double> p95s = {0, 1, below(500), 500, above(500), 501, 1e6};
  const std::vector<double> ratios = {0, 0.005, below(0.01), 0.01, above(0.01), 0.5, 1};
  const std::vector<double> timeouts = {0, 500, 5000};
  int checked = 0;
  for (double lag : lags)
    for (double p95 : p95s)
      for (double ratio : ratios)
        for (double timeout : timeouts) {
          auto in = inputs(lag, p95, ratio, timeout);
          CAPTURE(lag);
          CAPTURE(p95);
          CAPTURE(ratio);
          CAPTURE(timeout);
          REQUIRE(judge_verdict(in) == reference(in));
          ++checked;
        }
  CHECK(checked == 7 * 7 * 7 * 3);
}

TEST_CASE("each verdict code has its own machine name and label") {
  using enum VerdictCode;
  CHECK(verdict_names(ok).code == "ok");
  CHECK(verdict_names(ok).label == "OK");
  CHECK(verdict_names(broker_saturated).code == "broker_saturated");
  CHECK(verdict_names(broker_saturated).label == "BROKER SATURATED");
  CHECK(verdict_names(generator_saturated).code == "generator_saturated");
  CHECK(verdict_names(generator_saturated).label == "INVALID");
  std::set<std::string_view> codes, labels;
  CHECK(verdict_names(not_connected).code == "not_connected");
  CHECK(verdict_names(not_connected).label == "NOT CONNECTED");
  CHECK(verdict_names(interrupted).code == "interrupted");
  CHECK(verdict_names(interrupted).label == "INTERRUPTED");
  for (auto c : {ok, broker_saturated, generator_saturated, not_connected, interrupted, outage,
                 stalled, duplicate_ids}) {
    codes.insert(verdict_names(c).code);
    labels.insert(verdict_names(c).label);
  }
  CHECK(codes.size() == 8);
  CHECK(labels.size() == 8);
}

TEST_CASE("the verdict's text is its label and a detail quoting the numbers") {
  auto ok = verdict_for(inputs(1.25, 40.63, 0.0009));
  CHECK(verdict_text(ok) == "OK: the broker kept up (p95 40.6 ms, 0.09% failures).");

  auto broker = verdict_for(inputs(51.7, 901.1, 0.347, 500));
  CHECK(verdict_text(broker) ==
        "BROKER SATURATED: p95 response 901.1 ms, 34.70% failures (timeout 500 ms) while the "
        "generator kept its schedule (p99 lag 51.7 ms).");

  auto generator = verdict_for(inputs(143.24, 2, 0));
  CHECK(
      generator.detail.starts_with("the generator fell behind its own schedule (p99 lag 143.2 "
                                   "ms); results measure lampi-fleet, not the broker."));
  CHECK(verdict_text(generator).starts_with("INVALID: the generator fell behind"));
}

namespace {

VerdictInputs lamps(std::uint64_t hatched, std::uint64_t bridged, std::uint64_t peak) {
  VerdictInputs in = inputs(1, 2, 0);
  in.lamps_hatched = hatched;
  in.lamps_bridged = bridged;
  in.lamps_bridged_peak = peak;
  return in;
}

}  // namespace

TEST_CASE("too few lamps bridged is NOT CONNECTED, at and either side of the ratio") {
  using enum VerdictCode;
  struct LampCase {
    const char* why;
    VerdictInputs in;
    VerdictCode expected;
  };
  auto with_ratio = [](VerdictInputs in, double r) {
    in.min_bridged_ratio = r;
    return in;
  };
  const std::vector<LampCase> cases = {
      {"nothing powered on yet is not judged", lamps(0, 0, 0), ok},
      {"every lamp bridged", lamps(5, 5, 5), ok},
      {"none ever bridged", lamps(5, 0, 0), not_connected},
      {"exactly the default 99%", lamps(1000, 990, 1000), ok},
      {"one lamp under the default 99%", lamps(1000, 989, 1000), not_connected},
      {"bridged once, lost by the end", lamps(100, 0, 100), not_connected},
      {"a relaxed ratio accepts half", with_ratio(lamps(100, 50, 100), 0.5), ok},
      {"a ratio of 1 wants every lamp", with_ratio(lamps(100, 99, 100), 1.0), not_connected},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    CHECK(judge_verdict(c.in) == c.expected);
  }
}

TEST_CASE("precedence: not connected, then interrupted, then the generator, then the broker") {
  using enum VerdictCode;
  auto in = lamps(5, 0, 0);
  in.interrupted = true;
  in.connect_failures = "refused x5";
  in.schedule_lag_p99_ms = 500;
  in.failure_ratio = 1;
  CHECK(judge_verdict(in) == not_connected);
  in.lamps_bridged = in.lamps_bridged_peak = 5;
  CHECK(judge_verdict(in) == interrupted);
  in.interrupted = false;
  CHECK(judge_verdict(in) == generator_saturated);
  in.schedule_lag_p99_ms = 1;
  CHECK(judge_verdict(in) == broker_saturated);
}

TEST_CASE("NOT CONNECTED and INTERRUPTED say what happened, in words and numbers") {
  auto none = lamps(5, 0, 0);
  none.connect_failures = "lost x5";
  CHECK(verdict_text(verdict_for(none))
            .starts_with(
                "NOT CONNECTED: 0 of 5 lamps ever bridged; lost x5. Check the broker's address"));

  auto some = lamps(1000, 950, 1000);
  CHECK(verdict_text(verdict_for(some)) ==
        "NOT CONNECTED: 950 of 1000 lamps bridged at the end (95.0%, at least 99.0% required; "
        "1000 at the peak).");

  auto cut = lamps(5, 5, 5);
  cut.interrupted = true;
  cut.seconds = 5.04;
  cut.planned_seconds = 30;
  CHECK(verdict_text(verdict_for(cut)) ==
        "INTERRUPTED: stopped by a signal after 5.0 of 30 s; until then the broker kept up "
        "(p95 2.0 ms, 0.00% failures).");
  cut.failure_ratio = 0.5;
  CHECK(
      verdict_for(cut).detail.ends_with("until then BROKER SATURATED: p95 response 2.0 ms, "
                                        "50.00% failures (timeout 500 ms) while the generator "
                                        "kept its schedule (p99 lag 1.0 ms)."));
}

TEST_CASE("each verdict has its documented exit code, and only a broker measurement is valid") {
  using enum VerdictCode;
  struct ExitCase {
    VerdictCode code;
    bool slos_passed;
    int exit;
    bool valid;
  };
  for (auto c : std::vector<ExitCase>{{ok, true, 0, true},
                                      {ok, false, 1, true},
                                      {broker_saturated, true, 1, true},
                                      {generator_saturated, true, 1, false},
                                      {not_connected, true, 3, false},
                                      {not_connected, false, 3, false},
                                      {interrupted, true, 4, false},
                                      {outage, true, 5, true},
                                      {stalled, false, 5, true},
                                      {duplicate_ids, true, 6, false}}) {
    CAPTURE(verdict_names(c.code).code);
    CAPTURE(c.slos_passed);
    CHECK(exit_code_for(c.code, c.slos_passed) == c.exit);
    CHECK(measured_the_broker(c.code) == c.valid);
  }
}

TEST_CASE("a signal while lamps are still on their first try is INTERRUPTED, not NOT CONNECTED") {
  using enum VerdictCode;
  auto early = lamps(1, 0, 0);  // one lamp powered on, its CONNECT not answered yet
  early.interrupted = true;
  early.seconds = 0.002;
  early.planned_seconds = 30;
  CHECK(judge_verdict(early) == interrupted);
  CHECK(verdict_text(verdict_for(early)) ==
        "INTERRUPTED: stopped by a signal after 0.0 of 30 s, while lamps were still connecting "
        "(0 of 1 bridged, none refused or lost).");
  CHECK(exit_code_for(judge_verdict(early), true) == kExitInterrupted);

  early.connect_failures = "refused x3";  // they did try, and the broker said no
  CHECK(judge_verdict(early) == not_connected);
  early.connect_failures.clear();
  early.interrupted = false;  // a run that ended on time had its chance
  CHECK(judge_verdict(early) == not_connected);
}

TEST_CASE(
    "OUTAGE and STALLED name what the broker did, before any other verdict but NOT CONNECTED") {
  using enum VerdictCode;
  auto in = lamps(100, 100, 100);
  in.broker_events.stall = Stall{10, 20, 100};
  in.failure_ratio = 0.36;
  in.p95_response_ms = 18;
  CHECK(judge_verdict(in) == stalled);  // not BROKER SATURATED, though 36% failed
  CHECK(verdict_text(verdict_for(in))
            .starts_with("STALLED: from 10 s for 20 s the broker kept 100 lamps' connections but "
                         "acknowledged no "
                         "publish (36.00% of publishes failed in the run)."));
  CHECK(exit_code_for(stalled, true) == kExitBrokerFailed);

  in.broker_events.outage = Outage{30, 38.0, 100, 0};
  in.connect_failures = "lost x100, connection_refused x250";
  CHECK(judge_verdict(in) == outage);
  CHECK(verdict_text(verdict_for(in)) ==
        "OUTAGE: at 30 s the broker went away: bridged lamps fell from 100 to 0 (lost x100, "
        "connection_refused x250); back after 8 s.");
  in.broker_events.outage->recovered_s.reset();
  in.lamps_bridged = 0;
  CHECK(judge_verdict(in) == outage);  // gone for good: still an outage, not NOT CONNECTED
  CHECK(verdict_for(in).detail.ends_with(
      "not recovered by the end (0 of 100 powered-on lamps bridged)."));
  in.interrupted = true;
  CHECK(judge_verdict(in) == outage);
  CHECK(exit_code_for(outage, true) == kExitBrokerFailed);
  CHECK(measured_the_broker(outage));
  CHECK(measured_the_broker(stalled));
  CHECK(verdict_names(outage).label == "OUTAGE");
  CHECK(verdict_names(stalled).code == "stalled");
}

TEST_CASE("lamps fighting a twin over their ids: DUPLICATE IDS, before the outage it looks like") {
  using enum VerdictCode;
  auto in = lamps(20, 12, 20);
  in.broker_events.outage = Outage{3, std::nullopt, 20, 8};
  in.lamps_flapping = 14;
  CHECK(judge_verdict(in) == duplicate_ids);
  CHECK(verdict_text(verdict_for(in))
            .starts_with("DUPLICATE IDS: 14 lamps had their connection taken away again and again "
                         "while the broker "
                         "let them straight back in: another client uses the same device IDs"));
  CHECK(verdict_for(in).detail.ends_with("Give each fleet its own device_id_base."));
  CHECK(exit_code_for(duplicate_ids, true) == kExitDuplicateIds);
  in.lamps_flapping = 0;
  CHECK(judge_verdict(in) == outage);
}

TEST_CASE("a ramp-up that fell behind is told, and the generator judged after it") {
  // The steady state kept its schedule: OK, with the ramp-up said in words.
  auto in = inputs(4.0, 2.0, 0);
  in.ramp_lag_p99_ms = 150.0;
  in.ramp_seconds = 73;
  CHECK(judge_verdict(in) == VerdictCode::ok);
  CHECK(verdict_text(verdict_for(in)) ==
        "OK: the broker kept up (p95 2.0 ms, 0.00% failures). The ramp-up (first 73 s) fell "
        "behind its schedule (p99 lag 150.0 ms); the steady state after it kept it.");
  // A broker that failed in the steady state is still judged, the ramp-up still told.
  auto broker = in;
  broker.p95_response_ms = 900;
  CHECK(judge_verdict(broker) == VerdictCode::broker_saturated);
  CHECK(verdict_for(broker).detail.ends_with("the steady state after it kept it."));
  // Behind after the ramp-up too: INVALID, both figures quoted.
  auto behind = in;
  behind.schedule_lag_p99_ms = 120.0;
  CHECK(judge_verdict(behind) == VerdictCode::generator_saturated);
  CHECK(verdict_for(behind).detail.starts_with(
      "the generator fell behind its own schedule after the ramp-up (p99 lag 120.0 ms in the "
      "steady state, 150.0 ms in the first 73 s)"));
  // A ramp-up within the limit says nothing more.
  auto calm = inputs(4.0, 2.0, 0);
  calm.ramp_lag_p99_ms = 99.0;
  calm.ramp_seconds = 73;
  CHECK(verdict_text(verdict_for(calm)) == "OK: the broker kept up (p95 2.0 ms, 0.00% failures).");
}
