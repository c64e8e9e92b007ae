// summarize() over a view of hand-filled shards, checked against plain references: sums
// of the counters, percentiles of the merged histograms against the sorted samples, the
// total row; the verdict's boundaries through real histograms; the table.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fleet/report/run_summary.hpp"
#include "fleet/report/summary_json.hpp"
#include "tests/fleet/report/three_shards.hpp"

using namespace lampi::fleet;
using lampi::testing::HandFilledFleet;
using lampi::testing::ThreeShards;
namespace model = lampi::model;
using model::Topic;

namespace {

double ms(std::int64_t us) {
  return static_cast<double>(us) / 1000.0;
}

// Nearest rank, the textbook way: the value below which q of the samples fall.
std::int64_t exact_percentile(std::vector<std::int64_t> v, double q) {
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::max<std::size_t>(rank, 1) - 1];
}

// The histogram reports a bucket's upper edge: at most 1/64 above the exact value.
void check_close(double reported_ms, std::int64_t exact_us) {
  CHECK(reported_ms >= ms(exact_us));
  CHECK(reported_ms <= ms(exact_us) * (1.0 + 1.0 / 64) + 1e-9);
}

const TopicRow& row_named(const RunSummary& s, const std::string& name) {
  auto it = std::find_if(s.rows.begin(), s.rows.end(), [&](auto& r) { return r.name == name; });
  REQUIRE(it != s.rows.end());
  return *it;
}

}  // namespace

TEST_CASE("summarize adds up every shard's counters") {
  ThreeShards t;
  auto s = summarize(t.fleet.view(), {.seconds = 10.0, .bridged_peak = 27});
  CHECK(s.seconds == 10.0);
  CHECK(s.lamps == 30);
  CHECK(s.lamps_bridged_peak == 27);
  CHECK(s.connect_attempts == 12 + 22 + 32);
  CHECK(s.connects == 60);
  CHECK(s.reconnects == 6);
  CHECK(s.service_crashes == 6);
  CHECK(s.service_restarts == 3);
  CHECK(s.bridge_queued == 600);
  CHECK(s.bridge_dropped == 6);
  CHECK(s.inflight_dropped == 12);
  CHECK(s.timeouts == 18);
  using Counts = std::vector<std::pair<std::string, std::uint64_t>>;
  // Every reason, in the enum's order, zeros included (the JSON's stable keys).
  Counts every_reason;
  for (std::size_t r = 0; r < kDisconnectReasonCount; ++r) {
    auto reason = static_cast<DisconnectReason>(r);
    std::uint64_t n = reason == DisconnectReason::lost        ? 6
                      : reason == DisconnectReason::keepalive ? 4
                                                              : 0;
    every_reason.emplace_back(disconnect_reason_name(reason), n);
  }
  CHECK(s.disconnects == every_reason);
  // The table names only the reasons that happened.
  CHECK(render_table(s).find("\nDisconnects: lost 6 keepalive 4\n") != std::string::npos);
  CHECK(s.set_config_invalid == Counts{{"not_json", 0},
                                       {"not_object", 0},
                                       {"missing_client", 0},
                                       {"wrong_type", 6},
                                       {"out_of_range", 0},
                                       {"color_incomplete", 0},
                                       {"too_large", 0}});
}

TEST_CASE("summarize has a row per topic with traffic, in topic order, and the total apart") {
  ThreeShards t;
  auto s = summarize(t.fleet.view(), {.seconds = 10.0, .bridged_peak = 27});
  std::vector<std::string> names;
  for (const auto& r : s.rows) names.push_back(r.name);
  CHECK(names == std::vector<std::string>{
                     topic_pattern(Topic::set_config), topic_pattern(Topic::changed),
                     topic_pattern(Topic::associated), topic_pattern(Topic::state_lamp_service)});
  CHECK(names[1] == "devices/+/lamp/changed");

  const auto& changed = row_named(s, "devices/+/lamp/changed");
  CHECK(changed.requests == 6000);
  CHECK(changed.failures == 6);
  CHECK(changed.rate_per_s == doctest::Approx(600.0));
  const auto& received = row_named(s, topic_pattern(Topic::set_config));
  CHECK(received.requests == 0);
  CHECK(received.received == 300);
  CHECK_FALSE(received.has_latency);
  const auto& qos0 = row_named(s, topic_pattern(Topic::state_lamp_service));
  CHECK(qos0.requests == 42);
  CHECK_FALSE(qos0.has_latency);

  CHECK(s.total.name == "Aggregated");
  CHECK(s.total.requests == 6000 + 40 + 42);
  CHECK(s.total.failures == 6);
  CHECK(s.total.received == 300);
  CHECK(s.total.rate_per_s == doctest::Approx(608.2));
  CHECK(s.total.has_latency);
}

