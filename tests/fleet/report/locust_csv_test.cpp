// Locust's CSV files from a run: byte for byte for a three-second sample (the numbers worked
// out by hand from its samples, see sample_run.hpp), Locust 2.x's column names to the
// letter, the Aggregated row, and the files written whole or reported.
#include "fleet/report/locust_csv.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/fleet/report/sample_run.hpp"
#include "tests/support/locust_csv.hpp"
#include "tests/support/read_text.hpp"
#include "tests/support/temp_dir.hpp"

using namespace lampi::fleet;
namespace fs = std::filesystem;

using lampi::testing::csv_fields;
using lampi::testing::kLocustFailuresHeader;
using lampi::testing::kLocustHistoryHeader;
using lampi::testing::kLocustStatsHeader;
using lampi::testing::lines_of;
using lampi::testing::TempDir;

TEST_CASE("the three-second sample's CSV files, byte for byte") {
  const auto sample = lampi::testing::short_sample();
  // Times in ms to the microsecond; percentiles are the histogram's bucket edges (at most
  // 1/64 above the sample, never above the maximum): 2000 us reads 2.015, 620000 us 620.
  CHECK(render_stats_csv(sample.summary) ==
        kLocustStatsHeader + "\n" +
            "MQTT PUBLISH,devices/+/lamp/changed,10,3,2.015,79.4,0.9,620,N/A,3.333,1,"
            "2.015,3.103,3.103,4.031,620,620,620,620,620,620,620\n"
            "MQTT PUBLISH,devices/+/lamp/connection/lamp_service/state,4,0,0.403,0.475,0.3,0.7,"
            "N/A,1.333,0,0.403,0.503,0.503,0.7,0.7,0.7,0.7,0.7,0.7,0.7,0.7\n"
            ",Aggregated,14,3,1.215,53.092,0.3,620,N/A,4.667,1,"
            "1.215,2.015,2.527,3.103,4.031,620,620,620,620,620,620\n");
  // One row a second: 08:00:01.25 is 1796112001 s; the third second had no PUBACK.
  CHECK(render_stats_history_csv(sample.summary, sample.timeline) ==
        kLocustHistoryHeader + "\n" +
            "1796112001,3,,Aggregated,6,0,0.903,1.215,1.503,1.503,2,2,2,2,2,2,2,"
            "6,0,0.903,1.05,0.3,2,N/A\n"
            "1796112002,4,,Aggregated,6,1,2.527,3.103,4.031,4.031,620,620,620,620,620,620,620,"
            "12,1,1.215,53.092,0.3,620,N/A\n"
            "1796112003,3,,Aggregated,2,2,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,"
            "14,3,1.215,53.092,0.3,620,N/A\n");
  CHECK(render_failures_csv(sample.summary) ==
        kLocustFailuresHeader + "\n" +
            "MQTT PUBLISH,devices/+/lamp/changed,"
            "Timeout: no PUBACK within 500ms (workload.response_timeout),2\n"
            "MQTT PUBLISH,devices/+/lamp/changed,Not sent: the lamp's connection was down,1\n");
}

TEST_CASE("the Aggregated row comes last, untyped, and adds up the topics' rows") {
  const auto sample = lampi::testing::short_sample();
  auto lines = lines_of(render_stats_csv(sample.summary));
  REQUIRE(lines.size() == 4);
  CHECK(lines.front() == kLocustStatsHeader);
  std::uint64_t requests = 0, failures = 0;
  for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
    auto f = csv_fields(lines[i]);
    REQUIRE(f.size() == 22);
    CHECK(f[0] == kPublishType);
    requests += std::stoull(f[2]);
    failures += std::stoull(f[3]);
  }
  auto total = csv_fields(lines.back());
  REQUIRE(total.size() == 22);
  CHECK(total[0].empty());  // as Locust's total, which has no method
  CHECK(total[1] == "Aggregated");
  CHECK(std::stoull(total[2]) == requests);
  CHECK(std::stoull(total[3]) == failures);
  // set_config was only received: not a request, so not a row (its count is in the JSON).
  CHECK(render_stats_csv(sample.summary).find("set_config") == std::string::npos);
  // The failures file's occurrences are the Aggregated row's failures, by topic and reason.
  std::uint64_t occurrences = 0;
  auto failure_lines = lines_of(render_failures_csv(sample.summary));
  for (std::size_t i = 1; i < failure_lines.size(); ++i)
    occurrences += std::stoull(csv_fields(failure_lines[i]).back());
  CHECK(occurrences == failures);
}

