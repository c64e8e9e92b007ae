// Results are never lost: every stop signal, at any moment, ends the run the graceful
// way with its outputs; outputs that cannot be written are refused before the run; a
// report nobody asked for never fails a run; nothing is written through a link.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <string>

#include "fleet/broker/mosquitto_process.hpp"
#include "tests/fleet/app/cli_runner.hpp"
#include "tests/support/read_text.hpp"

using namespace lampi::testing;
namespace fs = std::filesystem;

namespace {

const std::string kBin = LAMPI_FLEET_BIN;

// A 30 s run writing both outputs into `dir`, signalled at `moment` (see cli_runner.hpp).
Result signalled_run(const TempDir& dir, const char* signal, const char* moment) {
  return run_cli_signalled(signal, moment,
                           fmt::format("run -n 5 -d 30s --metrics-listen \"\" --summary-json "
                                       "{}/s.json --report {}/r.html",
                                       dir.path.string(), dir.path.string()));
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
  }
}

TEST_CASE("an output that cannot be written is refused before anything connects") {
  auto broker = lampi::fleet::MosquittoProcess::start({});
  TempDir dir;
  auto victim = dir.write("victim.txt", "precious");
  fs::create_symlink(victim, dir.path / "link.html");
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