TEST_CASE("nothing lost without a count: late PUBACKs, unacknowledged and unsent messages") {
  ThreeShards t;
  auto s = summarize(t.fleet.view(), {.seconds = 10.0, .bridged_peak = 27});
  CHECK(s.timeouts == 18);
  CHECK(s.late_acks == 6);
  CHECK(s.unacked_at_end == 30);
  CHECK(s.unacked_at_power_off == 42);
  CHECK(s.unsent_at_stop == 66);
  auto table = render_table(s);
  CHECK(table.find(
            "bridge queued 600, dropped 6, unsent at the stop 66 | in-flight cap drops 12\n") !=
        std::string::npos);
  CHECK(table.find("\nPUBACKs: timeouts 18 (of them 6 acknowledged late) | never acknowledged: 30 "
                   "by the end, 42 at their lamp's power-off\n") != std::string::npos);
  auto j = nlohmann::json::parse(render_json(s));
  CHECK(j["late_acks"] == 6);
  CHECK(j["unacked_at_end"] == 30);
  CHECK(j["unacked_at_power_off"] == 42);
  CHECK(j["unsent_at_stop"] == 66);
}

TEST_CASE("TLS without verification is a warning with the verdict, in the table and the JSON") {
  ThreeShards t;
  CHECK(summarize(t.fleet.view(), {.seconds = 1.0}).warnings.empty());
  t.fleet.config.broker = BrokerTarget{true, "broker.example", 8883};
  CHECK(summarize(t.fleet.view(), {.seconds = 1.0}).warnings.empty());  // verified: fine
  t.fleet.config.tls.verify = false;
  auto s = summarize(t.fleet.view(), {.seconds = 1.0});
  REQUIRE(s.warnings.size() == 1);
  CHECK(
      s.warnings[0].starts_with("TLS certificate verification was off (broker.tls.verify: false)"));
  auto table = render_table(s);
  CHECK(table.find("\nWarning: TLS certificate verification was off") < table.find("\nVerdict: "));
  CHECK(nlohmann::json::parse(render_json(s))["warnings"][0] == s.warnings[0]);
}

TEST_CASE("summarize keeps each row's failures by reason and its whole histogram") {
  ThreeShards t;
  auto s = summarize(t.fleet.view(), {.seconds = 10.0, .bridged_peak = 27});
  using Reasons = std::array<std::uint64_t, kFailureReasonCount>;
  const auto& changed = row_named(s, "devices/+/lamp/changed");
  auto index = [](FailureReason r) { return static_cast<std::size_t>(r); };
  CHECK(changed.failures_by_reason[index(FailureReason::not_sent)] == 3);  // one per shard
  CHECK(changed.failures_by_reason[index(FailureReason::timeout)] == 3);   // 0 + 1 + 2
  CHECK(changed.failures_by_reason[index(FailureReason::inflight_cap)] == 0);
  CHECK(s.total.failures_by_reason == changed.failures_by_reason);  // the only topic failing
  CHECK(row_named(s, topic_pattern(Topic::associated)).failures_by_reason == Reasons{});

  // The rows' numbers are read from the histograms they carry, merged over the shards.
  CHECK(changed.latency.count() == t.changed_us.size());
  CHECK(changed.latency.percentile(0.95) ==
        static_cast<std::int64_t>(std::llround(changed.p95_ms * 1000)));
  CHECK(row_named(s, topic_pattern(Topic::state_lamp_service)).latency.count() == 0);  // QoS 0
  CHECK(s.total.latency.count() == t.changed_us.size() + t.associated_us.size());
}

