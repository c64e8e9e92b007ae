// Results are never lost: every stop signal, at any moment, ends the run the graceful
// way with its outputs; outputs that cannot be written are refused before the run; a
// report nobody asked for never fails a run; nothing is written through a link. And what
// the outputs of a real run hold: the summary JSON's times and settings, Locust's CSVs.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "fleet/broker/mosquitto_process.hpp"
#include "tests/fleet/app/cli_runner.hpp"
#include "tests/support/locust_csv.hpp"
#include "tests/support/read_text.hpp"

using namespace lampi::testing;
namespace fs = std::filesystem;

namespace {

const std::string kBin = LAMPI_FLEET_BIN;

// A 30 s run writing every output into `dir`, signalled at `moment` (see cli_runner.hpp).
Result signalled_run(const TempDir& dir, const char* signal, const char* moment) {
  return run_cli_signalled(signal, moment,
                           fmt::format("run -n 5 -d 30s --metrics-listen \"\" --summary-json "
                                       "{0}/s.json --report {0}/r.html --csv {0}/run",
                                       dir.path.string()));
}

// Locust's three files under `prefix`, each with its header.
void check_csv_files(const std::string& prefix) {
  for (auto [suffix, header] : {std::pair{"_stats.csv", &kLocustStatsHeader},
                                {"_stats_history.csv", &kLocustHistoryHeader},
                                {"_failures.csv", &kLocustFailuresHeader}}) {
    CAPTURE(prefix + suffix);
    REQUIRE(fs::exists(prefix + suffix));
    auto lines = lines_of(read_text(prefix + suffix));
    REQUIRE_FALSE(lines.empty());
    CHECK(lines[0] == *header);
  }
}

// "2026-12-01T08:00:01.123Z" as Unix seconds, to compare with the history's timestamps.
long long unix_seconds(const std::string& iso) {
  std::tm tm{};
  REQUIRE(strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) != nullptr);
  return static_cast<long long>(timegm(&tm));
}

}  // namespace

TEST_CASE("SIGHUP, as a dropped ssh session sends, ends the run gracefully with its outputs") {
  TempDir dir;
  auto r = signalled_run(dir, "HUP", "after:2");
  CAPTURE(r.output);
  CHECK(r.exit_code == 4);
  CHECK(contains(r.output, "Stopping: graceful power-off"));
  CHECK(contains(read_text(dir.path / "s.json"), "\"verdict_code\": \"interrupted\""));
  CHECK(fs::file_size(dir.path / "r.html") > 1000);
  check_csv_files((dir.path / "run").string());
  CHECK(contains(read_text(dir.path / "run_stats.csv"), "\n,Aggregated,"));
}

TEST_CASE("a stop signal while the local broker is still starting loses nothing either") {
  for (const char* signal : {"TERM", "INT", "HUP"}) {
    CAPTURE(std::string(signal));
    TempDir dir;
    auto r = signalled_run(dir, signal, "child");
    CAPTURE(r.output);
    CHECK(r.exit_code == 4);
    CHECK(fs::exists(dir.path / "s.json"));
    CHECK(fs::exists(dir.path / "r.html"));
    check_csv_files((dir.path / "run").string());
  }
}

TEST_CASE("an output that cannot be written is refused before anything connects") {
  auto broker = lampi::fleet::MosquittoProcess::start({});
  TempDir dir;
  auto victim = dir.write("victim.txt", "precious");
  fs::create_symlink(victim, dir.path / "link.html");
  fs::create_symlink(victim, dir.path / "linked_stats_history.csv");
  struct Case {
    const char* what;
    std::string flags;
    std::string fragment;
  };
  for (const auto& c : {
           Case{"a directory as the summary", "--summary-json " + dir.path.string(),
                "--summary-json (report.summary_json): cannot write " + dir.path.string() +
                    ": it is a directory"},
           Case{"a summary under /proc", "--summary-json /proc/lampi/s.json", "does not exist"},
           Case{"a report path that is a link", "--report " + (dir.path / "link.html").string(),
                "--report (report.html): cannot write " + (dir.path / "link.html").string() +
                    ": it is a symbolic link"},
           Case{"a CSV prefix in a directory that does not exist",
                "--csv " + (dir.path / "missing" / "run").string(),
                "report.csv_prefix: directory \"" + (dir.path / "missing").string() +
                    "\" does not exist"},
           Case{"a CSV file that is a link", "--csv " + (dir.path / "linked").string(),
                "--csv (report.csv_prefix): cannot write " +
                    (dir.path / "linked_stats_history.csv").string() + ": it is a symbolic link"},
       }) {
    CAPTURE(std::string(c.what));
    auto r = run_cli(fmt::format("run -n 2 -d 2s -b mqtt://127.0.0.1:{} --metrics-listen \"\" {}",
                                 broker.port(), c.flags));
    CAPTURE(r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, c.fragment));
  }
  CHECK_FALSE(broker_saw_a_client(broker));
  CHECK(read_text(victim) == "precious");
  CHECK_FALSE(fs::exists(dir.path / "linked_stats.csv"));  // refused whole, before writing any
}

TEST_CASE("an ignored signal stays ignored: nohup's SIGHUP does not stop the run") {
  TempDir dir;
  auto r = run_shell(
      fmt::format("nohup {} run -n 2 -d 3s --metrics-listen \"\" --report {}/r.html > {}/out.txt & "
                  "pid=$!; sleep 1; kill -HUP $pid; wait $pid; code=$?; cat {}/out.txt; exit $code",
                  kBin, dir.path.string(), dir.path.string(), dir.path.string()));
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);  // ran its full 3 s
  CHECK(contains(r.output, "Verdict: OK"));
}

