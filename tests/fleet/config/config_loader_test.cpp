// YAML configs: the schema, its defaults, every class of error, and the shipped examples.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "fleet/config/config_loader.hpp"

using namespace lampi::fleet;
using lampi::model::Profile;
namespace fs = std::filesystem;
using S = std::chrono::duration<double>;

namespace {

FleetConfig parse(std::string_view yaml) {
  return parse_config(yaml, "test.yaml");
}

// The full message of the ConfigError parsing yaml throws; fails the test if none.
std::string error_of(std::string_view yaml) {
  try {
    parse(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("no ConfigError for:\n" << yaml);
  return {};
}

// Asserts the message starts with the source and key and contains the problem.
void check_error(std::string_view yaml, const std::string& key, std::string_view problem) {
  auto m = error_of(yaml);
  CAPTURE(m);
  CHECK(m.starts_with("test.yaml: " + key + ": "));
  CHECK(m.find(problem) != std::string::npos);
}

std::string validate_error(const FleetConfig& c) {
  try {
    validate(c);
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("validate() accepted the config");
  return {};
}

std::string check_files_error(const FleetConfig& c) {
  try {
    check_files(c);
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("check_files() accepted the config");
  return {};
}

std::vector<std::string> texts(const std::vector<Ipv4Address>& addresses) {
  std::vector<std::string> out;
  for (auto a : addresses) out.push_back(a.str());
  return out;
}

// A fresh directory under the system temp dir, removed at scope exit.
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("lampi-config-test-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  void touch(const fs::path& name) const { std::ofstream(path / name) << "x"; }
};

}  // namespace

TEST_CASE("an empty file, or only comments, gives the struct defaults") {
  for (auto text : {"", "# nothing yet\n", "---\n"}) {
    auto c = parse(text);
    FleetConfig d;
    CHECK(c.lamps == d.lamps);
    CHECK(c.device_id_base == d.device_id_base);
    CHECK_FALSE(c.broker.has_value());
    CHECK(c.hatch_rate == d.hatch_rate);
    CHECK(c.duration == d.duration);
    REQUIRE(c.profiles.size() == 1);
    CHECK(c.profiles[0].profile == Profile::touch_drag);
    CHECK(c.response_timeout == d.response_timeout);
    CHECK(c.metrics_listen == ListenAddress{"127.0.0.1", 9464});
    CHECK(c.model.keepalive == d.model.keepalive);
    CHECK(c.model.sessions.worst_case_messages == d.model.sessions.worst_case_messages);
  }
}

TEST_CASE("every key of the schema lands in its field") {
  auto c = parse(R"(
lamps: 1000
device_id_base: "1e0000000100"
shard: { count: 4, index: 3 }
broker:
  url: mqtts://lampi.example.com
  username: alice
  password: "no"
  protocol: "5"
  keepalive: 30s
  clean_session: yes
  reconnect: { base: 2s, cap: 20s }
  tls: { ca_file: ca.crt, cert_file: "certs/{id}.crt", key_file: "certs/{id}.key", verify: off,
         client_ca_file: lamps_ca.crt, check_cn: no }
connect: { hatch_rate: 12.5, max_in_flight: 7, source_addresses: ["127.0.0.2-127.0.0.4", 127.0.0.9] }
run: { duration: 1h30m, threads: 3, seed: 18446744073709551615, stop: power-loss, stop_timeout: 4s }
workload:
  profiles: { touch-drag: 80, seed-worst-case: 10, idle: 5, bluetooth: 5 }
  response_timeout: 250ms
  validation: strict
  sessions: { frame_rate: 30, drag_duration: [300ms, 2s], think_time: [3s, 9s], tap_probability: 0.5,
              worst_case_messages: 12, worst_case_think: 1.5s, phone_session: [10s, 60s],
              phone_idle: [5s, 30s], phone_write_interval: [1s, 5s] }
lamp: { service_restart_delay: 2s, ui_update_delay: 20ms, bridge_queue_limit: 50,
        service_start: { lamp_service: [100ms, 200ms], lamp_ui: [1s, 2s], bt_peripheral: 1s, bt_central: [0s, 3s] } }
metrics: { listen: "" }
report: { summary_json: out/summary.json, html: out/report.html, csv_prefix: out/run }
slo: { p95_response_time: 200ms, max_failure_ratio: 0.01, min_bridged_ratio: 0.99 }
)");
  using lampi::model::seconds_to_duration;
  CHECK(c.lamps == 1000);
  CHECK(c.device_id_base == 0x1e0000000100ULL);
  CHECK(c.shard == ShardConfig{.index = 3, .count = 4});
  REQUIRE(c.broker.has_value());
  CHECK(c.broker->tls);
  CHECK(c.broker->port == 8883);
  CHECK(c.username == "alice");
  CHECK(c.password == "no");  // a string, not YAML 1.1's false
  CHECK(c.mqtt_version == MqttVersion::v5);
  CHECK(c.model.keepalive == seconds_to_duration(30));
  CHECK(c.model.clean_session);
  CHECK(c.model.reconnect_base == seconds_to_duration(2));
  CHECK(c.model.reconnect_cap == seconds_to_duration(20));
  CHECK(c.tls.ca_file == "ca.crt");
  CHECK(c.tls.cert_file == "certs/{id}.crt");
  CHECK(c.tls.key_file == "certs/{id}.key");
  CHECK_FALSE(c.tls.verify);
  CHECK(c.tls.client_ca_file == "lamps_ca.crt");
  CHECK_FALSE(c.tls.check_cn);
  CHECK(c.hatch_rate == 12.5);
  CHECK(c.max_connects_in_flight == 7);
  CHECK(texts(c.source_addresses) ==
        std::vector<std::string>{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.9"});
  CHECK(c.duration == S(5400));
  CHECK(c.threads == 3);
  CHECK(c.seed == 18446744073709551615ULL);
  CHECK(c.stop_mode == StopMode::power_loss);
  CHECK(c.stop_timeout == S(4));
  REQUIRE(c.profiles.size() == 4);
  CHECK(c.profiles[1].profile == Profile::seed_worst_case);
  CHECK(c.profiles[1].percent == 10.0);
  CHECK(c.response_timeout == S(0.25));
  CHECK(c.model.mode == lampi::model::ValidationMode::strict);
  const auto& s = c.model.sessions;
  CHECK(s.frame_rate_hz == 30.0);
  CHECK(s.think_time.min == seconds_to_duration(3));
  CHECK(s.think_time.max == seconds_to_duration(9));
  CHECK(s.tap_probability == 0.5);
  CHECK(s.worst_case_messages == 12);
  CHECK(s.worst_case_think.min == seconds_to_duration(1.5));  // one duration = [d, d]
  CHECK(s.worst_case_think.max == seconds_to_duration(1.5));
  CHECK(c.model.service_restart_delay == seconds_to_duration(2));
  CHECK(c.model.ui_update_delay == seconds_to_duration(0.02));
  CHECK(c.model.bridge_queue_limit == 50);
  CHECK(c.model.service_start[0].max == seconds_to_duration(0.2));
  CHECK(c.model.service_start[2].min == seconds_to_duration(1));
  CHECK(c.model.service_start[3].max == seconds_to_duration(3));
  CHECK_FALSE(c.metrics_listen.has_value());
  CHECK(c.summary_json == "out/summary.json");
  CHECK(c.report_html == std::optional<std::string>("out/report.html"));
  CHECK(c.csv_prefix == "out/run");
  CHECK(*c.slo.p95_response_seconds == doctest::Approx(0.2));
  CHECK(*c.slo.max_failure_ratio == 0.01);
  CHECK(*c.slo.min_bridged_ratio == 0.99);
}

TEST_CASE("yaml-cpp quirks: hex-looking IDs, bare numbers, empty sections") {
  CHECK(parse("device_id_base: 1e0000000000").device_id_base == 0x1e0000000000ULL);  // not 1.0
  CHECK(parse("device_id_base: 0x1E0000000abc").device_id_base == 0x1e0000000abcULL);
  CHECK(parse("device_id_base: 100").device_id_base == 0x100);  // IDs are always hex
  CHECK(parse("run: { duration: 90 }").duration == S(90));
  CHECK(parse("broker:\n  username:\n").username.empty() == true);
  auto c = parse("broker:\nslo:\n  p95_response_time:\n");
  CHECK_FALSE(c.broker.has_value());  // a section with everything commented out
  CHECK_FALSE(c.slo.p95_response_seconds.has_value());
  CHECK(parse("broker: { keepalive: 30s }").model.keepalive == std::chrono::seconds(30));
  CHECK(parse("connect: { source_addresses: 127.0.0.2-127.0.0.3 }").source_addresses.size() == 2);
  CHECK(parse("broker: { url: mqtt://h, protocol: 3.1.1 }").mqtt_version == MqttVersion::v311);
}

TEST_CASE("metrics.listen and source addresses are parsed once, into typed values") {
  CHECK(parse("metrics: { listen: \"[::1]:0\" }").metrics_listen == ListenAddress{"::1", 0});
  CHECK_FALSE(parse("metrics: { listen: }").metrics_listen.has_value());
  auto c = parse("connect: { source_addresses: [10.0.0.255-10.0.1.0, 127.0.0.2] }");
  CHECK(texts(c.source_addresses) ==
        std::vector<std::string>{"10.0.0.255", "10.0.1.0", "127.0.0.2"});
  CHECK(c.source_addresses[2].value == 0x7f000002);
  validate(c);  // what was parsed needs no parsing again
}

TEST_CASE("unknown keys are named, with the nearest known key") {
  check_error("lampz: 10\n", "lampz", "unknown key; expected one of lamps, device_id_base");
  CHECK(error_of("lampz: 10\n").find("; did you mean lamps? (line 1, column 1)") !=
        std::string::npos);
  check_error("broker:\n  tls:\n    ca_fil: x\n", "broker.tls.ca_fil", "did you mean ca_file?");
  check_error("connect: { hatch-rate: 5 }", "connect.hatch-rate", "did you mean hatch_rate?");
  check_error("workload: { sessoins: {} }", "workload.sessoins", "did you mean sessions?");
  check_error("run: { colour: red }", "run.colour",
              "unknown key; expected one of duration, threads, seed");
  check_error("lamp: { service_start: { lamp_ux: 1s } }", "lamp.service_start.lamp_ux",
              "did you mean lamp_ui?");
  // The brief's example, word for word.
  CHECK(error_of("workload:\n  profiles:\n    touch-drg: 100\n") ==
        "test.yaml: workload.profiles.touch-drg: unknown profile; expected one of idle, "
        "seed-worst-case, touch-drag, bluetooth; did you mean touch-drag? (line 3, column 5)");
}

TEST_CASE("YAML syntax errors give line and column") {
  auto m = error_of("lamps: 10\nbroker: [mqtt://x\nrun: {}\n");
  CHECK(m.starts_with("test.yaml: YAML syntax error: "));
  CHECK(m.find("(line 3,") != std::string::npos);
  CHECK(error_of("a: 1\n\tb: 2\n").find("illegal tab") != std::string::npos);
  CHECK(error_of("lamps: 1\n---\nlamps: 2\n").find("holds 2 YAML documents") != std::string::npos);
  check_error("lamps: 1\nlamps: 2\n", "lamps", "duplicate key; it is already set at line 1");
  CHECK(error_of("- lamps\n").starts_with("test.yaml: the file must be a mapping of keys"));
}

TEST_CASE("wrong types are named with what is expected") {
  check_error("lamps: many", "lamps", "expected a whole number; got \"many\"");
  check_error("lamps: 1.5", "lamps", "expected a whole number");
  check_error("lamps: [1, 2]", "lamps", "a list; expected a whole number");
  check_error("lamps:", "lamps", "no value; expected a whole number");
  check_error("broker: mqtt://x", "broker", "expected a mapping of keys");
  check_error("broker: { tls: { verify: maybe } }", "broker.tls.verify",
              "expected true or false; got \"maybe\"");
  check_error("connect: { hatch_rate: fast }", "connect.hatch_rate",
              "expected a number; got \"fast\"");
  check_error("connect: { hatch_rate: .inf }", "connect.hatch_rate", "expected a number");
  check_error("run: { stop: powerloss }", "run.stop",
              "unknown value \"powerloss\"; expected one of graceful, power-loss; did you mean "
              "power-loss?");
  check_error("broker: { url: mqtt://h, protocol: 4 }", "broker.protocol",
              "expected one of 3.1.1, 5");
  check_error("workload: { validation: lax }", "workload.validation",
              "expected one of faithful, strict");
  check_error("workload: { sessions: { think_time: [1s, 2s, 3s] } }",
              "workload.sessions.think_time", "a list of 3; expected [min, max]");
  check_error("device_id_base: 1e00000000000", "device_id_base", "expected up to 12 hex digits");
  check_error("device_id_base: lamp", "device_id_base", "expected up to 12 hex digits");
  check_error("connect: { source_addresses: [[127.0.0.2]] }", "connect.source_addresses[0]",
              "expected an IPv4 address or range");
}

TEST_CASE("negative, zero and out-of-range values") {
  check_error("lamps: -5", "lamps", "must not be negative; got -5");
  check_error("lamps: 0", "lamps", "must be from 1 to 1000000; got 0 (line 1, column 1)");
  check_error("lamps: 2000000", "lamps", "must be from 1 to 1000000");
  check_error("run: { threads: 5000 }", "run.threads", "must be from 0 (one per core) to 1024");
  check_error("run: { seed: 99999999999999999999 }", "run.seed", "too large");
  check_error("connect: { hatch_rate: 0 }", "connect.hatch_rate", "must be from 0.001 to 1000000");
  check_error("connect: { max_in_flight: 0 }", "connect.max_in_flight", "must be at least 1");
  check_error("workload: { response_timeout: 0s }", "workload.response_timeout",
              "must be above 0s; got 0s");
  check_error("broker: { keepalive: 2s }", "broker.keepalive",
              "must be whole seconds from 5s to 65535s; got 2s");
  check_error("broker: { keepalive: 7.5s }", "broker.keepalive", "whole seconds");
  check_error("broker: { reconnect: { base: 0s } }", "broker.reconnect.base", "must be above 0");
  check_error("broker: { reconnect: { base: 10s, cap: 5s } }", "broker.reconnect.cap",
              "must be at least broker.reconnect.base (10s); got 5s");
  check_error("workload: { sessions: { frame_rate: 0 } }", "workload.sessions.frame_rate",
              "must be above 0");
  check_error("workload: { sessions: { tap_probability: 1.5 } }",
              "workload.sessions.tap_probability", "must be a probability from 0 to 1; got 1.5");
  check_error("workload: { sessions: { worst_case_messages: 0 } }",
              "workload.sessions.worst_case_messages", "must be from 1 to 60000");
  check_error("lamp: { bridge_queue_limit: 0 }", "lamp.bridge_queue_limit", "must be at least 1");
  check_error("slo: { max_failure_ratio: 5 }", "slo.max_failure_ratio",
              "must be a ratio from 0 to 1");
  check_error("slo: { p95_response_time: 0s }", "slo.p95_response_time", "must be above 0s");
  check_error("device_id_base: ffffffffff00\nlamps: 1000\n", "device_id_base",
              "ffffffffff00 + 1000 lamps runs past ffffffffffff (device IDs are 48 bits)");
  CHECK(parse("device_id_base: ffffffffff00\nlamps: 256\n").lamps == 256);  // exactly fits
}

TEST_CASE("ranges need min <= max, and waits must let time pass") {
  check_error("workload: { sessions: { drag_duration: [2s, 300ms] } }",
              "workload.sessions.drag_duration",
              "min 2s is above max 300ms; expected [min, max] with min <= max");
  check_error("lamp: { service_start: { lamp_ui: [3s, 1s] } }", "lamp.service_start.lamp_ui",
              "min 3s is above max 1s");
  check_error("workload: { sessions: { think_time: [0s, 1s] } }", "workload.sessions.think_time",
              "min must be above 0");
  CHECK(parse("workload: { sessions: { drag_duration: [0s, 1s] } }")
            .model.sessions.drag_duration.max == std::chrono::seconds(1));
}

TEST_CASE("profile shares must add up to 100") {
  auto m = error_of("workload:\n  profiles: { touch-drag: 80, idle: 10 }\n");
  CHECK(m == "test.yaml: workload.profiles: shares add up to 90; expected 100 (line 2, column 3)");
  check_error("workload: { profiles: { idle: 150, touch-drag: -50 } }", "workload.profiles.idle",
              "must be a percentage from 0 to 100; got 150");
  check_error("workload: { profiles: {} }", "workload.profiles", "expected at least one profile");
  check_error("workload: { profiles: { idle: many } }", "workload.profiles.idle",
              "expected a number");
  CHECK(parse("workload: { profiles: { idle: 33.3, touch-drag: 33.3, bluetooth: 33.4 } }")
            .profiles.size() == 3);
}

TEST_CASE("malformed durations, URLs and source ranges name their key") {
  check_error("run: { duration: 10 minutes }", "run.duration", "unknown unit \"minutes\"");
  check_error("run:\n  stop_timeout: -1s\n", "run.stop_timeout", "is negative");
  CHECK(error_of("run:\n  stop_timeout: -1s\n").ends_with("(line 2, column 3)"));
  check_error("broker: { url: http://broker }", "broker.url", "unsupported scheme \"http\"");
  check_error("broker: { url: \"\" }", "broker.url", "has no scheme");
  check_error("connect:\n  source_addresses:\n    - 127.0.0.2\n    - 127.0.0.9-127.0.0.3\n",
              "connect.source_addresses[1]",
              "runs backwards; write the lower address first (line 4, column 7)");
  check_error("connect: { source_addresses: [10.0.0.0-10.2.0.0] }", "connect.source_addresses[0]",
              "a range may cover at most 65536");
  check_error("connect: { source_addresses: [127.0.0.2, 127.0.0.1-127.0.0.3] }",
              "connect.source_addresses", "127.0.0.2 is listed twice");
  check_error("broker: { url: \"mqtt://[::1]\" }\nconnect: { source_addresses: [127.0.0.2] }",
              "connect.source_addresses", "cannot reach the IPv6 broker");
  check_error("metrics: { listen: localhost }", "metrics.listen", "or \"\" to disable metrics");
  check_error("report: { summary_json: a.out, html: a.out }", "report.html",
              "same file as report.summary_json");
  check_error("report: { summary_json: run_stats.csv, csv_prefix: run }", "report.csv_prefix",
              "writes \"run_stats.csv\", the same file as report.summary_json");
  check_error("report: { csv_prefix: x, html: x_failures.csv }", "report.csv_prefix",
              "writes \"x_failures.csv\", the same file as report.html");
}

TEST_CASE("credentials and TLS settings must fit the broker URL") {
  check_error("broker: { username: bob }", "broker.username", "set without broker.url");
  check_error("broker: { url: mqtt://h, password: pw }", "broker.password",
              "set without broker.username, which MQTT 3.1.1 does not allow");
  CHECK(parse("broker: { url: mqtt://h, password: pw, protocol: 5 }").password == "pw");
  check_error("broker: { url: mqtt://h, tls: { ca_file: ca.crt } }", "broker.tls",
              "broker.url is not mqtts://");
  check_error(
      "broker: { url: mqtts://h, tls: { cert_file: \"certs/lamp.crt\", key_file: "
      "\"certs/{id}.key\" } }",
      "broker.tls.cert_file",
      "\"certs/lamp.crt\" has no {id}; each lamp needs its own certificate");
  check_error(
      "broker: { url: mqtts://h, tls: { cert_file: \"c/{id}.crt\", key_file: c/lamp.key } }",
      "broker.tls.key_file", "has no {id}");
  check_error("broker: { url: mqtts://h, tls: { cert_file: \"c/{id}.crt\" } }",
              "broker.tls.key_file", "needs both cert_file and key_file");
  check_error("broker: { url: mqtts://h, tls: { client_ca_file: ca.crt } }",
              "broker.tls.client_ca_file", "set without broker.tls.cert_file");
  check_error("broker: { url: mqtt://h, tls: { client_ca_file: ca.crt } }", "broker.tls",
              "broker.url is not mqtts://");
  CHECK(parse("broker: { url: mqtts://h }").tls.ca_file.empty());
  CHECK(parse("broker: { url: mqtts://h }").tls.check_cn);
}

TEST_CASE("validate() rechecks after command-line overrides, in YAML key names") {
  auto c = parse("lamps: 10");
  validate(c);
  c.lamps = 0;
  CHECK(validate_error(c) == "lamps: must be from 1 to 1000000; got 0");
  c.lamps = 10;
  c.profiles = parse_profile_mix("idle:50,touch-drag:50");
  validate(c);
  c = parse("broker: { url: mqtts://h, tls: { ca_file: ca.crt } }");
  c.broker = parse_broker_url("mqtt://h");  // --broker without TLS
  CHECK(validate_error(c).starts_with("broker.tls: set, but broker.url is not mqtts://"));
  c = FleetConfig{};
  c.source_addresses = parse_source_addresses("127.0.0.2-127.0.0.3");
  validate(c);
  c.source_addresses.push_back(c.source_addresses.front());
  CHECK(validate_error(c) ==
        "connect.source_addresses: 127.0.0.2 is listed twice; ranges and addresses must not "
        "overlap");
  c = FleetConfig{};
  c.hatch_rate = -1;
  CHECK(validate_error(c).starts_with("connect.hatch_rate: must be from 0.001 to 1000000"));
}

TEST_CASE("check_files() finds missing TLS CA files and report directories") {
  TempDir dir;
  const auto base = dir.path.string() + "/";
  auto c = parse("lamps: 3\nbroker:\n  url: mqtts://h\n  tls:\n    ca_file: " + base +
                 "ca.crt\n    cert_file: \"" + base + "{id}_broker.crt\"\n    key_file: \"" + base +
                 "{id}_broker.key\"\n    client_ca_file: " + base + "client_ca.crt\n");
  CHECK(check_files_error(c).starts_with("broker.tls.ca_file: \"" + base +
                                         "ca.crt\" does not exist"));
  dir.touch("ca.crt");
  CHECK(check_files_error(c).starts_with("broker.tls.client_ca_file: \"" + base +
                                         "client_ca.crt\" does not exist"));
  dir.touch("client_ca.crt");
  // The lamps' own files are the certificate check's (fleet/engine/certificate_check.hpp).
  check_files(c);

  c.summary_json = base + "no-such-dir/summary.json";
  CHECK(check_files_error(c).starts_with("report.summary_json: directory"));
  c.summary_json = base + "summary.json";
  check_files(c);
  c.csv_prefix = base + "no-such-dir/run";
  CHECK(check_files_error(c).starts_with("report.csv_prefix: directory"));
  c.csv_prefix = base + "run";
  check_files(c);
}

TEST_CASE("load_config reads files and names them in errors") {
  TempDir dir;
  auto missing = dir.path / "nope.yaml";
  try {
    load_config(missing);
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          missing.string() + ": cannot open the file: No such file or directory");
  }
  std::ofstream(dir.path / "bad.yaml") << "lamps: 10\nrun: { thread: 2 }\n";
  try {
    load_config(dir.path / "bad.yaml");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).starts_with((dir.path / "bad.yaml").string() +
                                            ": run.thread: unknown key"));
    CHECK(e.line() == 2);
  }
  CHECK_THROWS_AS(load_config(dir.path), ConfigError);
}

TEST_CASE("a config larger than the limit is refused, reading no more than just past it") {
  CHECK(kMaxConfigBytes == 4u * 1024 * 1024);
  TempDir dir;
  // Valid YAML of exactly `size` bytes: one key, then comment lines.
  auto write_yaml = [&](const std::string& name, std::size_t size) {
    std::string text = "lamps: 10\n";
    while (text.size() < size) {
      std::size_t line = std::min<std::size_t>(1024, size - text.size());
      text += line == 1 ? std::string("\n") : "#" + std::string(line - 2, 'x') + "\n";
    }
    std::ofstream(dir.path / name, std::ios::binary) << text;
    return dir.path / name;
  };
  auto refusal = [](const fs::path& p) -> std::string {
    try {
      load_config(p);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(accepted)";
  };
  const std::string limit = ": is larger than 4 MiB (4194304 bytes), the limit for a config file";
  for (const fs::path& p : {write_yaml("5mib.yaml", 5u << 20),
                            write_yaml("over.yaml", kMaxConfigBytes + 1), fs::path("/dev/zero")}) {
    CAPTURE(p);
    auto m = refusal(p);
    CHECK(m.starts_with(p.string() + limit));
  }
  CHECK(load_config(write_yaml("at-limit.yaml", kMaxConfigBytes)).lamps == 10);
  // Text handed over directly obeys the same limit.
  auto m = error_of("lamps: 10\n" + std::string(kMaxConfigBytes, '\n'));
  CHECK(m.starts_with("test.yaml" + limit));
}

TEST_CASE("an error quotes a bounded excerpt of a huge value, and still names the key") {
  const std::string huge(1 << 20, 'x');
  const std::string nines(1 << 20, '9');
  struct Case {
    std::string yaml;
    std::string starts;  // the message starts with this
    std::size_t limit = 300;
  };
  // Keys of over 1024 characters must be explicit ("? key") in YAML.
  for (const auto& c : std::vector<Case>{
           {"lamps: " + huge, "test.yaml: lamps: expected a whole number; got \"xxx"},
           {"lamps: " + nines, "test.yaml: lamps: too large; got 999"},
           {"lamps: -" + nines, "test.yaml: lamps: must not be negative; got -999"},
           {"connect: {hatch_rate: " + huge + "}", "test.yaml: connect.hatch_rate: "},
           {"run: {stop: " + huge + "}", "test.yaml: run.stop: unknown value \"xxx"},
           {"broker: {protocol: " + huge + "}", "test.yaml: broker.protocol: "},
           {"workload: {validation: " + huge + "}", "test.yaml: workload.validation: "},
           {"broker: {clean_session: " + huge + "}", "test.yaml: broker.clean_session: "},
           {"run: {duration: " + huge + "}", "test.yaml: run.duration: "},
           {"run: {duration: 1" + huge + "}", "test.yaml: run.duration: "},
           {"broker: {url: " + huge + "}", "test.yaml: broker.url: "},
           {"broker: {url: \"mqtt://" + huge + "\"}", "test.yaml: broker.url: "},
           {"device_id_base: " + huge, "test.yaml: device_id_base: "},
           {"metrics: {listen: " + huge + "}", "test.yaml: metrics.listen: "},
           {"connect: {source_addresses: [" + huge + "]}",
            "test.yaml: connect.source_addresses[0]: "},
           {"workload: {profiles: {touch-drag: " + huge + "}}",
            "test.yaml: workload.profiles.touch-drag: "},
           {"workload:\n  profiles:\n    ? " + huge + "\n    : 100\n",
            "test.yaml: workload.profiles.xxx"},
           {"? " + huge + "\n: 1\n", "test.yaml: xxx"},
           {"run:\n  ? " + huge + "\n  : 1\n", "test.yaml: run.xxx"},
           // Paths are shown up to 200 characters.
           {"broker: {url: \"mqtts://h:8883\", tls: {cert_file: " + huge + ", key_file: \"{id}\"}}",
            "test.yaml: broker.tls.cert_file: ", 400},
       }) {
    CAPTURE(c.yaml.substr(0, 80));
    auto m = error_of(c.yaml);
    CAPTURE(m.substr(0, 400));
    CHECK(m.size() < c.limit);
    CHECK(m.starts_with(c.starts));
    CHECK(std::regex_search(m, std::regex("…(\" )?\\(104857[67] bytes\\)")));
  }
}

TEST_CASE("shards: each an even, disjoint slice of the fleet, together exactly the fleet") {
  for (std::size_t lamps : {1u, 2u, 3u, 10u, 19'000u, 100'003u})
    for (std::size_t count : {1u, 2u, 3u, 7u, 64u}) {
      if (count > lamps) continue;
      CAPTURE(lamps);
      CAPTURE(count);
      std::uint64_t next = 0;
      std::size_t smallest = lamps, largest = 0;
      for (std::size_t index = 0; index < count; ++index) {
        LampSlice s = shard_slice(lamps, {.index = index, .count = count});
        CHECK(s.first == next);  // no gap, no overlap: each starts where the last ended
        next = s.first + s.count;
        smallest = std::min(smallest, s.count);
        largest = std::max(largest, s.count);
      }
      CHECK(next == lamps);
      CHECK(largest - smallest <= 1);
      CHECK(smallest >= 1);
    }
  // As docs/config.md says: 10 lamps over 3 shards are 0-3, 4-6 and 7-9.
  CHECK(shard_slice(10, {.index = 0, .count = 3}).count == 4);
  CHECK(shard_slice(10, {.index = 1, .count = 3}).first == 4);
  CHECK(shard_slice(10, {.index = 2, .count = 3}).first == 7);
  FleetConfig c;
  c.hatch_rate = 90;
  c.shard.count = 3;
  CHECK(shard_hatch_rate(c) == 30.0);
}

TEST_CASE("shard keys: the count and the index are checked against the fleet") {
  CHECK(parse("lamps: 10\nshard: { count: 3 }\n").shard.index == std::nullopt);
  CHECK(parse("lamps: 10\n").shard == ShardConfig{.index = std::nullopt, .count = 1});
  check_error("lamps: 10\nshard: { count: 0 }\n", "shard.count", "must be from 1 to 10000; got 0");
  check_error("lamps: 2\nshard: { count: 3 }\n", "shard.count",
              "3 shards for 2 lamps would leave a shard without lamps");
  check_error("lamps: 10\nshard: { count: 3, index: 3 }\n", "shard.index",
              "must be from 0 to 2 (shard.count is 3); got 3");
  check_error("lamps: 10\nshard: { index: -1 }\n", "shard.index", "must not be negative");
  check_error("lamps: 10\nshard: { counts: 2 }\n", "shard.counts", "count");
}

TEST_CASE("faults: churn and events are read, and a wrong one is named by its place") {
  auto c = parse(R"(faults:
  churn_per_hour: 0.5
  churn_off_time: [1s, 2s]
  events:
    - {at: 30s, kind: kill, share: 0.2}
    - {at: 1m, kind: stall, lasting: 20s}
    - {at: 90s, kind: storm}
)");
  CHECK(c.faults.churn_per_hour == 0.5);
  REQUIRE(c.faults.events.size() == 3);
  CHECK(c.faults.events[0].at == Seconds(30));
  CHECK(c.faults.events[0].kind == FaultKind::kill);
  CHECK(c.faults.events[0].share == 0.2);
  CHECK(c.faults.events[1].kind == FaultKind::stall);
  CHECK(c.faults.events[1].share == 0.1);  // the default
  CHECK(c.faults.events[1].lasting == Seconds(20));
  CHECK(c.faults.events[2].kind == FaultKind::storm);
  check_error("faults:\n  events:\n    - {at: 5s, kind: explode}\n", "faults.events[0].kind",
              "unknown value \"explode\"");
  check_error("faults:\n  events:\n    - {kind: kill}\n", "faults.events[0]", "needs `at`");
  check_error("faults:\n  events:\n    - {at: 5s, when: 3s}\n", "faults.events[0].when", "");
  check_error("faults:\n  events:\n    - {at: 9s}\n    - {at: 5s}\n", "faults.events[1].at",
              "events must be in time order");
  check_error("faults:\n  events:\n    - {at: 5s, share: 0}\n", "faults.events[0].share",
              "must be a share above 0 and at most 1; got 0");
  check_error("faults:\n  events: 5\n", "faults.events", "expected a list of events");
  check_error("faults:\n  churn_per_hour: -1\n", "faults.churn_per_hour", "must be from 0 to 3600");
  // A restart is of the broker the run starts itself: with one of the user's, it is theirs.
  auto r = parse("faults:\n  events:\n    - {at: 20s, kind: restart, lasting: 3s}\n");
  REQUIRE(r.faults.events.size() == 1);
  CHECK(r.faults.events[0].kind == FaultKind::restart);
  CHECK(r.faults.events[0].lasting == Seconds(3));
  check_error(
      "broker: {url: \"mqtt://127.0.0.1:1883\"}\nfaults:\n  events:\n    - {at: 20s, kind: "
      "restart}\n",
      "faults.events[0].kind", "restart your own broker yourself");
}

TEST_CASE("cloud: the mode, where it connects, and the web users' rate are checked") {
  CHECK(parse("cloud: {mode: observe}\n").cloud.mode == CloudMode::observe);
  check_error("cloud: {mode: sometimes}\n", "cloud.mode", "unknown value \"sometimes\"");
  check_error("cloud: {url: \"mqtts://h:8883\"}\n", "cloud.url", "plain MQTT only");
  check_error("broker: {url: \"mqtts://h:8883\"}\ncloud: {mode: active}\n", "cloud.url",
              "mqtt://h:50001");
  check_error("cloud: {web_sessions_per_second: -1}\n", "cloud.web_sessions_per_second",
              "must be from 0 to 10000");
}
