// Merging a sharded fleet's summaries (summary_merge.cpp): the JSON read back as written,
// the shards added up exactly as if one process had held every lamp, and every way a set
// of files can fail to be one fleet named.
#include "fleet/report/summary_merge.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "fleet/config/config_loader.hpp"
#include "fleet/report/summary_json.hpp"
#include "tests/fleet/report/three_shards.hpp"

using namespace lampi::fleet;
using lampi::testing::ThreeShards;
using namespace std::chrono_literals;

namespace {

std::chrono::system_clock::time_point at_second(int s) {
  using namespace std::chrono;
  return sys_days{year{2026} / December / 1} + 8h + seconds(s);
}

// ThreeShards' three FleetStats as three processes of one 30-lamp fleet, each run summarized
// and written as its --summary-json would be.
struct ThreeProcesses {
  ThreeShards t;
  std::atomic<bool> not_saturated{false};
  std::vector<ShardSummary> files;

  ThreeProcesses() {
    for (std::size_t i = 0; i < 3; ++i) {
      FleetConfig c = t.fleet.config;
      c.shard = {.index = i, .count = 3};
      FleetStatsView one(c, {&t.fleet.shard(i)}, not_saturated);
      RunSummary s = summarize(one, {.started_at = at_second(static_cast<int>(i)),
                                     .ended_at = at_second(static_cast<int>(i) + 10),
                                     .seconds = 10.0,
                                     .planned_seconds = 10.0,
                                     .bridged_peak = 10,
                                     .bridged_at_end = 10,
                                     .hatched_at_end = 10});
      judge_slos(s, c.slo);
      const std::string name = "shard-" + std::to_string(i) + ".json";
      files.push_back({name, read_summary_json(render_json(s), name)});
    }
  }
};

// "" when equal, else the first line that differs in each.
std::string first_different_line(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string la, lb;
  for (int n = 1;; ++n) {
    bool more_a = static_cast<bool>(std::getline(x, la)),
         more_b = static_cast<bool>(std::getline(y, lb));
    if (!more_a && !more_b) return "";
    if (more_a != more_b || la != lb)
      return "line " + std::to_string(n) + ": " + (more_a ? la : "(end)") + " | " +
             (more_b ? lb : "(end)");
  }
}

std::string merge_error(std::vector<ShardSummary> files) {
  try {
    merge_summaries(files);
  } catch (const SummaryError& e) {
    return e.what();
  }
  return "(merged)";
}

}  // namespace

TEST_CASE("a summary JSON reads back as what was written: rendered again, the same bytes") {
  ThreeShards t;
  t.fleet.config.slo.p95_response_seconds = 0.2;
  BrokerEvents events{Outage{4, 7.0, 27, 3}, Stall{8, 3, 27}};
  RunSummary s = summarize(t.fleet.view(), {.started_at = at_second(0),
                                            .ended_at = at_second(12),
                                            .seconds = 12.0,
                                            .planned_seconds = 10.0,
                                            .bridged_peak = 27,
                                            .bridged_at_end = 20,
                                            .hatched_at_end = 30,
                                            .broker_events = events});
  judge_slos(s, t.fleet.config.slo);
  s.warnings.push_back("a warning");
  const std::string json = render_json(s);
  CHECK(first_different_line(render_json(read_summary_json(json, "run.json")), json) == "");
}

