// lampi-fleet certs against the broker chapters 13 and 14 describe: a TLS listener that
// requires a client certificate and takes its CN as the user name, and an ACL that lets
// each <id>_broker write only its own lamp's topics. The certificates it makes bridge
// every lamp with nothing denied; a lamp given another's certificate is refused first.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "tests/fleet/app/cli_runner.hpp"
#include "tests/support/read_text.hpp"
#include "tests/support/tls_fixture.hpp"

using namespace lampi::testing;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kLamps = 20;

// Chapter 14's rules, one user per lamp: read its commands, write its state.
std::string acl_for(std::size_t lamps) {
  std::string acl;
  for (std::size_t i = 0; i < lamps; ++i) {
    const std::string id = lamp_id(i);
    acl += fmt::format(
        "user {0}_broker\n"
        "topic read devices/{0}/lamp/set_config\n"
        "topic read devices/{0}/lamp/associated\n"
        "topic write devices/{0}/lamp/changed\n"
        "topic write devices/{0}/lamp/connection/+/state\n"
        "topic write $SYS/broker/connection/{0}_broker/state\n\n",
        id);
  }
  return acl;
}

std::string tls_flags(const TlsFixture& tls, const fs::path& lamps) {
  return fmt::format(
      "-b mqtts://localhost:{} --ca-file {} --cert-template '{}' --key-template '{}'", tls.tls_port,
      (tls.dir / "lampi_ca.crt").string(), (lamps / "{id}_broker.crt").string(),
      (lamps / "{id}_broker.key").string());
}

}  // namespace

TEST_CASE("certs signed by the course CA bridge every lamp through chapter 14's ACL") {
  TlsFixture tls;
  const fs::path lamps = tls.dir / "lamps";
  auto made = run_cli(fmt::format("certs -n {} --ca-cert {} --ca-key {} --out {}", kLamps,
                                  (tls.dir / "lampi_ca.crt").string(),
                                  (tls.dir / "lampi_ca.key").string(), lamps.string()));
  CAPTURE(made.output);
  REQUIRE(made.exit_code == 0);
  CHECK(contains(made.output, fmt::format("Wrote {} lamps' certificates and keys", kLamps)));
  // What it prints is what to run with.
  CHECK(contains(made.output,
                 fmt::format("--cert-template '{}'", (lamps / "{id}_broker.crt").string())));

  std::ofstream(tls.dir / "acl") << acl_for(kLamps);
  auto options = tls.broker_options();
  options.extra_config_lines.push_back("acl_file " + (tls.dir / "acl").string());
  options.extra_config_lines.push_back("log_type all");
  auto broker = lampi::fleet::MosquittoProcess::start(options);

  TempDir out;
  auto r = run_cli(fmt::format(
      "run -n {} -d 4s -p touch-drag --hatch-rate 50 --report \"\" --metrics-listen \"\" "
      "--summary-json {} {}",
      kLamps, (out.path / "run.json").string(), tls_flags(tls, lamps)));
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "Verdict: OK"));
  const std::string log = read_text(broker.log_path());
  // Each lamp's user name is its certificate's CN, and the ACL let everything through.
  std::set<std::string> users;
  const std::regex connected("New client connected from \\S+ as (\\S+) \\([^)]*u'([^']*)'\\)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), connected);
       it != std::sregex_iterator(); ++it) {
    CHECK((*it)[1].str() == (*it)[2].str());
    users.insert((*it)[2].str());
  }
  CHECK(users.size() == kLamps);
  CHECK(users.count(lamp_id(7) + "_broker") == 1);
  CHECK_FALSE(contains(log, "Denied"));

  // The ACL does deny, and the log says so: lamp 0 writing lamp 1's topic.
  run_quietly(fmt::format(
      "mosquitto_pub -i acl-probe -h localhost -p {} --cafile {} --cert {} --key {} -q 1 -t "
      "devices/{}/lamp/changed -m '{{}}'",
      tls.tls_port, (tls.dir / "lampi_ca.crt").string(),
      (lamps / (lamp_id(0) + "_broker.crt")).string(),
      (lamps / (lamp_id(0) + "_broker.key")).string(), lamp_id(1)));
  CHECK(contains(read_text(broker.log_path()), "Denied PUBLISH from acl-probe"));
}

TEST_CASE("a lamp given another lamp's certificate is refused before anything connects") {
  TlsFixture tls;
  const fs::path lamps = tls.dir / "lamps";
  REQUIRE(run_cli(fmt::format("certs -n 3 --new-ca --out {}", lamps.string())).exit_code == 0);
  // Lamp 2 gets lamp 1's certificate and key.
  for (const char* ext : {".crt", ".key"}) {
    fs::remove(lamps / (lamp_id(2) + "_broker" + ext));
    fs::copy_file(lamps / (lamp_id(1) + "_broker" + ext), lamps / (lamp_id(2) + "_broker" + ext));
  }
  auto broker = tls.start_broker();
  auto r = run_cli(fmt::format(
      "run -n 3 -d 2s --report \"\" --metrics-listen \"\" -b mqtts://localhost:{} --ca-file {} "
      "--cert-template '{}' --key-template '{}'",
      tls.tls_port, (lamps / "lampi_ca.crt").string(), (lamps / "{id}_broker.crt").string(),
      (lamps / "{id}_broker.key").string()));
  CAPTURE(r.output);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "is the same certificate as lamp " + lamp_id(1) + "'s"));
  CHECK_FALSE(broker_saw_a_client(broker));
}

TEST_CASE("certs without a CA, or over files that are there, says what to do") {
  TempDir dir;
  auto r = run_cli(fmt::format("certs -n 3 --out {}", (dir.path / "lamps").string()));
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "--ca-cert: give the CA that signs the lamps' certificates"));
  REQUIRE(run_cli(fmt::format("certs -n 3 --new-ca --out {}", (dir.path / "lamps").string()))
              .exit_code == 0);
  r = run_cli(fmt::format("certs -n 3 --new-ca --out {}", (dir.path / "lamps").string()));
  CAPTURE(r.output);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "lampi_ca.key is there already"));
}
