// The summary JSON (summary_json.cpp): its fields as docs/summary-json.md describes them,
// timestamps, the settings with their secrets redacted, and histograms raw enough to merge.
#include "fleet/report/summary_json.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "fleet/config/config_loader.hpp"
#include "fleet/config/effective_config.hpp"
#include "tests/fleet/report/summary_json_doc.hpp"
#include "tests/fleet/report/three_shards.hpp"

using namespace lampi::fleet;
using lampi::testing::HandFilledFleet;
using lampi::testing::ThreeShards;
namespace model = lampi::model;
using model::Topic;
using namespace std::chrono_literals;

namespace {

// 2026-12-01T08:00:01.123Z, to the microsecond beyond it.
std::chrono::system_clock::time_point december_first(std::chrono::microseconds after_8am) {
  using namespace std::chrono;
  return sys_days{year{2026} / December / 1} + 8h + after_8am;
}

// Buckets added up by upper bound, as a reader merging two runs would.
std::map<std::int64_t, std::uint64_t> bucket_map(const nlohmann::json& buckets) {
  std::map<std::int64_t, std::uint64_t> out;
  for (const auto& b : buckets) out[b[0].get<std::int64_t>()] += b[1].get<std::uint64_t>();
  return out;
}

nlohmann::json json_of(const RunSummary& s) {
  return nlohmann::json::parse(render_json(s));
}

}  // namespace

TEST_CASE("the JSON keeps its fields, the total last, and adds the verdict's code") {
  ThreeShards t;
  auto s = summarize(t.fleet.view(), {.seconds = 10.0, .bridged_peak = 27});
  auto j = json_of(s);
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
  CHECK(total["failures_by_reason"] == nlohmann::json{{"timeout", 3},
                                                      {"inflight_cap", 0},
                                                      {"not_sent", 3},
                                                      {"unacknowledged", 0},
                                                      {"fleet_fault", 0}});
  CHECK(j["topics"][0]["name"] == topic_pattern(Topic::set_config));
  CHECK_FALSE(j["topics"][0].contains("response_ms"));  // received only: no PUBACKs
  CHECK(j["valid"] == true);
  CHECK(j["generator_saturated"] == false);
  CHECK(j["broker_saturated"] == false);
  CHECK(j["verdict"] == verdict_text(s.verdict));
  CHECK(j["verdict"].get<std::string>().starts_with("OK: the broker kept up"));
  CHECK(j["verdict_code"] == "ok");

  s.verdict = {VerdictCode::generator_saturated, "the generator fell behind."};
  j = json_of(s);
  CHECK(j["valid"] == false);
  CHECK(j["generator_saturated"] == true);
  CHECK(j["broker_saturated"] == false);
  CHECK(j["verdict"] == "INVALID: the generator fell behind.");
  CHECK(j["verdict_code"] == "generator_saturated");
  s.verdict.code = VerdictCode::broker_saturated;
  j = json_of(s);
  CHECK(j["valid"] == true);
  CHECK(j["broker_saturated"] == true);
  CHECK(j["verdict_code"] == "broker_saturated");
}

