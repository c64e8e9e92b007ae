// TLS from the command line alone (--ca-file, --cert-template, --key-template,
// --tls-insecure), and every lamp's certificate checked by `run` and `validate` before
// anything connects (issue 12), against a TLS mosquitto configured like the course's.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fleet/broker/mosquitto_process.hpp"
#include "tests/fleet/app/cli_runner.hpp"
#include "tests/support/read_text.hpp"
#include "tests/support/tls_fixture.hpp"

using namespace lampi::testing;
namespace fs = std::filesystem;

namespace {

std::string cert_name(std::size_t lamp) {
  return lamp_id(lamp) + "_broker.crt";
}
std::string key_name(std::size_t lamp) {
  return lamp_id(lamp) + "_broker.key";
}

// The TLS options for lamps whose files are in `dir`, and the broker's TLS listener.
std::string tls_args(const TlsFixture& f, const fs::path& dir) {
  return fmt::format("-b mqtts://localhost:{} --ca-file {} --cert-template '{}' --key-template '{}'",
                     f.tls_port, (f.dir / "lampi_ca.crt").string(),
                     (dir / "{id}_broker.crt").string(), (dir / "{id}_broker.key").string());
}

std::size_t count_of(const std::string& text, const std::string& fragment) {
  std::size_t n = 0;
  for (auto at = text.find(fragment); at != std::string::npos; at = text.find(fragment, at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("each bad certificate stops run and validate with exit 2 before anything connects") {
  TlsFixture f;
  f.make_lamp_certs(3);
  auto broker = f.start_broker();
  // Lamp 1's replacements, made beside the CAs.
  make_cert(f.dir, "foreign", lamp_id(1) + "_broker", "other_ca");
  make_cert(f.dir, "wrong_cn", "kitchen_lamp", "lampi_ca");
  make_cert(f.dir, "expired", lamp_id(1) + "_broker", "lampi_ca");
  make_dated_cert(f.dir, "expired", "lampi_ca", "20200101000000Z", "20200102000000Z");

  struct Case {
    const char* what;
    const char* cert;  // lamp 1's certificate and key come from here ("" = its own)
    const char* key;
    bool empty_cert;
    bool key_file_at_fault;
    std::string message;
  };
  const std::string ca = (f.dir / "lampi_ca.crt").string();
  const std::vector<Case> cases = {
      {"another CA", "foreign.crt", "foreign.key", false, false,
       "is not signed by the CA in broker.tls.ca_file (" + ca + ")"},
      {"expired", "expired.crt", "expired.key", false, false,
       "expired on 2020-01-02 00:00:00 UTC"},
      {"wrong CN", "wrong_cn.crt", "wrong_cn.key", false, false,
       "has CN kitchen_lamp, not this lamp's " + lamp_id(1) + "_broker"},
      {"empty certificate", "", "", true, false,
       "is empty; expected the lamp's PEM certificate"},
      {"mismatched key", "", "key0", false, true, "is not the key of the certificate "},
      {"shared certificate", "cert0", "key0", false, false,
       "is the same certificate as lamp " + lamp_id(0) + "'s"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    CAPTURE(c.what);
    const fs::path dir = f.dir / ("case" + std::to_string(i));
    fs::create_directory(dir);
    for (std::size_t lamp = 0; lamp < 3; ++lamp) {
      fs::copy_file(f.dir / cert_name(lamp), dir / cert_name(lamp));
      fs::copy_file(f.dir / key_name(lamp), dir / key_name(lamp));
    }
    auto source = [&](const std::string& from) {
      if (from == "cert0") return f.dir / cert_name(0);
      if (from == "key0") return f.dir / key_name(0);
      return f.dir / from;
    };
    constexpr auto overwrite = fs::copy_options::overwrite_existing;
    if (*c.cert) fs::copy_file(source(c.cert), dir / cert_name(1), overwrite);
    if (*c.key) fs::copy_file(source(c.key), dir / key_name(1), overwrite);
    if (c.empty_cert) std::ofstream(dir / cert_name(1), std::ios::trunc).flush();
    const fs::path at_fault = dir / (c.key_file_at_fault ? key_name(1) : cert_name(1));

    for (const char* command : {"run", "validate"}) {
      CAPTURE(command);
      auto r = run_cli(fmt::format("{} -n 3 -d 5s --metrics-listen \"\" --report \"\" {}", command,
                                   tls_args(f, dir)));
      CAPTURE(r.output);
      CHECK(r.exit_code == 2);
      CHECK(contains(r.output, "error: broker.tls: 1 problem with the certificates of 1 of the 3 "
                               "lamps; nothing was started:"));
      CHECK(contains(r.output, "error:   lamp " + lamp_id(1) + ": " + at_fault.string() + ": " +
                                   c.message));
      CHECK_FALSE(contains(r.output, "lamps on"));  // the engine never started
    }
  }
  CHECK_FALSE(broker_saw_a_client(broker));
}

TEST_CASE("validate without --config checks the command line alone, certificates included") {
  auto defaults = run_cli("validate");
  CAPTURE(defaults.output);
  CHECK(defaults.exit_code == 0);
  CHECK(contains(defaults.output, "command line: OK (100 lamps)\n"));

  TlsFixture f;
  f.make_lamp_certs(3);
  auto ok = run_cli("validate -n 3 " + tls_args(f, f.dir));
  CAPTURE(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.output, "command line: OK (3 lamps, every certificate checked)\n"));

  // 47 lamps without files: the first ten problems, then a count, never a thousand lines.
  auto many = run_cli("validate -n 50 " + tls_args(f, f.dir));
  CAPTURE(many.output);
  CHECK(many.exit_code == 2);
  CHECK(contains(many.output, "broker.tls: 94 problems with the certificates of 47 of the 50 lamps"));
  CHECK(count_of(many.output, "error:   lamp ") == 10);
  CHECK(contains(many.output, "error:   lamp " + lamp_id(3) + ": " +
                                  (f.dir / cert_name(3)).string() +
                                  ": does not exist; expected the lamp's PEM certificate"));
  CHECK(contains(many.output, "error:   ...and 84 more"));

  auto half = run_cli(fmt::format("validate -b mqtts://localhost:{} --cert-template '{}'",
                                  f.tls_port, (f.dir / "{id}_broker.crt").string()));
  CHECK(half.exit_code == 2);
  CHECK(contains(half.output, "broker.tls.key_file: missing"));
  CHECK(contains(half.output, "--key-template"));
  auto plain = run_cli("validate --ca-file " + (f.dir / "lampi_ca.crt").string());
  CHECK(plain.exit_code == 2);
  CHECK(contains(plain.output, "broker.tls: set, but broker.url is not mqtts://"));
}

TEST_CASE("a TLS run from command-line options alone bridges every lamp, --tls-insecure warns") {
  TlsFixture f;
  f.make_lamp_certs(3);
  auto broker = f.start_broker();
  TempDir out;
  const auto json = (out.path / "summary.json").string();
  for (const char* extra : {"", "--tls-insecure"}) {
    CAPTURE(extra);
    auto r = run_cli(fmt::format(
        "run -n 3 -d 3s --profile idle --metrics-listen \"\" --report \"\" --summary-json {} {} {}",
        json, tls_args(f, f.dir), extra));
    CAPTURE(r.output);
    CHECK(r.exit_code == 0);
    auto summary = nlohmann::json::parse(read_text(json));
    CHECK(summary["lamps_bridged_at_end"] == 3);
    const auto& tls = summary["config"]["broker"]["tls"];
    CHECK(tls["cert_file"] == (f.dir / "{id}_broker.crt").string());
    CHECK(tls["key_file"] == (f.dir / "{id}_broker.key").string());
    CHECK(tls["ca_file"] == (f.dir / "lampi_ca.crt").string());
    const bool insecure = *extra != '\0';
    CHECK(tls["verify"] == !insecure);
    const std::string warning =
        "lampi-fleet warning: TLS certificate verification was off (broker.tls.verify: false)";
    CHECK(contains(r.output, warning) == insecure);
    if (insecure) CHECK(r.output.find(warning) < r.output.find("Stopping:"));  // at the start
  }
}