TEST_CASE("a run with nothing measured: headers, an Aggregated row of N/A, no failures") {
  RunSummary empty;
  auto stats = lines_of(render_stats_csv(empty));
  REQUIRE(stats.size() == 2);
  CHECK(stats[1] ==
        ",Aggregated,0,0,N/A,N/A,N/A,N/A,N/A,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,"
        "N/A,N/A");
  CHECK(render_stats_history_csv(empty, {}) == kLocustHistoryHeader + "\n");
  CHECK(render_failures_csv(empty) == kLocustFailuresHeader + "\n");
}

TEST_CASE("the half-hour sample: a history row for every second, each of Locust's width") {
  auto summary = lampi::testing::sample_summary();
  summary.started_at = lampi::testing::short_sample_start();
  auto lines = lines_of(render_stats_history_csv(summary, lampi::testing::sample_timeline()));
  REQUIRE(lines.size() == lampi::testing::kSampleSeconds + 1);
  CHECK(lines[0] == kLocustHistoryHeader);
  long long previous = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto f = csv_fields(lines[i]);
    REQUIRE(f.size() == 24);
    CHECK(std::stoll(f[0]) > previous);  // a second apart, so each timestamp its own
    previous = std::stoll(f[0]);
    CHECK(f[3] == "Aggregated");
    // No PUBACK in the first seconds and mid-outage: no percentile then, not 0 ms.
    CHECK((f[6] == "N/A") == !lampi::testing::sample_has_latency(static_cast<int>(i) - 1));
  }
}

TEST_CASE("a field with a comma or a quote is quoted as RFC 4180 says") {
  RunSummary s;
  TopicRow odd;
  odd.name = "odd,topic \"x\"";
  odd.requests = 1;
  odd.failures_by_reason[static_cast<std::size_t>(FailureReason::not_sent)] = 1;
  s.rows.push_back(odd);
  CHECK(lines_of(render_stats_csv(s)).at(1).starts_with("MQTT PUBLISH,\"odd,topic \"\"x\"\"\",1,"));
  CHECK(lines_of(render_failures_csv(s)).at(1) ==
        "MQTT PUBLISH,\"odd,topic \"\"x\"\"\",Not sent: the lamp's connection was down,1");
}

TEST_CASE("the files are PREFIX_stats.csv, PREFIX_stats_history.csv and PREFIX_failures.csv") {
  TempDir dir;
  const auto sample = lampi::testing::short_sample();
  const std::string prefix = (dir.path / "soak").string();
  CHECK(locust_csv_paths(prefix) == std::array<std::string, 3>{prefix + "_stats.csv",
                                                               prefix + "_stats_history.csv",
                                                               prefix + "_failures.csv"});
  write_locust_csv(prefix, sample.summary, sample.timeline);
  CHECK(lampi::testing::read_text(prefix + "_stats.csv") == render_stats_csv(sample.summary));
  CHECK(lampi::testing::read_text(prefix + "_stats_history.csv") ==
        render_stats_history_csv(sample.summary, sample.timeline));
  CHECK(lampi::testing::read_text(prefix + "_failures.csv") == render_failures_csv(sample.summary));

  // A link in the way is not written through, and the other two files are still written.
  fs::remove(prefix + "_stats.csv");
  fs::create_symlink(dir.path / "victim", prefix + "_stats.csv");
  fs::remove(prefix + "_failures.csv");
  try {
    write_locust_csv(prefix, sample.summary, sample.timeline);
    FAIL("a symbolic link was written through");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find(prefix + "_stats.csv: it is a symbolic link") !=
          std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir.path / "victim"));
  CHECK(fs::exists(prefix + "_failures.csv"));

  // A missing directory: every file is named in the error.
  try {
    write_locust_csv((dir.path / "missing" / "soak").string(), sample.summary, sample.timeline);
    FAIL("wrote into a missing directory");
  } catch (const std::runtime_error& e) {
    for (const char* suffix : kCsvSuffixes) {
      CAPTURE(std::string(suffix));
      CHECK(std::string(e.what()).find("soak" + std::string(suffix)) != std::string::npos);
    }
  }
}
