// A fleet in several processes, from the command line: where each process learns its shard
// (a flag, the environment's LAMPI_FLEET_*, Kubernetes' JOB_COMPLETION_INDEX or a
// StatefulSet host name), and a shard that connects only its own slice of the device IDs.
// tests/deploy/sharded_fleet_test.py runs whole shards side by side with Prometheus.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "fleet/broker/mosquitto_process.hpp"
#include "tests/fleet/app/cli_runner.hpp"
#include "tests/support/read_text.hpp"

using namespace lampi::testing;

namespace {

// The tool under a host name of our choosing (a UTS namespace of its own), with
// JOB_COMPLETION_INDEX unset unless `env` sets it.
Result validate_as_host(const std::string& hostname, const std::string& env,
                        const std::string& args) {
  return run_shell(fmt::format(
      "env -u JOB_COMPLETION_INDEX -u KUBERNETES_SERVICE_HOST {} unshare --uts --map-root-user sh "
      "-c 'hostname {} && exec env {} validate {}'",
      env, hostname, tool_command(), args));
}

}  // namespace

TEST_CASE("a shard's index comes from the flag, else the environment, else it is an error") {
  struct Case {
    std::string what;
    std::string hostname, env, args;
    int exit_code;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"the flag", "plainhost", "", "-n 10 --shard-count 3 --shard-index 1", 0,
       "OK (10 lamps, shard 1 of 3)"},
      {"LAMPI_FLEET_SHARD_INDEX, as any option can be given", "plainhost",
       "LAMPI_FLEET_SHARD_INDEX=2 LAMPI_FLEET_SHARD_COUNT=3", "-n 10", 0,
       "OK (10 lamps, shard 2 of 3)"},
      {"a Kubernetes Indexed Job", "plainhost", "JOB_COMPLETION_INDEX=2", "-n 10 --shard-count 3",
       0, "OK (10 lamps, shard 2 of 3 from JOB_COMPLETION_INDEX=2)"},
      {"a StatefulSet pod", "lampi-fleet-1", "KUBERNETES_SERVICE_HOST=10.96.0.1",
       "-n 10 --shard-count 3", 0, "OK (10 lamps, shard 1 of 3 from the host name lampi-fleet-1)"},
      {"off Kubernetes a host name ending in digits (EC2's ip-10-0-0-3) is no shard index",
       "ip-10-0-0-1", "", "-n 10 --shard-count 3", 0,
       "OK (10 lamps, 3 shards, each process's index from its environment)"},
      {"an Indexed Job's second pod over a config of one shard", "plainhost",
       "JOB_COMPLETION_INDEX=1", "-n 10", 2,
       "shard.count: is 1, but this pod is JOB_COMPLETION_INDEX=1 of an Indexed Job"},
      {"the flag wins over the environment", "lampi-fleet-1",
       "JOB_COMPLETION_INDEX=2 KUBERNETES_SERVICE_HOST=10.96.0.1",
       "-n 10 --shard-count 3 --shard-index 0", 0, "OK (10 lamps, shard 0 of 3)"},
      {"one shard needs no index: a host name ending -N is nobody's shard", "web-7", "", "-n 10", 0,
       "OK (10 lamps)"},
      {"a config for every pod leaves the index to each one's environment", "plainhost", "",
       "-n 10 --shard-count 3", 0,
       "OK (10 lamps, 3 shards, each process's index from its "
       "environment)"},
      {"an index past the count", "plainhost", "", "-n 10 --shard-count 3 --shard-index 3", 2,
       "shard.index: must be from 0 to 2 (shard.count is 3); got 3"},
      {"more shards than lamps", "plainhost", "", "-n 2 --shard-count 3", 2,
       "shard.count: 3 shards for 2 lamps would leave a shard without lamps"},
      {"a negative index", "plainhost", "", "-n 10 --shard-count 3 --shard-index -1", 2,
       "--shard-index: must be a whole number from 0 to 9999; got \"-1\""},
      {"JOB_COMPLETION_INDEX that is not a shard", "plainhost", "JOB_COMPLETION_INDEX=5",
       "-n 10 --shard-count 3", 2, "shard.index: JOB_COMPLETION_INDEX=5 is not a shard of 3"},
      {"JOB_COMPLETION_INDEX that is not a number", "plainhost", "JOB_COMPLETION_INDEX=two",
       "-n 10 --shard-count 3", 2, "environment: JOB_COMPLETION_INDEX: expected a whole number"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto r = validate_as_host(c.hostname, c.env, c.args);
    CAPTURE(r.output);
    CHECK(r.exit_code == c.exit_code);
    CHECK(contains(r.output, c.expected));
  }
}

TEST_CASE("run refuses a shard it cannot place, naming what to set, before anything connects") {
  auto broker = lampi::fleet::MosquittoProcess::start({});
  const std::string args = fmt::format(
      "run -n 10 --shard-count 3 -d 2s --report \"\" --metrics-listen \"\" -b "
      "mqtt://127.0.0.1:{}",
      broker.port());
  auto r = run_shell(fmt::format(
      "env -u JOB_COMPLETION_INDEX -u KUBERNETES_SERVICE_HOST unshare --uts --map-root-user sh -c "
      "'hostname plainhost && exec env {} {}'",
      tool_command(), args));
  CAPTURE(r.output);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output,
                 "shard.index: is not set, and shard.count is 3: give each process its "
                 "own --shard-index (0 to 2), or start them as a Kubernetes Indexed "
                 "Job (JOB_COMPLETION_INDEX) or StatefulSet (a host name ending in -N)"));
  r = run_shell("JOB_COMPLETION_INDEX=5 " + tool_command() + " " + args);
  CAPTURE(r.output);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "shard.index: JOB_COMPLETION_INDEX=5 is not a shard of 3"));
  CHECK_FALSE(broker_saw_a_client(broker));
}

TEST_CASE("a shard connects its own slice of the device IDs and no other") {
  auto broker = lampi::fleet::MosquittoProcess::start({});
  TempDir dir;
  const auto json = dir.path / "shard.json";
  // 10 lamps from 0xabc000000000 over 3 shards: shard 1 holds lamps 4, 5 and 6.
  auto r = run_cli(fmt::format(
      "run -n 10 --device-id-base abc000000000 --shard-count 3 --shard-index 1 -d 2s -p idle "
      "--report \"\" --metrics-listen \"\" --summary-json {} -b mqtt://127.0.0.1:{}",
      json.string(), broker.port()));
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output,
                 "Shard 1 of 3: lamps 4 to 6 of 10 (device IDs abc000000004 to "
                 "abc000000006)"));
  CHECK(contains(r.output, "Shard 1 of 3: 3 of the fleet's 10 lamps"));
  std::multiset<std::string> clients;
  const std::string log = read_text(broker.log_path());
  const std::regex connected("New client connected from \\S+ as ([0-9a-f]{12})_broker");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), connected);
       it != std::sregex_iterator(); ++it)
    clients.insert((*it)[1].str());
  CHECK(clients == std::multiset<std::string>{"abc000000004", "abc000000005", "abc000000006"});
  const auto summary = nlohmann::json::parse(read_text(json));
  CHECK(summary["lamps"] == 3);
  CHECK(summary["config"]["lamps"] == 10);
  CHECK(summary["config"]["shard"] == nlohmann::json{{"count", 3}, {"index", 1}});
}