TEST_CASE("three shards merged are the fleet one process would have summarized") {
  ThreeProcesses p;
  RunSummary m = merge_summaries(p.files);
  // The same stats, one process holding all three.
  FleetConfig whole = p.t.fleet.config;
  RunSummary one = summarize(p.t.fleet.view(), {.seconds = 12.0,
                                                .planned_seconds = 10.0,
                                                .bridged_peak = 30,
                                                .bridged_at_end = 30,
                                                .hatched_at_end = 30});
  CHECK(m.lamps == 30);
  CHECK(m.lamps_bridged_peak == 30);
  CHECK(m.lamps_bridged_at_end == 30);
  CHECK(m.connect_attempts == one.connect_attempts);
  CHECK(m.connects == one.connects);
  CHECK(m.reconnects == one.reconnects);
  CHECK(m.disconnects == one.disconnects);
  CHECK(m.set_config_invalid == one.set_config_invalid);
  CHECK(m.service_crashes == one.service_crashes);
  CHECK(m.bridge_queued == one.bridge_queued);
  CHECK(m.timeouts == one.timeouts);
  CHECK(m.unacked_at_end == one.unacked_at_end);
  CHECK(m.unsent_at_stop == one.unsent_at_stop);
  REQUIRE(m.rows.size() == one.rows.size());
  for (std::size_t r = 0; r < m.rows.size(); ++r) {
    CAPTURE(one.rows[r].name);
    CHECK(m.rows[r].name == one.rows[r].name);
    CHECK(m.rows[r].requests == one.rows[r].requests);
    CHECK(m.rows[r].failures_by_reason == one.rows[r].failures_by_reason);
    CHECK(m.rows[r].received == one.rows[r].received);
    // Exact, from the added-up buckets: never an average of the shards' percentiles.
    CHECK(m.rows[r].latency.nonempty_buckets() == one.rows[r].latency.nonempty_buckets());
    CHECK(m.rows[r].p95_ms == one.rows[r].p95_ms);
    CHECK(m.rows[r].p99_ms == one.rows[r].p99_ms);
    CHECK(m.rows[r].median_ms == one.rows[r].median_ms);
    CHECK(m.rows[r].average_ms == doctest::Approx(one.rows[r].average_ms));
  }
  CHECK(m.total.requests == one.total.requests);
  CHECK(m.total.p95_ms == one.total.p95_ms);
  CHECK(m.verdict.code == one.verdict.code);
  // The shards ran from 08:00:00 to 08:00:12, each ten seconds, staggered.
  CHECK(m.started_at == at_second(0));
  CHECK(m.ended_at == at_second(12));
  CHECK(m.seconds == doctest::Approx(12.0));
  REQUIRE(m.merged_from.size() == 3);
  CHECK(m.merged_from[2].index == 2);
  CHECK(m.merged_from[2].source == "shard-2.json");
  CHECK_FALSE(m.config.shard.index.has_value());
  CHECK(m.config.shard.count == 3);
  // Written and read again, a merge keeps its shards: a second merge of it is refused.
  auto again = read_summary_json(render_json(m), "merged.json");
  CHECK(again.merged_from.size() == 3);
  CHECK(merge_error({{"merged.json", again}}).find("is a merged summary already") !=
        std::string::npos);
}

TEST_CASE("the order the files come in does not matter") {
  ThreeProcesses p;
  std::vector<ShardSummary> reversed(p.files.rbegin(), p.files.rend());
  CHECK(render_json(merge_summaries(reversed)) != "");
  CHECK(render_table(merge_summaries(reversed)) == render_table(merge_summaries(p.files)));
}

TEST_CASE("one shard's troubles are the fleet's: any generator saturated makes it INVALID") {
  ThreeProcesses p;
  p.files[1].summary.steady_lag_p99_ms = 250;
  p.files[1].summary.schedule_lag_p99_ms = 250;
  RunSummary m = merge_summaries(p.files);
  CHECK(m.verdict.code == VerdictCode::generator_saturated);
  CHECK(m.schedule_lag_p99_ms == 250);

  ThreeProcesses q;
  q.files[2].summary.interrupted = true;
  CHECK(merge_summaries(q.files).verdict.code == VerdictCode::interrupted);
}

TEST_CASE("lamps that never bridged on one shard make the fleet NOT CONNECTED") {
  ThreeProcesses p;
  p.files[0].summary.lamps_bridged_at_end = 0;  // 20 of 30 bridged: under 99%
  RunSummary m = merge_summaries(p.files);
  CHECK(m.verdict.code == VerdictCode::not_connected);
  CHECK(m.exit_code() == kExitNotConnected);
}

TEST_CASE("an outage on the shards is one outage of the fleet, on the fleet's clock") {
  ThreeProcesses p;  // the shards started at 08:00:00, :01 and :02
  p.files[0].summary.broker_events.outage = Outage{5, 9.0, 10, 0};
  p.files[2].summary.broker_events.outage = Outage{4, 11.0, 10, 2};  // 6 s and 13 s in
  p.files[1].summary.broker_events.stall = Stall{3, 4, 10};          // 4 s in
  RunSummary m = merge_summaries(p.files);
  REQUIRE(m.broker_events.outage);
  CHECK(m.broker_events.outage->start_s == 5);
  CHECK(m.broker_events.outage->recovered_s == 13.0);
  // Shard 1 saw none: its 10 lamps stayed bridged, and count in both.
  CHECK(m.broker_events.outage->bridged_before == 30);
  CHECK(m.broker_events.outage->bridged_lowest == 12);
  REQUIRE(m.broker_events.stall);
  CHECK(m.broker_events.stall->start_s == 4);
  CHECK(m.verdict.code == VerdictCode::outage);
  p.files[1].summary.broker_events.outage = Outage{6, std::nullopt, 10, 0};
  CHECK_FALSE(merge_summaries(p.files).broker_events.outage->recovered_s);
}