TEST_CASE("summarize merges the shards' histograms: percentiles of all the samples") {
  ThreeShards t;
  auto s = summarize(t.fleet.view(), {.seconds = 10.0, .bridged_peak = 27});
  auto check_row = [](const TopicRow& r, const std::vector<std::int64_t>& samples) {
    REQUIRE(r.has_latency);
    check_close(r.median_ms, exact_percentile(samples, 0.50));
    check_close(r.p95_ms, exact_percentile(samples, 0.95));
    check_close(r.p99_ms, exact_percentile(samples, 0.99));
    CHECK(r.min_ms == ms(*std::min_element(samples.begin(), samples.end())));
    CHECK(r.max_ms == ms(*std::max_element(samples.begin(), samples.end())));
    double sum = 0;
    for (auto us : samples) sum += static_cast<double>(us);
    CHECK(r.average_ms == doctest::Approx(sum / static_cast<double>(samples.size()) / 1000.0));
  };
  SUBCASE("one topic over three shards") {
    check_row(row_named(s, "devices/+/lamp/changed"), t.changed_us);
  }
  SUBCASE("one topic on one shard") {
    check_row(row_named(s, topic_pattern(Topic::associated)), t.associated_us);
  }
  SUBCASE("the total over every topic") {
    auto all = t.changed_us;
    all.insert(all.end(), t.associated_us.begin(), t.associated_us.end());
    check_row(s.total, all);
    CHECK(s.total.max_ms == 939.0);  // the slow topic's slowest
  }
  SUBCASE("the generator's own schedule lag") {
    check_close(s.schedule_lag_p50_ms, exact_percentile(t.lag_us, 0.50));
    check_close(s.schedule_lag_p99_ms, exact_percentile(t.lag_us, 0.99));
    CHECK(s.schedule_lag_max_ms == ms(*std::max_element(t.lag_us.begin(), t.lag_us.end())));
  }
}

TEST_CASE("the verdict's boundaries hold through summarize's histograms") {
  // Every sample the same value: the merged p95/p99 is that value exactly (the histogram
  // clamps a bucket's edge to its maximum), so the limits are met exactly, then passed.
  struct Case {
    const char* why;
    std::int64_t lag_us;
    std::int64_t response_us;
    std::uint64_t failures;  // of 1,000 requests
    VerdictCode expected;
  };
  using enum VerdictCode;
  for (const auto& c : {
           Case{"everything well inside", 2'000, 3'000, 0, ok},
           Case{"p99 lag exactly 100 ms", 100'000, 3'000, 0, ok},
           Case{"p99 lag 1 us past 100 ms", 100'001, 3'000, 0, generator_saturated},
           Case{"a late generator wins", 100'001, 900'000, 500, generator_saturated},
           Case{"p95 exactly the 500 ms timeout", 2'000, 500'000, 0, ok},
           Case{"p95 1 us past the timeout", 2'000, 500'001, 0, broker_saturated},
           Case{"10 of 1,000 failed: exactly 1%", 2'000, 3'000, 10, ok},
           Case{"11 of 1,000 failed", 2'000, 3'000, 11, broker_saturated},
       }) {
    CAPTURE(c.why);
    HandFilledFleet fleet(2);
    fleet.config.response_timeout = Seconds(0.5);
    for (std::size_t k = 0; k < 2; ++k) {
      auto& st = fleet.shard(k);
      for (int i = 0; i < 50; ++i) {
        st.schedule_lag.record(c.lag_us);
        st.latency[model::index_of(Topic::changed)].response.record(c.response_us);
      }
    }
    auto& changed0 = fleet.shard(0).topics[model::index_of(Topic::changed)];
    auto& changed1 = fleet.shard(1).topics[model::index_of(Topic::changed)];
    bump(changed0.requests, 600);
    bump(changed1.requests, 400);
    bump(changed0.failures, c.failures / 2);
    bump(changed1.failures, c.failures - c.failures / 2);
    auto s = summarize(fleet.view(), {.seconds = 5.0, .bridged_peak = 0});
    CHECK(s.verdict.code == c.expected);
    CHECK(s.generator_saturated() == (c.expected == generator_saturated));
    CHECK(s.broker_saturated() == (c.expected == broker_saturated));
  }
}

