// The verdict of whole runs that went wrong, as a user meets them: words on the terminal,
// the JSON, the report and the exit code, with every output written.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "fleet/broker/mosquitto_process.hpp"
#include "tests/fleet/app/cli_runner.hpp"
#include "tests/support/read_text.hpp"

using namespace lampi::testing;

namespace {

// A loopback port that nothing listens on: bound once to learn a free number, then closed.
int closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  close(fd);
  return ntohs(a.sin_port);
}

struct Outputs {
  TempDir dir;
  std::string json() const { return (dir.path / "summary.json").string(); }
  std::string html() const { return (dir.path / "report.html").string(); }
  std::string args() const {
    return fmt::format("--metrics-listen \"\" --summary-json {} --report {}", json(), html());
  }
  nlohmann::json summary() const { return nlohmann::json::parse(read_text(json())); }
  std::string report() const { return read_text(html()); }
};

}  // namespace

TEST_CASE("nothing listening: NOT CONNECTED in every output, exit 3") {
  Outputs out;
  auto r =
      run_cli(fmt::format("run -n 5 -d 3s -b mqtt://127.0.0.1:{} {}", closed_port(), out.args()));
  CAPTURE(r.output);
  CHECK(r.exit_code == 3);
  CHECK(contains(r.output, "Verdict: NOT CONNECTED: 0 of 5 lamps ever bridged"));
  CHECK_FALSE(contains(r.output, "Verdict: OK"));
  auto j = out.summary();
  CHECK(j["verdict_code"] == "not_connected");
  CHECK(j["valid"] == false);
  CHECK(j["aborted"] == false);
  CHECK(j["lamps_hatched_at_end"] == 5);
  CHECK(j["lamps_bridged_at_end"] == 0);
  CHECK(j["lamps_bridged_peak"] == 0);
  CHECK(contains(out.report(), "NOT CONNECTED"));
  CHECK(contains(out.report(), "verdict-invalid"));
}

TEST_CASE("a broker that refuses every client: NOT CONNECTED, exit 3") {
  lampi::fleet::MosquittoOptions o;
  o.extra_config_lines = {"allow_anonymous false"};
  auto broker = lampi::fleet::MosquittoProcess::start(o);
  Outputs out;
  auto r =
      run_cli(fmt::format("run -n 4 -d 3s -b mqtt://127.0.0.1:{} {}", broker.port(), out.args()));
  CAPTURE(r.output);
  CHECK(r.exit_code == 3);
  CHECK(contains(r.output, "Verdict: NOT CONNECTED: 0 of 4 lamps ever bridged"));
  CHECK(contains(r.output, "refused x4"));
  auto j = out.summary();
  CHECK(j["verdict_code"] == "not_connected");
  CHECK(j["disconnects"]["refused"] == 4);  // each got to the broker and was turned away
}

TEST_CASE("a signal before the planned duration: INTERRUPTED, exit 4, every output written") {
  Outputs out;
  // The tool starts its own mosquitto; the shell stops the run 2 s into its 30.
  auto r = run_cli(fmt::format(
      "run -n 5 -d 30s {} & pid=$!; sleep 2; kill -TERM $pid; wait $pid; exit $?", out.args()));
  CAPTURE(r.output);
  CHECK(r.exit_code == 4);
  CHECK(contains(r.output, "Verdict: INTERRUPTED: stopped by a signal after"));
  CHECK(contains(r.output, "of 30 s; until then the broker kept up"));
  auto j = out.summary();
  CHECK(j["verdict_code"] == "interrupted");
  CHECK(j["aborted"] == true);
  CHECK(j["valid"] == false);
  CHECK(j["planned_seconds"] == 30.0);
  CHECK(j["seconds"].get<double>() < 30.0);
  CHECK(j["lamps_bridged_at_end"] == 5);
  CHECK(contains(out.report(), "INTERRUPTED"));
}

TEST_CASE("a run without a duration ends by a signal, and that is not an interruption") {
  Outputs out;
  auto r = run_cli(fmt::format(
      "run -n 5 -d 0s {} & pid=$!; sleep 2; kill -INT $pid; wait $pid; exit $?", out.args()));
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "Verdict: OK"));
  auto j = out.summary();
  CHECK(j["aborted"] == false);
  CHECK(j["planned_seconds"] == 0.0);
  CHECK(j["valid"] == true);
}
