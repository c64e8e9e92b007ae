// The cloud stand-in as a user meets it: `--cloud active` on the local mosquitto, and a
// broker that acknowledges what it never delivers, told as CLOUD MISMATCH with exit 7.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "fleet/broker/mosquitto_process.hpp"
#include "tests/fleet/app/cli_runner.hpp"
#include "tests/support/broker_files.hpp"
#include "tests/support/read_text.hpp"

using namespace lampi::testing;

TEST_CASE("--cloud active on the tool's own mosquitto: lamps associated, commands timed, OK") {
  TempDir dir;
  auto json = (dir.path / "s.json").string();
  auto html = (dir.path / "r.html").string();
  // Users type the code half a second after it shows; five web drags a second.
  auto config =
      dir.write("fleet.yaml", "cloud:\n  association_delay: 500ms\n  web_sessions_per_second: 5\n");
  auto r = run_cli(
      fmt::format("run -c {} -n 10 -d 6s --hatch-rate 100 --cloud active --metrics-listen \"\" "
                  "--summary-json {} --report {}",
                  config, json, html));
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "Cloud stand-in (active): associating lamps, web users moving sliders"));
  CHECK(contains(r.output, "Cloud (active): 10 of 10 lamps consistent"));
  CHECK(contains(r.output, "associations 10 started, 10 completed"));
  CHECK(contains(r.output, "Verdict: OK"));
  auto j = nlohmann::json::parse(read_text(json));
  const auto& c = j["cloud"];
  CHECK(c["mode"] == "active");
  CHECK(c["passed"] == true);
  CHECK(c["lamps_consistent"] == 10);
  CHECK(c["lost"] == 0);
  CHECK(c["wills_missing"] == 0);
  CHECK(c["commands_sent"].get<int>() > 0);
  CHECK(c["commands_answered"] == c["commands_sent"]);
  CHECK(c["round_trip"]["count"] == c["commands_answered"]);
  CHECK(c["differences"].empty());
  CHECK(j["config"]["cloud"]["mode"] == "active");
  auto report = read_text(html);
  CHECK(contains(report, "<section id=\"cloud\"><h2>Cloud (active)</h2>"));
  CHECK(contains(report, "Every lamp accounted for."));
}

TEST_CASE("a broker that drops one lamp's messages: CLOUD MISMATCH naming the lamp, exit 7") {
  TempDir dir;
  std::ofstream(dir.path / "acl") << "topic readwrite #\ntopic readwrite $SYS/#\n"
                                  << "topic deny devices/1e0000000002/#\n";
  open_to_broker(dir.path);
  lampi::fleet::MosquittoOptions o;
  o.extra_config_lines = {"allow_anonymous true", "acl_file " + (dir.path / "acl").string()};
  auto broker = lampi::fleet::MosquittoProcess::start(o);
  auto json = (dir.path / "s.json").string();
  auto r = run_cli(fmt::format(
      "run -n 5 -d 4s --hatch-rate 100 -b mqtt://127.0.0.1:{} --cloud observe --metrics-listen "
      "\"\" --report \"\" --summary-json {} --profile idle",
      broker.port(), json));
  CAPTURE(r.output);
  CHECK(r.exit_code == 7);
  CHECK(contains(r.output, "Verdict: CLOUD MISMATCH: "));
  CHECK(contains(r.output, "first lamp 1e0000000002: "));
  CHECK(contains(r.output, "never reached the cloud"));
  CHECK(contains(r.output, "Cloud (observe): 4 of 5 lamps consistent"));
  auto j = nlohmann::json::parse(read_text(json));
  CHECK(j["verdict_code"] == "cloud_mismatch");
  CHECK(j["cloud"]["passed"] == false);
  CHECK(j["cloud"]["lost"].get<int>() > 0);
  CHECK(j["cloud"]["differences"][0]["lamp"] == "1e0000000002");
  CHECK(j["cloud"]["differences"][0]["explained"] == false);
}

TEST_CASE("a cloud stand-in without a plain listener to go to is refused before anything starts") {
  auto r = run_cli("validate -n 3 -b mqtts://127.0.0.1:8883 --cloud observe");
  CAPTURE(r.output);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "cloud.url"));
  CHECK(contains(r.output, "mqtt://127.0.0.1:50001"));
  auto bad = run_cli("validate -n 3 --cloud sometimes");
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.output, "--cloud"));
  CHECK(contains(bad.output, "must be off, active or observe"));
}

TEST_CASE("lampi-fleet cloud on its own associates a fleet that runs in another process") {
  auto broker = lampi::fleet::MosquittoProcess::start({});
  TempDir dir;
  auto config = dir.write("cloud.yaml",
                          "cloud:\n  association_delay: 300ms\n  web_sessions_per_second: 10\n");
  const std::string cloud_log = (dir.path / "cloud.log").string();
  // The stand-in first, for 9 s; the lamps, in their own process, for 5 s within them.
  auto r = run_shell(fmt::format(
      "{0} cloud -c {1} -b mqtt://127.0.0.1:{2} -d 9s > {3} 2>&1 & sleep 1; "
      "{0} run -n 6 -d 5s -p idle -b mqtt://127.0.0.1:{2} --metrics-listen \"\" --report \"\"; "
      "wait",
      tool_command(), config, broker.port(), cloud_log));
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);
  const std::string out = read_text(cloud_log);
  CAPTURE(out);
  CHECK(contains(out, "Cloud stand-in (active: associating lamps, web users moving sliders)"));
  CHECK(contains(out, "Cloud (active): 6 lamps heard"));
  CHECK(contains(out, "associations 6 started, 6 completed"));
  CHECK_FALSE(contains(out, "round trip none timed"));
  auto none = run_cli("cloud -d 1s");
  CHECK(none.exit_code == 2);
  CHECK(contains(none.output, "needs the broker the lamps use: give --broker"));
}

TEST_CASE("a broker that dies for good with --cloud: OUTAGE, its losses the outage's, no wait") {
  using namespace std::chrono_literals;
  auto broker = lampi::fleet::MosquittoProcess::start({});
  TempDir dir;
  std::atomic<bool> run_over = false;
  std::thread outage([&] {
    std::this_thread::sleep_for(3s);
    broker.kill();  // and never back
    while (!run_over) std::this_thread::sleep_for(50ms);
  });
  auto json = (dir.path / "s.json").string();
  auto r = run_cli(
      fmt::format("run -n 10 -d 6s --cloud observe -b mqtt://127.0.0.1:{} --metrics-listen \"\" "
                  "--report \"\" --summary-json {}",
                  broker.port(), json));
  run_over = true;
  outage.join();
  CAPTURE(r.output);
  CHECK(r.exit_code == 5);
  CHECK(contains(r.output, "Verdict: OUTAGE: "));
  // The stand-in went with the broker: nothing to wait for at the end, and what it missed
  // is explained by its own lost connection, not a CLOUD MISMATCH.
  CHECK(contains(r.output, "The cloud stand-in is not connected to the broker at the end"));
  CHECK_FALSE(contains(r.output, "did not hear the broker's last deliveries"));
  auto j = nlohmann::json::parse(read_text(json));
  CHECK(j["cloud"]["cloud_disconnects"].get<int>() >= 1);
  CHECK(j["cloud"]["settled"] == false);
  CHECK(j["cloud"]["unexplained"] == 0);
}