TEST_CASE("the fleet's request rate is the shards' rates added up, as they ran side by side") {
  ThreeProcesses p;
  RunSummary m = merge_summaries(p.files);
  double sum = 0;
  for (const auto& f : p.files) sum += f.summary.total.rate_per_s;
  CHECK(m.total.rate_per_s == doctest::Approx(sum));
  CHECK(m.total.rate_per_s == doctest::Approx(static_cast<double>(m.total.requests) / 10.0));
}

TEST_CASE("files that are not every shard of one fleet, once, are refused by name") {
  ThreeProcesses p;
  CHECK(merge_error({p.files[0], p.files[2]}) ==
        "shard 1 of 3 is missing: merged 2 of 3 summaries; a fleet's verdict needs every "
        "shard's");
  CHECK(merge_error({p.files[0]}).starts_with("shards 1, 2 of 3 are missing"));
  CHECK(merge_error({p.files[0], p.files[1], p.files[1]}) ==
        "shard-1.json and shard-1.json are both shard 1 of 3: give each shard's summary once");
  auto other = p.files;
  other[2].summary.config.lamps = 33;
  CHECK(merge_error(other) ==
        "shard-2.json: config.lamps is 33, but 30 in shard-0.json: these are not shards of one "
        "fleet");
  other = p.files;
  other[1].summary.config.seed = 7;
  CHECK(merge_error(other).starts_with("shard-1.json: config.run.seed is 7, but 1"));
  // What each process sets for itself may differ.
  auto own = p.files;
  own[1].summary.config.threads = 4;
  own[2].summary.config.summary_json = "elsewhere.json";
  own[2].summary.config.state_file = "shard-2-lamps.json";
  own[2].summary.config.metrics_listen.reset();
  own[0].summary.config.broker = parse_broker_url("mqtt://127.0.0.2:1883");
  CHECK(merge_error(own) == "(merged)");
  CHECK(merge_error({}) == "no summaries to merge");
}

TEST_CASE("a file that is not a summary this build can add up is named with its field") {
  ThreeProcesses p;
  auto j = nlohmann::json::parse(render_json(p.files[0].summary));
  auto error = [](const nlohmann::json& doc) {
    try {
      read_summary_json(doc.dump(), "bad.json");
    } catch (const SummaryError& e) {
      return std::string(e.what());
    }
    return std::string("(read)");
  };
  CHECK(error(j) == "(read)");
  auto newer = j;
  newer["disconnects"]["cosmic_rays"] = 1;
  CHECK(error(newer).starts_with("bad.json: disconnects.cosmic_rays: is not known"));
  auto older = j;
  older["disconnects"].erase("tls_alert");  // older builds had fewer reasons: none counted
  CHECK(error(older) == "(read)");
  auto negative = j;
  negative["connects"] = -3;
  CHECK(error(negative) == "bad.json: connects: expected a whole number, not negative; got -3");
  const std::size_t last = j["topics"].size() - 1;  // the total: every row's response times
  const std::string total = "topics[" + std::to_string(last) + "].latency_histogram";
  REQUIRE(j["topics"][last]["latency_histogram"]["buckets"].size() > 1);
  auto odd_bucket = j;
  odd_bucket["topics"][last]["latency_histogram"]["buckets"][0][0] = 130;  // 129, 131 are
  CAPTURE(error(odd_bucket));
  CHECK(error(odd_bucket).find(total + ": upper bound 130 us is not a bucket") !=
        std::string::npos);
  auto short_count = j;
  short_count["topics"][last]["latency_histogram"]["count"] = 1;
  CHECK(error(short_count).find("its buckets do not add up to its count") != std::string::npos);
  auto odd_reason = j;
  odd_reason["topics"][0]["failures_by_reason"]["gremlins"] = 1;
  CHECK(error(odd_reason) ==
        "bad.json: topics[0].failures_by_reason.gremlins: is not known to this lampi-fleet (a "
        "newer one wrote it?); merge with the build that ran the shards");
  auto null_counts = j;
  null_counts["disconnects"] = nullptr;
  CHECK(error(null_counts) ==
        "bad.json: disconnects: expected an object of counts by name; got null");
  auto negative_bucket = j;
  negative_bucket["topics"][last]["latency_histogram"]["buckets"][0][1] = -1;
  CHECK(error(negative_bucket).find("expected [upper_us, count] pairs") != std::string::npos);
  auto odd_warning = j;
  odd_warning["warnings"] = nlohmann::json::array({7});
  CHECK(error(odd_warning) == "bad.json: warnings: expected strings; got 7");
  auto odd_time = j;
  odd_time["started_at"] = "2026-12-01T08:00:00.5Z";
  CHECK(error(odd_time).starts_with("bad.json: started_at: expected a UTC time"));
  odd_time["started_at"] = "2026-12-01T08:00:00.500Zjunk";
  CHECK(error(odd_time).starts_with("bad.json: started_at: expected a UTC time"));
  auto missing = j;
  missing.erase("started_at");
  CHECK(error(missing) == "bad.json: started_at: missing");
  CHECK(error(nlohmann::json::object({{"hello", 1}})).find("is not a lampi-fleet summary") !=
        std::string::npos);
  try {
    read_summary_json("{\"lampi_fleet\": ", "cut.json");
    FAIL("read a cut-off file");
  } catch (const SummaryError& e) {
    CHECK(std::string(e.what()).starts_with("cut.json: is not JSON"));
  }
}

