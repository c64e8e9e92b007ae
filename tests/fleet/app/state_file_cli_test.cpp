// run.state_file from the command line: a fleet stopped and started again comes back as
// real lamps do after a power cut, with the colours they had; a bad file stops the run
// before anything connects, and --fresh is the way past it.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "fleet/broker/mosquitto_process.hpp"
#include "tests/fleet/app/cli_runner.hpp"
#include "tests/support/read_text.hpp"

using namespace lampi::testing;

namespace {

std::string short_run(const lampi::fleet::MosquittoProcess& broker, const std::string& state,
                      const std::string& extra = "") {
  return fmt::format(
      "run -n 3 -d 2s -p idle --report \"\" --metrics-listen \"\" -b mqtt://127.0.0.1:{} "
      "--state-file {} {}",
      broker.port(), state, extra);
}

}  // namespace

TEST_CASE("a restarted fleet powers its lamps on with the state they stored") {
  TempDir dir;
  const std::string state = (dir.path / "lamps.json").string();
  {
    auto first = lampi::fleet::MosquittoProcess::start({});
    auto r = run_cli(short_run(first, state));
    CAPTURE(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.output, "No lamp state in " + state + " yet: every lamp starts anew"));
  }
  // As if lamp 1's person had dimmed it to 0.42 and chosen a colour before the power cut.
  auto j = nlohmann::json::parse(read_text(state));
  REQUIRE(j["lamps"].size() == 3);
  auto& lamp = j["lamps"]["1e0000000001"];
  lamp["brightness"] = {42, 0};
  lamp["h"] = {25, 0};
  lamp["client_json"] = "\"web\"";
  // Its retained lamp/changed was the old state: the lamp replays it, then lamp_service
  // publishes the stored one.
  std::ofstream(state) << j.dump();

  // A fresh broker: what lamp 1 says first is what it stored, not an old retained copy.
  auto second = lampi::fleet::MosquittoProcess::start({});
  const std::string heard = (dir.path / "heard.txt").string();
  auto r = run_shell(fmt::format(
      "(timeout 20 mosquitto_sub -p {} -t devices/1e0000000001/lamp/changed -C 3 -W 15 > {} &) "
      "&& sleep 0.5 && {} {}",
      second.port(), heard, tool_command(), short_run(second, state)));
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "Restored 3 lamps' state from " + state));
  const std::string said = read_text(heard);
  CAPTURE(said);
  CHECK(contains(said, "\"brightness\": 0.42"));
  CHECK(contains(said, "\"h\": 0.25"));
  CHECK(contains(said, "\"client\": \"web\""));
  // And the run's end saved it again, for the next.
  auto after = nlohmann::json::parse(read_text(state));
  CHECK(after["lamps"]["1e0000000001"]["brightness"] == nlohmann::json({42, 0}));
}

TEST_CASE("a state file that cannot be read stops the run before anything connects") {
  auto broker = lampi::fleet::MosquittoProcess::start({});
  TempDir dir;
  const std::string state = dir.write("lamps.json", "{\"lampi_fleet_state\": 1, \"lamps\": [");
  auto r = run_cli(short_run(broker, state));
  CAPTURE(r.output);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, state + ": is not JSON"));
  CHECK(contains(r.output, "or give --fresh to start every lamp anew"));
  CHECK_FALSE(broker_saw_a_client(broker));
  // --fresh: every lamp anew, and the file written over with their states.
  r = run_cli(short_run(broker, state, "--fresh"));
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "Every lamp starts anew (--fresh)"));
  CHECK(nlohmann::json::parse(read_text(state))["lamps"].size() == 3);
}

TEST_CASE("a fleet restarted mid-soak from its state file shows the cloud the same lamps") {
  // The first run's web users leave each lamp a colour of its own; the second run, started
  // from the state file, must show the cloud exactly what the first left: the same retained
  // lamp/changed of every lamp, and an accounting with no difference.
  TempDir dir;
  const std::string state = (dir.path / "lamps.json").string();
  const std::string second_json = (dir.path / "second.json").string();
  auto config =
      dir.write("web.yaml", "cloud:\n  association_delay: 300ms\n  web_sessions_per_second: 20\n");
  auto broker = lampi::fleet::MosquittoProcess::start({});
  auto retained_changed = [&] {
    auto r = run_shell(fmt::format(
        "mosquitto_sub -p {} -t 'devices/+/lamp/changed' -v --retained-only -W 3 -C 8 | sort",
        broker.port()));
    return r.output;
  };
  auto first = run_cli(
      fmt::format("run -c {} -n 8 -d 5s -p idle --cloud active --report \"\" --metrics-listen \"\" "
                  "-b mqtt://127.0.0.1:{} --state-file {}",
                  config, broker.port(), state));
  CAPTURE(first.output);
  REQUIRE(first.exit_code == 0);
  const std::string before = retained_changed();
  CAPTURE(before);
  CHECK(contains(before, "_web_client"));  // the web users left their mark
  auto second = run_cli(
      fmt::format("run -n 8 -d 3s -p idle --cloud observe --report \"\" --metrics-listen \"\" "
                  "-b mqtt://127.0.0.1:{} --state-file {} --summary-json {}",
                  broker.port(), state, second_json));
  CAPTURE(second.output);
  CHECK(second.exit_code == 0);
  CHECK(contains(second.output, "Restored 8 lamps' state from " + state));
  auto b = nlohmann::json::parse(read_text(second_json));
  CHECK(b["cloud"]["passed"] == true);
  CHECK(b["cloud"]["views_differ"] == 0);
  CHECK(retained_changed() == before);
}
