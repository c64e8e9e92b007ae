// summarize() over a view of hand-filled shards, checked against plain references: sums
// of the counters, percentiles of the merged histograms against the sorted samples, the
// total row; the verdict's boundaries through real histograms; the table and the JSON.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fleet/report/run_summary.hpp"
#include "tests/support/hand_filled_fleet.hpp"

using namespace lampi::fleet;
using lampi::testing::HandFilledFleet;
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

// Three shards with different traffic: latency on two topics, one QoS 0 topic with no
// PUBACKs, one topic only received, and counters that differ per shard.
struct ThreeShards {
  HandFilledFleet fleet{3};
  std::vector<std::int64_t> changed_us, associated_us, lag_us;

  ThreeShards() {
    fleet.config.lamps = 30;
    for (std::size_t k = 0; k < 3; ++k) {
      auto& st = fleet.shard(k);
      auto n = static_cast<std::uint64_t>(k + 1);
      bump(st.connect_attempts, 10 * n + 2);
      bump(st.connects, 10 * n);
      bump(st.reconnects, n);
      bump(st.disconnects[static_cast<std::size_t>(DisconnectReason::lost)], n);
      bump(st.disconnects[static_cast<std::size_t>(DisconnectReason::keepalive)], k == 2 ? 4 : 0);
      bump(st.set_config_invalid[static_cast<std::size_t>(model::InvalidClass::wrong_type)], n);
      bump(st.service_crashes, n);
      bump(st.service_restarts, n - 1);
      bump(st.bridge_queued, 100 * n);
      bump(st.bridge_dropped, n);
      bump(st.inflight_dropped, 2 * n);
      bump(st.timeouts, 3 * n);
      auto& changed = st.topics[model::index_of(Topic::changed)];
      bump(changed.requests, 1000 * n);
      bump(changed.failures, n);
      bump(changed.acked, 1000 * n - n);
      bump(st.topics[model::index_of(Topic::state_lamp_service)].requests, 7 * n);
      bump(st.topics[model::index_of(Topic::set_config)].received, 50 * n);
    }
    // Response times spread over three decades, dealt round the shards.
    for (std::int64_t i = 0; i < 3000; ++i) {
      std::int64_t us = 40 + (i * 7919) % 250'000;
      fleet.shard(static_cast<std::size_t>(i % 3))
          .latency[model::index_of(Topic::changed)]
          .response.record(us);
      changed_us.push_back(us);
    }
    // One shard only answered on this topic.
    for (std::int64_t i = 0; i < 40; ++i) {
      std::int64_t us = 900'000 + i * 1000;
      fleet.shard(1).latency[model::index_of(Topic::associated)].response.record(us);
      associated_us.push_back(us);
    }
    bump(fleet.shard(1).topics[model::index_of(Topic::associated)].requests, 40);
    for (std::int64_t i = 0; i < 600; ++i) {
      std::int64_t us = (i * 131) % 20'000;
      fleet.shard(static_cast<std::size_t>(i % 3)).schedule_lag.record(us);
      lag_us.push_back(us);
    }
  }
};

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
    std::uint64_t n = reason == DisconnectReason::lost ? 6 : reason == DisconnectReason::keepalive ? 4 : 0;
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
                                       {"color_incomplete", 0}});
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

TEST_CASE("the JSON keeps its fields, the total last, and adds the verdict's code") {
  ThreeShards t;
  auto s = summarize(t.fleet.view(), {.seconds = 10.0, .bridged_peak = 27});
  auto j = nlohmann::json::parse(render_json(s));
  CHECK(j["lamps"] == 30);
  CHECK(j["lamps_bridged_peak"] == 27);
  CHECK(j["connects"] == 60);
  CHECK(j["disconnects"]["keepalive"] == 4);
  CHECK(j["set_config_invalid"]["wrong_type"] == 6);
  REQUIRE(j["topics"].size() == s.rows.size() + 1);
  const auto& total = j["topics"].back();  // what the bench scripts read as the total
  CHECK(total["name"] == "Aggregated");
  CHECK(total["requests"] == 6082);
  CHECK(total["failures"] == 6);
  CHECK(total["response_ms"]["p95"] == s.total.p95_ms);
  CHECK(j["topics"][0]["name"] == topic_pattern(Topic::set_config));
  CHECK_FALSE(j["topics"][0].contains("response_ms"));  // received only: no PUBACKs
  CHECK(j["valid"] == true);
  CHECK(j["generator_saturated"] == false);
  CHECK(j["broker_saturated"] == false);
  CHECK(j["verdict"] == verdict_text(s.verdict));
  CHECK(j["verdict"].get<std::string>().starts_with("OK: the broker kept up"));
  CHECK(j["verdict_code"] == "ok");

  s.verdict = {VerdictCode::generator_saturated, "the generator fell behind."};
  j = nlohmann::json::parse(render_json(s));
  CHECK(j["valid"] == false);
  CHECK(j["generator_saturated"] == true);
  CHECK(j["broker_saturated"] == false);
  CHECK(j["verdict"] == "INVALID: the generator fell behind.");
  CHECK(j["verdict_code"] == "generator_saturated");
  s.verdict.code = VerdictCode::broker_saturated;
  j = nlohmann::json::parse(render_json(s));
  CHECK(j["valid"] == true);
  CHECK(j["broker_saturated"] == true);
  CHECK(j["verdict_code"] == "broker_saturated");
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