namespace {

// One shard's cloud accounting: `lost` acknowledged messages of one lamp never arrived.
CloudAccounting shard_cloud(std::size_t shard, std::uint64_t lost) {
  CloudAccounting a;
  a.mode = CloudMode::active;
  a.lamps = a.lamps_consistent = 10;
  a.acknowledged = 100 * (shard + 1);
  a.received = a.acknowledged - lost;
  a.commands_sent = a.commands_answered = 5;
  a.wills_expected = a.wills_seen = 10;
  a.round_trip.record(1000 * static_cast<std::int64_t>(shard + 1));
  if (lost > 0) {
    a.lost = lost;
    a.lamps_consistent = 9;
    a.differences_total = a.unexplained = 1;
    a.differences.push_back(
        {"1e0000000003", std::to_string(lost) + " acknowledged messages never reached the cloud",
         false});
  }
  return a;
}

}  // namespace

TEST_CASE("the shards' cloud accountings and faults add up, and one shard's loss is the fleet's") {
  ThreeProcesses p;
  for (std::size_t i = 0; i < 3; ++i) {
    RunSummary s = p.files[i].summary;
    s.cloud = shard_cloud(i, i == 1 ? 2 : 0);
    s.lamps_cycled = i;
    s.faults.push_back({.event = {.at = Seconds(10), .kind = FaultKind::kill, .share = 0.2},
                        .lamps = 2,
                        .recovered_after_s = 3.0 + static_cast<double>(i)});
    s.verdict = judge_run(s);
    p.files[i].summary = read_summary_json(render_json(s), p.files[i].source);
  }
  CHECK(p.files[1].summary.verdict.code == VerdictCode::cloud_mismatch);
  RunSummary m = merge_summaries(p.files);
  REQUIRE(m.cloud);
  CHECK(m.cloud->lamps == 30);
  CHECK(m.cloud->lamps_consistent == 29);
  CHECK(m.cloud->acknowledged == 600);
  CHECK(m.cloud->lost == 2);
  CHECK(m.cloud->round_trip.count() == 3);
  CHECK(m.cloud->commands_answered == 15);
  REQUIRE(m.cloud->differences.size() == 1);
  CHECK(m.cloud->first_unexplained ==
        "lamp 1e0000000003: 2 acknowledged messages never reached the cloud");
  CHECK(m.verdict.code == VerdictCode::cloud_mismatch);
  CHECK(m.lamps_cycled == 3);
  REQUIRE(m.faults.size() == 1);
  CHECK(m.faults[0].lamps == 6);
  REQUIRE(m.faults[0].recovered_after_s);
  CHECK(*m.faults[0].recovered_after_s == 5.0);  // the slowest shard's
}