TEST_CASE("the default report is best effort: never written through a link, never a failure") {
  TempDir dir;
  auto victim = dir.write("victim.txt", "precious");
  fs::create_symlink(victim, dir.path / "lampi-fleet-report.html");
  for (const std::string& cwd : {dir.path.string(), std::string("/proc")}) {
    CAPTURE(cwd);
    auto r = run_shell(fmt::format("cd {} && {} run -n 2 -d 2s --metrics-listen \"\"", cwd, kBin));
    CAPTURE(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, "Verdict: OK"));
    CHECK(contains(r.output, "Not writing the default HTML report"));
  }
  CHECK(read_text(victim) == "precious");
  CHECK(fs::is_symlink(dir.path / "lampi-fleet-report.html"));
}

TEST_CASE("the default report lands in the working directory, and --report \"\" writes none") {
  TempDir dir;
  auto r = run_shell(
      fmt::format("cd {} && {} run -n 2 -d 1s --metrics-listen \"\"", dir.path.string(), kBin));
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);
  CHECK(fs::file_size(dir.path / "lampi-fleet-report.html") > 1000);
  fs::remove(dir.path / "lampi-fleet-report.html");
  r = run_shell(fmt::format("cd {} && {} run -n 2 -d 1s --metrics-listen \"\" --report \"\"",
                            dir.path.string(), kBin));
  CHECK(r.exit_code == 0);
  CHECK_FALSE(contains(r.output, "Report:"));
  CHECK(fs::is_empty(dir.path));
}

TEST_CASE("a real run with --csv: Locust's three files, the JSON's times and settings agree") {
  TempDir dir;
  const std::string prefix = (dir.path / "soak").string();
  auto r = run_cli(fmt::format(
      "run -n 6 -d 3s --metrics-listen \"\" --report \"\" --summary-json {}/s.json --csv {}",
      dir.path.string(), prefix));
  CAPTURE(r.output);
  REQUIRE(r.exit_code == 0);
  check_csv_files(prefix);
  auto j = nlohmann::json::parse(read_text(dir.path / "s.json"));

  // The JSON: its own times, in UTC with milliseconds, and the settings it ran with.
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  const auto started = j["started_at"].get<std::string>(), ended = j["ended_at"].get<std::string>();
  CHECK(std::regex_match(started, iso));
  CHECK(std::regex_match(ended, iso));
  CHECK(started <= ended);  // ISO 8601 in UTC sorts as time does
  CHECK(j["local_broker"] == true);
  CHECK(j["config"]["lamps"] == 6);
  CHECK(j["config"]["run"]["duration"] == "3s");
  CHECK(j["config"]["report"]["csv_prefix"] == prefix);
  CHECK(j["config"]["metrics"]["listen"] == "");
  CHECK(j["config"]["broker"]["url"].get<std::string>().starts_with("mqtt://127.0.0.1:"));

  // _stats.csv: a row per topic published on, then the Aggregated total, as the JSON says.
  auto stats = lines_of(read_text(prefix + "_stats.csv"));
  REQUIRE(stats.size() >= 3);
  const auto& topics = j["topics"];
  std::size_t published = 0;
  for (const auto& t : topics) published += t["name"] != "Aggregated" && t["requests"] > 0;
  CHECK(stats.size() == published + 2);
  for (std::size_t i = 1; i + 1 < stats.size(); ++i) {
    auto f = csv_fields(stats[i]);
    REQUIRE(f.size() == 22);
    CHECK(f[0] == "MQTT PUBLISH");
  }
  CHECK(contains(read_text(prefix + "_stats.csv"), "MQTT PUBLISH,devices/+/lamp/changed,"));
  auto total = csv_fields(stats.back());
  REQUIRE(total.size() == 22);
  CHECK(total[1] == "Aggregated");
  CHECK(std::stoull(total[2]) == topics.back()["requests"].get<std::uint64_t>());
  CHECK(std::stoull(total[3]) == topics.back()["failures"].get<std::uint64_t>());
  CHECK(std::stod(total[4]) == topics.back()["response_ms"]["median"].get<double>());

  // _stats_history.csv: a row a second, inside the run, counts that only grow.
  auto history = lines_of(read_text(prefix + "_stats_history.csv"));
  REQUIRE(history.size() >= 2);
  unsigned long long requests_before = 0;
  for (std::size_t i = 1; i < history.size(); ++i) {
    CAPTURE(history[i]);
    auto f = csv_fields(history[i]);
    REQUIRE(f.size() == 24);
    CHECK(std::stoll(f[0]) >= unix_seconds(started));
    CHECK(std::stoll(f[0]) <= unix_seconds(ended));
    CHECK(std::stoll(f[1]) <= 6);  // lamps bridged
    CHECK(f[3] == "Aggregated");
    CHECK(std::stoull(f[17]) >= requests_before);
    requests_before = std::stoull(f[17]);
  }
  CHECK(requests_before <= std::stoull(total[2]));

  // _failures.csv: only its header when nothing failed, else a row per topic and reason.
  auto failures = lines_of(read_text(prefix + "_failures.csv"));
  CHECK((failures.size() == 1) == (topics.back()["failures"] == 0));
}
