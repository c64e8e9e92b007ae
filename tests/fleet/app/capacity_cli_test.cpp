// `lampi-fleet capacity` run as a user would, against real brokers: a knee it must find
// exactly (a broker that takes no more than so many connections) and one it must find by
// response time (a heavy profile and a tight p95 SLO against the local mosquitto it starts
// itself). Behaviour only: the JSON, the report and the exit code, never how long it took.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tests/fleet/app/cli_runner.hpp"
#include "tests/support/read_text.hpp"

using namespace lampi::testing;

namespace {

std::vector<int> lamps_of_pass(const nlohmann::json& steps, int pass) {
  std::vector<int> out;
  for (const auto& s : steps)
    if (s["pass"] == pass) out.push_back(s["lamps"].get<int>());
  return out;
}

}  // namespace

TEST_CASE("capacity finds a broker's connection limit as the knee, at the step it breaks") {
  lampi::fleet::MosquittoOptions options;
  options.extra_config_lines = {"max_connections 150"};
  auto broker = lampi::fleet::MosquittoProcess::start(options);
  TempDir dir;
  const auto json = (dir.path / "capacity.json").string();
  const auto report = (dir.path / "capacity.html").string();
  // One pass (--fine-step 0): after the refusals of a first pass, mosquitto 2.0.11 was seen
  // letting a second pass bridge 175 lamps past its limit of 150, so only the first pass's
  // numbers are exact.
  auto r = run_cli(fmt::format(
      "capacity -b mqtt://127.0.0.1:{} -p idle --start 50 --step 50 --fine-step 0 "
      "--max-lamps 400 --hatch-rate 200 --hold 5s --settle 3s --max-duration 3m --json {} "
      "--report {}",
      broker.port(), json, report));
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "KNEE FOUND: Capacity: 150 lamps"));
  auto j = nlohmann::json::parse(read_text(json));
  CAPTURE(j.dump(2));
  CHECK(j["outcome"] == "knee");
  CHECK(j["exit_code"] == 0);
  CHECK(j["capacity"]["lamps"] == 150);
  CHECK(j["broke"]["lamps"] == 200);
  CHECK(j["broke"]["reason"] == "not_bridged");
  CHECK(lamps_of_pass(j["steps"], 1) == std::vector<int>{50, 100, 150, 200});
  CHECK(lamps_of_pass(j["steps"], 2).empty());
  CHECK(j["steps"][2]["bridged"] == 150);
  CHECK(j["steps"][3]["bridged"].get<int>() < 198);
  CHECK(j["plan"]["profiles"] == "idle:100");
  const auto html = read_text(report);
  CHECK(contains(html, "data-marker=\"capacity: 150 lamps\""));
  CHECK(contains(html, "data-marker=\"broke: 200 lamps (not_bridged)\""));
  CHECK(contains(html, "data-outcome=\"knee\""));
}

// A response-time knee needs a generator that outruns the broker: not so under the
// sanitizers, which multiply its cost per message (the connection-limit knee above holds
// there too).
#ifdef __SANITIZE_ADDRESS__
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

TEST_CASE("capacity finds the response-time knee of a heavy profile under a tight p95 SLO" *
          doctest::skip(kSanitized)) {
  TempDir dir;
  const auto json = (dir.path / "capacity.json").string();
  auto r = run_cli(fmt::format(
      "capacity -p seed-worst-case --start 100 --step 500 --fine-step 125 --max-lamps 8000 "
      "--hatch-rate 1000 --hold 6s --settle 3s --p95-ms 10 --max-duration 4m --report \"\" "
      "--json {}",
      json));
  CAPTURE(r.output);
  auto j = nlohmann::json::parse(read_text(json));
  CAPTURE(j.dump(2));
  CHECK(r.exit_code == j["exit_code"].get<int>());
  // The generator saturating first is reported as its own, never as the broker's knee.
  REQUIRE(j["outcome"] == "knee");
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "KNEE FOUND"));
  const auto& held = j["held_step"];
  const auto& broke = j["broke_step"];
  CHECK(held["held"] == true);
  CHECK(held["p95_ms"].get<double>() <= 10.0);
  CHECK(held["acked_per_s"].get<double>() > 0);
  CHECK(broke["held"] == false);
  CHECK(broke["broke"] != "generator_saturated");
  CHECK(broke["lamps"].get<int>() > held["lamps"].get<int>());
  CHECK(j["capacity"]["lamps"] == held["lamps"]);
  // The first pass climbed in steps of 500 until one broke; the second climbed again from
  // the last that held, in steps of 125, staying below the one that broke.
  const auto first = lamps_of_pass(j["steps"], 1);
  const auto second = lamps_of_pass(j["steps"], 2);
  REQUIRE(first.size() >= 2);
  CHECK(first.front() == 100);
  CHECK(first[1] == 600);
  const int first_broke = first.back();
  const int first_held = first[first.size() - 2];
  REQUIRE_FALSE(second.empty());
  CHECK(second.front() == first_held);
  for (std::size_t i = 1; i < second.size(); ++i) CHECK(second[i] == second[i - 1] + 125);
  CHECK(second.back() < first_broke);
  CHECK(held["lamps"].get<int>() >= first_held);
  CHECK(broke["lamps"].get<int>() <= first_broke);
}