// The ramp-up's lag is shown and the generator judged on what came after it, in every
// output; a run that never left its ramp-up is judged on the whole of it.
TEST_CASE("summarize judges the generator after the ramp-up, and shows both") {
  HandFilledFleet fleet(2);
  for (std::size_t k = 0; k < 2; ++k) {
    auto& st = fleet.shard(k);
    st.steady_from_us = k == 0 ? 41'000'000 : 42'000'000;  // the later shard's end counts
    for (int i = 0; i < 100; ++i) {
      std::int64_t ramp = 250'000, steady = 3'000;
      st.schedule_lag.record(ramp);
      st.schedule_lag_ramp.record(ramp);
      st.schedule_lag.record(steady);
      st.schedule_lag_steady.record(steady);
      st.latency[model::index_of(Topic::changed)].response.record(2'000);
    }
  }
  bump(fleet.shard(0).topics[model::index_of(Topic::changed)].requests, 200);
  auto s = summarize(fleet.view(), {.seconds = 60.0, .bridged_peak = 0});
  CHECK(s.reached_steady_state);
  CHECK(s.ramp_seconds == 42.0);
  CHECK(s.schedule_lag_p99_ms > 100.0);  // the whole run's, as before
  CHECK(s.ramp_lag_p99_ms > 100.0);
  CHECK(s.steady_lag_p99_ms < 100.0);
  CHECK(s.verdict.code == VerdictCode::ok);
  CHECK(s.verdict.detail.find("The ramp-up (first 42 s) fell behind its schedule") !=
        std::string::npos);
  CHECK(render_table(s).find("| p99 in the ramp-up (first 42 s) ") != std::string::npos);
  auto j = nlohmann::json::parse(render_json(s));
  CHECK(j["schedule_lag_ms"]["judged_on"] == "steady_state");
  CHECK(j["schedule_lag_ms"]["ramp_seconds"] == 42.0);

  // The same lags with nothing after the ramp-up: judged on the whole run, INVALID.
  HandFilledFleet short_run(1);
  auto& st = short_run.shard(0);
  st.steady_from_us = 42'000'000;
  for (int i = 0; i < 100; ++i) {
    st.schedule_lag.record(250'000);
    st.schedule_lag_ramp.record(250'000);
  }
  auto cut = summarize(short_run.view(), {.seconds = 30.0, .bridged_peak = 0});
  CHECK_FALSE(cut.reached_steady_state);
  CHECK(cut.verdict.code == VerdictCode::generator_saturated);
  CHECK(render_table(cut).find("p99 in the ramp-up") == std::string::npos);
  CHECK(nlohmann::json::parse(render_json(cut))["schedule_lag_ms"]["judged_on"] == "whole_run");
}

TEST_CASE("the table lists the topics, then the total under a rule, then the verdict") {
  ThreeShards t;
  auto s = summarize(t.fleet.view(), {.seconds = 10.0, .bridged_peak = 27});
  auto table = render_table(s);
  auto rule = std::string(138, '-');
  auto total_at = table.find("\nAggregated ");
  REQUIRE(total_at != std::string::npos);
  // The rule right above the total, and no topic below it.
  CHECK(table.substr(total_at - rule.size(), rule.size()) == rule);
  for (const auto& r : s.rows) CHECK(table.find(r.name) < total_at);
  CHECK(table.find("\nVerdict: OK: the broker kept up (p95 ") != std::string::npos);

  s.verdict = {VerdictCode::broker_saturated, "p95 response 901.1 ms."};
  CHECK(render_table(s).find("\nVerdict: BROKER SATURATED: p95 response 901.1 ms.\n") !=
        std::string::npos);
}

TEST_CASE("SLOs are judged on the total row, and all fail when the run is invalid") {
  ThreeShards t;
  // Bridged at the end is what the SLO judges; the peak (30) must not hide a loss.
  auto s = summarize(t.fleet.view(), {.seconds = 10.0, .bridged_peak = 30, .bridged_at_end = 27});
  SloConfig slo;
  REQUIRE(s.total.p95_ms < 300.0);
  REQUIRE(row_named(s, topic_pattern(Topic::associated)).p95_ms > 300.0);  // one topic is slow
  slo.p95_response_seconds = 0.3;
  slo.max_failure_ratio = 0.001;  // 6 of 6,082
  slo.min_bridged_ratio = 0.85;   // 27 of 30
  judge_slos(s, slo);
  REQUIRE(s.slos.size() == 3);
  for (const auto& r : s.slos) CHECK_MESSAGE(r.passed, r.name);
  CHECK(s.slos_passed);

  auto lost =
      summarize(t.fleet.view(), {.seconds = 10.0, .bridged_peak = 30, .bridged_at_end = 27});
  SloConfig all_bridged;
  all_bridged.min_bridged_ratio = 0.95;  // met at the peak, broken at the end
  judge_slos(lost, all_bridged);
  CHECK_FALSE(lost.slos_passed);
  CHECK(lost.slos.at(0).actual == "0.9000");

  auto invalid = summarize(t.fleet.view(), {.seconds = 10.0, .bridged_peak = 27});
  invalid.verdict.code = VerdictCode::generator_saturated;
  judge_slos(invalid, slo);
  for (const auto& r : invalid.slos) CHECK_FALSE(r.passed);
  CHECK_FALSE(invalid.slos_passed);
}