TEST_CASE("started_at and ended_at: UTC, ISO 8601, to the millisecond, as the caller read them") {
  ThreeShards t;
  auto s = summarize(t.fleet.view(), {.started_at = december_first(1'123'999us),
                                      .ended_at = december_first(3'601'000'000us),
                                      .seconds = 3599.9});
  auto j = json_of(s);
  CHECK(j["started_at"] == "2026-12-01T08:00:01.123Z");  // cut to the millisecond, not rounded
  CHECK(j["ended_at"] == "2026-12-01T09:00:01.000Z");
  CHECK(j["seconds"] == 3599.9);

  CHECK(utc_timestamp(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  CHECK(utc_timestamp(std::chrono::system_clock::time_point{} - 1ms) == "1969-12-31T23:59:59.999Z");
  CHECK(utc_timestamp(december_first(16h - 1us)) == "2026-12-01T23:59:59.999Z");
  CHECK(utc_timestamp(december_first(16h)) == "2026-12-02T00:00:00.000Z");
}

TEST_CASE("each topic's histogram: raw bucket counts that add up to its PUBACKs") {
  ThreeShards t;
  const std::string text = render_json(summarize(t.fleet.view(), {.seconds = 10.0}));
  auto j = nlohmann::json::parse(text);
  for (const auto& topic : j["topics"]) {
    CAPTURE(topic["name"].get<std::string>());
    const auto& h = topic["latency_histogram"];
    std::uint64_t sum = 0;
    std::int64_t previous = -1;
    for (const auto& b : h["buckets"]) {
      CHECK(b[0].get<std::int64_t>() > previous);  // upper bounds, rising
      CHECK(b[1].get<std::uint64_t>() > 0);        // only buckets that hold a value
      previous = b[0].get<std::int64_t>();
      sum += b[1].get<std::uint64_t>();
    }
    CHECK(sum == h["count"]);
    CHECK(topic.contains("response_ms") == (sum > 0));
    if (sum > 0) {
      CHECK(h["min_us"].get<double>() == topic["response_ms"]["min"].get<double>() * 1000);
      CHECK(h["max_us"].get<double>() == topic["response_ms"]["max"].get<double>() * 1000);
      CHECK(h["sum_us"].get<double>() / static_cast<double>(sum) ==
            doctest::Approx(topic["response_ms"]["average"].get<double>() * 1000));
    }
  }
  CHECK(j["topics"][1]["name"] == "devices/+/lamp/changed");
  CHECK(j["topics"][1]["latency_histogram"]["count"] == t.changed_us.size());
  // Indented like the rest, but a bucket's pair on one line: "[1215, 3]".
  std::size_t buckets = 0, pair_lines = 0;
  for (const auto& topic : j["topics"]) buckets += topic["latency_histogram"]["buckets"].size();
  std::istringstream lines(text);
  const std::regex pair(R"(^ +\[\d+, \d+\],?$)");
  for (std::string line; std::getline(lines, line);) pair_lines += std::regex_match(line, pair);
  CHECK(buckets > 100);
  CHECK(pair_lines == buckets);
  CHECK(j["topics"].back()["latency_histogram"]["count"] ==
        t.changed_us.size() + t.associated_us.size());
}

TEST_CASE("when every publish was acknowledged, the buckets add up to the request count") {
  HandFilledFleet fleet(2);
  for (std::size_t k = 0; k < 2; ++k) {
    auto& st = fleet.shard(k);
    for (Topic topic : {Topic::changed, Topic::associated}) {
      for (std::int64_t i = 0; i < 500; ++i)
        st.latency[model::index_of(topic)].response.record(100 + i * (k + 1) * 37);
      bump(st.topics[model::index_of(topic)].requests, 500);
    }
  }
  auto j = json_of(summarize(fleet.view(), {.seconds = 5.0}));
  for (const auto& topic : j["topics"]) {
    CAPTURE(topic["name"].get<std::string>());
    std::uint64_t sum = 0;
    for (const auto& b : topic["latency_histogram"]["buckets"]) sum += b[1].get<std::uint64_t>();
    CHECK(sum == topic["requests"]);
  }
  CHECK(j["topics"].back()["requests"] == 2000);
}

TEST_CASE("two runs' histograms merge by adding bucket counts: the same as one run of both") {
  auto histogram_of = [](const std::vector<std::int64_t>& samples) {
    HandFilledFleet fleet(1);
    for (auto us : samples)
      fleet.shard(0).latency[model::index_of(Topic::changed)].response.record(us);
    bump(fleet.shard(0).topics[model::index_of(Topic::changed)].requests, samples.size());
    return json_of(summarize(fleet.view(), {.seconds = 1.0}))["topics"].back()["latency_histogram"];
  };
  std::vector<std::int64_t> first, second;
  for (std::int64_t i = 0; i < 800; ++i) first.push_back(50 + i * 13);
  for (std::int64_t i = 0; i < 300; ++i) second.push_back(20'000 + i * 997);
  auto all = first;
  all.insert(all.end(), second.begin(), second.end());
  auto a = histogram_of(first), b = histogram_of(second), both = histogram_of(all);

  auto merged = bucket_map(a["buckets"]);
  for (const auto& [upper, count] : bucket_map(b["buckets"])) merged[upper] += count;
  CHECK(merged == bucket_map(both["buckets"]));
  CHECK(a["count"].get<std::uint64_t>() + b["count"].get<std::uint64_t>() == both["count"]);
  CHECK(a["sum_us"].get<std::int64_t>() + b["sum_us"].get<std::int64_t>() == both["sum_us"]);
  CHECK(std::min(a["min_us"], b["min_us"]) == both["min_us"]);
  CHECK(std::max(a["max_us"], b["max_us"]) == both["max_us"]);
}

TEST_CASE("the settings the run used, by the config's own keys, with the password redacted") {
  const std::string password = "correct-horse-battery-staple";
  HandFilledFleet fleet(1);
  fleet.config = parse_config(
      "lamps: 7\n"
      "broker:\n"
      "  url: mqtt://broker.example.com:50001\n"
      "  username: lamp-fleet\n"
      "  password: " +
          password +
          "\n"
          "connect: {hatch_rate: 25}\n"
          "slo: {p95_response_time: 200ms}\n",
      "test.yaml");
  auto text = render_json(summarize(fleet.view(), {.seconds = 1.0, .local_broker = false}));
  CHECK(text.find(password) == std::string::npos);  // anywhere at all
  CHECK(text.find("correct-horse") == std::string::npos);
  auto j = nlohmann::json::parse(text);
  const auto& c = j["config"];
  CHECK(c["broker"]["password"] == kRedacted);
  CHECK(c["broker"]["username"] == "lamp-fleet");
  CHECK(c["broker"]["url"] == "mqtt://broker.example.com:50001");
  CHECK(c["broker"]["tls"]["verify"] == true);
  CHECK(c["lamps"] == 7);
  CHECK(c["connect"]["hatch_rate"] == 25.0);
  CHECK(c["slo"]["p95_response_time"] == "200ms");
  CHECK(c["slo"]["max_failure_ratio"] == nullptr);
  CHECK(c == nlohmann::json(effective_config(fleet.config)));
  CHECK(j["local_broker"] == false);

  // With no password, nothing to hide: "" says there was none.
  fleet.config.password.clear();
  CHECK(json_of(summarize(fleet.view(), {.seconds = 1.0}))["config"]["broker"]["password"] == "");
  CHECK(json_of(summarize(fleet.view(), {.local_broker = true}))["local_broker"] == true);
}

// docs/summary-json.md is the reference readers have: it must list what is written, all of
// it and no more, and its example must be made of documented fields.
TEST_CASE("docs/summary-json.md documents every field the JSON has, and no other") {
  ThreeShards t;
  t.fleet.config.slo.p95_response_seconds = 0.3;
  // Every optional part present: an SLO, an outage and a stall.
  BrokerEvents events{Outage{4, 7.0, 27, 3}, Stall{8, 3, 27}};
  auto s =
      summarize(t.fleet.view(), {.seconds = 10.0, .bridged_peak = 27, .broker_events = events});
  judge_slos(s, t.fleet.config.slo);
  REQUIRE_FALSE(s.slos.empty());
  s.merged_from.push_back({.index = 0, .source = "shard-0.json"});  // as a merge has
  CloudAccounting cloud;  // as a run with a cloud stand-in has, one difference listed
  cloud.mode = CloudMode::active;
  cloud.round_trip.record(1500);
  cloud.differences.push_back({"1e0000000001", "1 power-off not followed by the will", false});
  s.cloud = cloud;
  s.faults.push_back({.event = {.at = Seconds(30), .kind = FaultKind::stall, .lasting = Seconds(5)},
                      .lamps = 4,
                      .recovered_after_s = 7.0});
  const auto j = json_of(s);
  const auto written = lampi::testing::paths_of(j);
  const std::string doc = lampi::testing::summary_json_doc();
  const auto documented = lampi::testing::documented_paths(doc);
  for (const auto& key : j.items()) {
    CAPTURE(key.key());  // a top-level field the doc's table lacks
    CHECK(documented.count(key.key()) == 1);
  }
  for (const auto& path : written) {
    CAPTURE(path);  // written, not documented
    CHECK(documented.count(path) == 1);
  }
  for (const auto& path : documented) {
    CAPTURE(path);  // documented, never written
    CHECK(written.count(path) == 1);
  }
  for (const auto& path : lampi::testing::paths_of(lampi::testing::documented_example(doc))) {
    CAPTURE(path);  // the example shows a field the tables do not have
    CHECK(documented.count(path) == 1);
  }
}
