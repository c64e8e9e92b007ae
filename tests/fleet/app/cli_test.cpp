// The lampi-fleet command itself: bad configs and impossible fleets are refused with a
// message that names the problem, a non-zero exit, and no connection to the broker.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "fleet/broker/mosquitto_process.hpp"
#include "tests/fleet/app/cli_runner.hpp"
#include "tests/support/read_text.hpp"

namespace fs = std::filesystem;

using namespace lampi::testing;

namespace {

// A 2-lamp, 1 s run against the mosquitto the tool starts itself; its stderr is a pipe.
Result short_local_run(const std::string& extra, Result (*run)(const std::string&) = run_cli) {
  TempDir dir;
  return run(fmt::format("run --lamps 2 --duration 1s --metrics-listen \"\" --report {} {}",
                         (dir.path / "report.html").string(), extra));
}

}  // namespace

TEST_CASE("bad configs: a clear message naming the key, exit 2, nothing connects") {
  auto broker = lampi::fleet::MosquittoProcess::start({});
  TempDir dir;
  std::string url = fmt::format("mqtt://127.0.0.1:{}", broker.port());
  struct Case {
    const char* what;
    std::string yaml;
    std::vector<std::string> expected;  // fragments of the message
  };
  std::vector<Case> cases = {
      {"unknown key",
       "lamps: 10\nbroker: {url: " + url + "}\nhatch_rat: 5\n",
       {"hatch_rat", "unknown"}},
      {"misspelt nested key",
       "broker: {url: " + url + ", keepalive: 60s}\nconnect: {hatch_rte: 5}\n",
       {"connect.hatch_rte", "hatch_rate"}},
      {"wrong type", "lamps: many\nbroker: {url: " + url + "}\n", {"lamps", "many"}},
      {"out of range", "lamps: 0\nbroker: {url: " + url + "}\n", {"lamps"}},
      {"a hatch rate that would power every lamp on at once",
       "broker: {url: " + url + "}\nconnect: {hatch_rate: 1e-300}\n",
       {"connect.hatch_rate", "from 0.001 to 1000000"}},
      {"bad duration",
       "broker: {url: " + url + "}\nrun: {duration: 10 minutes}\n",
       {"run.duration"}},
      {"bad url", "broker: {url: \"http://127.0.0.1:1883\"}\n", {"broker.url"}},
      {"profile shares",
       "broker: {url: " + url + "}\nworkload: {profiles: {touch-drag: 50, idle: 20}}\n",
       {"workload.profiles", "100"}},
      {"unknown profile",
       "broker: {url: " + url + "}\nworkload: {profiles: {touch-drg: 100}}\n",
       {"touch-drg", "touch-drag"}},
      {"YAML syntax", "lamps: [1, 2\nbroker: {url: " + url + "}\n", {"line"}},
      {"keepalive below libmosquitto's minimum",
       "broker: {url: " + url + ", keepalive: 2s}\n",
       {"broker.keepalive"}},
      {"missing TLS files",
       "broker:\n  url: mqtts://127.0.0.1:8883\n  tls: {ca_file: /nonexistent/ca.crt, cert_file: "
       "\"/nonexistent/{id}.crt\", key_file: \"/nonexistent/{id}.key\"}\n",
       {"broker.tls.ca_file", "/nonexistent/ca.crt"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto path = dir.write("bad.yaml", c.yaml);
    for (const char* command : {"run", "validate"}) {
      CAPTURE(command);
      auto r = run_cli(fmt::format("{} -c {} --duration 5s", command, path));
      CAPTURE(r.output);
      CHECK(r.exit_code == 2);
      CHECK(r.output.find("error:") != std::string::npos);
      for (const auto& fragment : c.expected) CHECK(r.output.find(fragment) != std::string::npos);
    }
  }
  CHECK_FALSE(broker_saw_a_client(broker));
}

TEST_CASE("bad command-line values are named by their flag") {
  auto r =
      run_cli("validate -c " + std::string(LAMPI_SOURCE_DIR) + "/config/local.yaml --duration 5x");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--duration") != std::string::npos);
  r = run_cli("run --broker ftp://127.0.0.1 --duration 1s");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--broker") != std::string::npos);
  // Parsed once, by the same functions as their YAML keys.
  r = run_cli("run --metrics-listen localhost --duration 1s");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("command line: --metrics-listen: \"localhost\" has no port") !=
        std::string::npos);
  r = run_cli("run --profile touch-drag:80,idle:10 --duration 1s");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("command line: --profile: profile mix \"touch-drag:80,idle:10\" adds up "
                      "to 90; expected 100") != std::string::npos);
}

TEST_CASE("numbers on the command line are never wrapped, and errors quote what was typed") {
  struct Case {
    std::string args;
    std::string message;
  };
  for (const auto& c : std::vector<Case>{
           {"-n -5", "--lamps: must be a whole number from 1 to 1000000; got \"-5\""},
           {"-n 0", "--lamps: must be a whole number from 1 to 1000000; got \"0\""},
           {"-n 1e3", "got \"1e3\""},
           {"-n 99999999999999999999", "got \"99999999999999999999\""},
           {"--seed -1", "--seed: must be a whole number from 0 to 18446744073709551615"},
           {"--seed 12x", "got \"12x\""},
           {"-t -1", "--threads: must be a whole number from 0 (one per core) to 1024"},
           {"-t 5000", "got \"5000\""},
           {"--hatch-rate 1e-300", "--hatch-rate: must be from 0.001 to 1000000 lamps per second"},
           {"--hatch-rate nan", "got \"nan\""},
           {"--hatch-rate inf", "got \"inf\""},
           {"--hatch-rate 0", "got \"0\""},
       }) {
    CAPTURE(c.args);
    auto r =
        run_cli("validate -c " + std::string(LAMPI_SOURCE_DIR) + "/config/local.yaml " + c.args);
    CAPTURE(r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "command line: "));
    CHECK(contains(r.output, c.message));
  }
  auto ok = run_cli("validate -c " + std::string(LAMPI_SOURCE_DIR) +
                    "/config/local.yaml -n 50 --seed 18446744073709551615 --hatch-rate 0.001 -t 0");
  CHECK(ok.exit_code == 0);
}

TEST_CASE("a config file past 4 MiB is refused at once, naming the file and the limit") {
  TempDir dir;
  std::string big = "lamps: 10\n";  // valid YAML: one key, then 5 MiB of comments
  while (big.size() < (5u << 20)) big += "#" + std::string(1022, 'x') + "\n";
  const std::string file = dir.write("big.yaml", big);
  const std::string fifo = (dir.path / "endless.fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  struct Case {
    std::string path;
    std::string before;  // shell words run first
  };
  for (const auto& c : std::vector<Case>{{file, ""},
                                         {"/dev/zero", ""},
                                         {fifo, "(yes '# more' > " + fifo + " 2>/dev/null &); "}}) {
    for (const char* command : {"validate", "run"}) {
      CAPTURE(c.path);
      CAPTURE(command);
      // `timeout` turns a tool that reads on forever into a failure, not a hung suite.
      auto r = run_shell(fmt::format("{}timeout 20 {} {} -c {} --metrics-listen \"\" --report \"\"",
                                     c.before, LAMPI_FLEET_BIN, command, c.path));
      CAPTURE(r.output);
      CHECK(r.exit_code == 2);
      CHECK(contains(r.output, c.path + ": is larger than 4 MiB (4194304 bytes), the limit for a "
                                        "config file"));
      CHECK(lines_of(r.output).size() == 1);  // nothing started, nothing else said
    }
  }
}

TEST_CASE("an error quotes a bounded excerpt of a huge value, naming the key or the flag") {
  TempDir dir;
  const std::string huge(1 << 20, 'x');
  // Numbers and choices make lines under 300 characters, log prefix and all; a duration's
  // or a listen address's spells out the syntax it accepts, so gets 400.
  struct Case {
    std::string yaml, key;
    std::size_t limit = 300;
  };
  for (const auto& [yaml, key, limit] : std::vector<Case>{
           {"lamps: " + huge + "\n", "lamps"},
           {"connect: {hatch_rate: " + huge + "}\n", "connect.hatch_rate"},
           {"run: {stop: " + huge + "}\n", "run.stop"},
           {"broker: {protocol: " + huge + "}\n", "broker.protocol"},
           {"run: {duration: " + huge + "}\n", "run.duration", 400},
       }) {
    CAPTURE(key);
    auto r = run_cli("validate -c " + dir.write("huge.yaml", yaml));
    CAPTURE(r.output.substr(0, 500));
    CHECK(r.exit_code == 2);
    CHECK(r.output.size() < limit);
    CHECK(lines_of(r.output).size() == 1);
    CHECK(contains(r.output, "huge.yaml: " + key + ": "));
    CHECK(contains(r.output, "(1048576 bytes)"));
  }
  // One argument may hold at most 128 KiB, so the command line gets 100 KB.
  const std::string long_arg(100'000, '7');
  for (const auto& [flag, limit] :
       std::vector<std::pair<std::string, std::size_t>>{{"--lamps", 300},
                                                        {"--threads", 300},
                                                        {"--seed", 300},
                                                        {"--hatch-rate", 300},
                                                        {"--profile", 300},
                                                        {"--broker", 300},
                                                        {"--duration", 400},
                                                        {"--metrics-listen", 400}}) {
    CAPTURE(flag);
    auto r = run_cli(
        fmt::format("validate -c {}/config/local.yaml {} {}x", LAMPI_SOURCE_DIR, flag, long_arg));
    CAPTURE(r.output.substr(0, 500));
    CHECK(r.exit_code == 2);
    CHECK(r.output.size() < limit);
    CHECK(contains(r.output, "command line: " + flag + ": "));
    CHECK(contains(r.output, "(100001 bytes)"));
  }
}

TEST_CASE("a busy metrics port is a clear error before anything starts") {
  LoopbackSocket taken(true);
  std::string where = fmt::format("127.0.0.1:{}", taken.port());
  auto r = run_cli("run -n 2 -d 2s --report \"\" --metrics-listen " + where);
  CAPTURE(r.output);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, where + " is in use (another lampi-fleet?); use --metrics-listen "
                                   "127.0.0.1:0 or another port"));
  CHECK_FALSE(contains(r.output, "Started a local mosquitto"));  // nothing was started
}

TEST_CASE("a fleet that cannot fit is refused before anything connects") {
  auto broker = lampi::fleet::MosquittoProcess::start({});
  // More lamps than this process may open file descriptors (hard limit 20,000 here).
  auto r = run_cli(
      fmt::format("run --lamps 900000 --broker mqtt://127.0.0.1:{} --duration 5s", broker.port()));
  CAPTURE(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("file descriptors") != std::string::npos);
  CHECK_FALSE(broker_saw_a_client(broker));
}

TEST_CASE("validate accepts the example configs that need no files") {
  for (const char* name : {"local.yaml", "seed-mqtt-test.yaml"}) {
    CAPTURE(name);
    auto r = run_cli(fmt::format("validate -c {}/config/{}", LAMPI_SOURCE_DIR, name));
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("OK") != std::string::npos);
  }
}

TEST_CASE("--help reads well") {
  auto r = run_cli("run --help");
  CHECK(r.exit_code == 0);
  for (const char* flag :
       {"--lamps", "--broker", "--duration", "--hatch-rate", "--profile", "--threads", "--seed",
        "--power-loss", "--summary-json", "--metrics-listen", "--report", "--csv PREFIX",
        "--ca-file PATH", "--cert-template PATH", "--key-template PATH", "--tls-insecure"})
    CHECK(r.output.find(flag) != std::string::npos);
  // validate takes the same overrides, and no --config is needed.
  r = run_cli("validate --help");
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "--cert-template PATH"));
  CHECK_FALSE(contains(r.output, "REQUIRED"));
}

TEST_CASE("--version names the version, the git revision and the build type") {
  auto r = run_cli("--version");
  CHECK(r.exit_code == 0);
  CHECK(std::regex_search(r.output,
                          std::regex(R"(^lampi-fleet \d+\.\d+\.\d+ \(\S+, \w+ build\)\n$)")));
}

TEST_CASE("SLOs gate the exit code, and the JSON summary says why") {
  auto broker = lampi::fleet::MosquittoProcess::start({});
  TempDir dir;
  std::string url = fmt::format("mqtt://127.0.0.1:{}", broker.port());
  auto summary = (dir.path / "summary.json").string();
  auto run_with = [&](const std::string& slo) {
    auto path = dir.write(
        "slo.yaml", "lamps: 20\nbroker: {url: " + url +
                        "}\nconnect: {hatch_rate: 100}\nworkload: {profiles: {seed-worst-case: "
                        "100}}\nmetrics: {listen: \"\"}\nslo: " +
                        slo + "\n");
    return run_cli(fmt::format("run -c {} --duration 4s --summary-json {} --report {}/report.html",
                               path, summary, dir.path.string()));
  };
  auto read_summary = [&] { return lampi::testing::read_text(summary); };

  auto ok = run_with("{min_bridged_ratio: 0.9, max_failure_ratio: 0.5}");
  CAPTURE(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK(ok.output.find("SLO min_bridged_ratio") != std::string::npos);
  CHECK(read_summary().find("\"slos_passed\": true") != std::string::npos);
  // Every run leaves its HTML report where --report says.
  CHECK(fs::file_size(dir.path / "report.html") > 1000);
  CHECK(ok.output.find("Report: " + (dir.path / "report.html").string()) != std::string::npos);

  // No broker answers PUBACK within a microsecond.
  auto broken = run_with("{p95_response_time: 1us}");
  CAPTURE(broken.output);
  CHECK(broken.exit_code == 1);
  CHECK(broken.output.find("FAIL") != std::string::npos);
  CHECK(read_summary().find("\"slos_passed\": false") != std::string::npos);
}

TEST_CASE("log lines: plain, greppable UTC lines when stderr is not a terminal") {
  auto r = short_local_run("");
  CAPTURE(r.output);
  REQUIRE(r.exit_code == 0);
  const std::regex log_line(
      R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z lampi-fleet (info|warning|error): .+)");
  std::size_t log_lines = 0;
  bool started = false;
  for (const auto& line : lines_of(r.output)) {
    if (!std::regex_match(line, log_line)) continue;
    ++log_lines;
    started =
        started || std::regex_search(line, std::regex(R"( info: Started a local mosquitto on )"
                                                      R"(127\.0\.0\.1:\d+ \(log: .+\); it stops)"));
  }
  CHECK(started);
  CHECK(log_lines >= 4);                    // started, lamps on threads, stopping, report
  CHECK_FALSE(contains(r.output, "\033"));  // no colour codes in a pipe
  CHECK(contains(r.output, "Aggregated"));  // the summary table is still there
}

TEST_CASE("log lines: local time, for a person, on a terminal") {
  auto r = short_local_run("", run_cli_on_terminal);
  CAPTURE(r.output);
  REQUIRE(r.exit_code == 0);
  // The level is coloured where TERM says the terminal has colours.
  CHECK(std::regex_search(
      r.output, std::regex(R"((^|\n)\[\d{2}:\d{2}:\d{2}\] (\x1b\[[0-9;]*m)?info(\x1b\[m)?: )"
                           R"(Started a local mosquitto on 127\.0\.0\.1:\d+)")));
  CHECK_FALSE(contains(r.output, "Z lampi-fleet info:"));
}

TEST_CASE("--log-level chooses which log lines show, never hiding the summary") {
  struct Case {
    const char* flag;
    std::vector<std::string> shown, hidden;
  };
  const std::vector<Case> cases = {
      {"", {" info: Started a local mosquitto", " info: Report:"}, {" debug: "}},
      {"--log-level warn", {}, {"Started a local mosquitto", "Report:", " info: ", " debug: "}},
      {"--log-level debug",
       {" debug: Capacity: fd limit ",
        " debug: Broker mqtt://127.0.0.1:", " info: Started a local mosquitto"},
       {}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.flag);
    auto r = short_local_run(c.flag);
    CAPTURE(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, "Aggregated"));
    CHECK(contains(r.output, "Verdict:"));
    for (const auto& fragment : c.shown) CHECK(contains(r.output, fragment));
    for (const auto& fragment : c.hidden) CHECK_FALSE(contains(r.output, fragment));
  }
}

TEST_CASE("an unknown --log-level is a usage error naming the option and the levels") {
  for (const char* command : {"run", "validate"}) {
    CAPTURE(command);
    auto r = run_cli(
        fmt::format("{} -c {}/config/local.yaml --log-level nope", command, LAMPI_SOURCE_DIR));
    CAPTURE(r.output);
    CHECK(r.exit_code != 0);
    CHECK(contains(r.output, "Run with --help"));  // CLI11's usage error, before any work
    CHECK(contains(r.output, "--log-level"));
    CHECK(contains(r.output, "nope"));
    for (const char* level : {"trace", "debug", "info", "warn", "error", "off"})
      CHECK(contains(r.output, level));
    CHECK_FALSE(contains(r.output, "Started a local mosquitto"));
  }
  auto help = run_cli("run --help");
  CHECK(contains(help.output, "--log-level"));
}

TEST_CASE("errors are log lines too, and --log-level off silences them but not the exit code") {
  TempDir dir;
  auto path = dir.write("bad.yaml", "lamps: 0\n");
  auto r = run_cli("validate -c " + path);
  CAPTURE(r.output);
  CHECK(r.exit_code == 2);
  CHECK(std::regex_search(r.output, std::regex(R"(Z lampi-fleet error: .*lamps)")));
  r = run_cli("validate --log-level off -c " + path);
  CHECK(r.exit_code == 2);
  CHECK_FALSE(contains(r.output, "error"));
}

TEST_CASE("tls.verify false: a warning at start, and again with the verdict and in the report") {
  TempDir dir;
  auto config = dir.write(
      "insecure.yaml",
      fmt::format("broker:\n  url: mqtts://127.0.0.1:{}\n  tls:\n    verify: false\nlamps: 1\n"
                  "run:\n  duration: 1s\n",
                  closed_port()));
  auto report = (dir.path / "r.html").string();
  auto r = run_cli(fmt::format("run -c {} --metrics-listen \"\" --report {}", config, report));
  CAPTURE(r.output);
  const std::string warning = "TLS certificate verification was off (broker.tls.verify: false)";
  auto at_start = r.output.find("lampi-fleet warning: " + warning);
  CHECK(at_start < r.output.find("Stopping:"));
  CHECK(contains(r.output, "\nWarning: " + warning));
  CHECK(contains(read_text(report), warning));
}

TEST_CASE("--option= is the option with an empty value, as --option \"\" is") {
  for (const char* option : {"--metrics-listen", "--report", "--summary-json", "--csv"}) {
    CAPTURE(option);
    auto spelled_out = run_cli(fmt::format("validate -n 3 {} \"\"", option));
    auto with_equals = run_cli(fmt::format("validate -n 3 {}=", option));
    CHECK(spelled_out.exit_code == 0);
    CHECK(with_equals.exit_code == spelled_out.exit_code);
    CHECK(with_equals.output == spelled_out.output);
  }
  // A real run with --metrics-listen= serves no endpoint, as "" does.
  TempDir dir;
  auto r = run_cli(fmt::format("run --lamps 2 --duration 1s --report {} --metrics-listen=",
                               (dir.path / "report.html").string()));
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(contains(r.output, "Metrics: http://"));
}

TEST_CASE("every option can come from the environment as LAMPI_FLEET_<NAME>, and a flag still wins") {
  auto r = run_shell("LAMPI_FLEET_LAMPS=7 LAMPI_FLEET_DEVICE_ID_BASE=abc " + tool_command() +
                     " validate");
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "OK (7 lamps)"));
  r = run_shell("LAMPI_FLEET_LAMPS=7 " + tool_command() + " validate -n 9");
  CHECK(contains(r.output, "OK (9 lamps)"));
  // A bad value from the environment is named by its option, like a typed one.
  r = run_shell("LAMPI_FLEET_HATCH_RATE=fast " + tool_command() + " validate");
  CAPTURE(r.output);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "--hatch-rate: must be from 0.001 to 1000000 lamps per second; got "
                           "\"fast\""));
  // --help says which variable each option reads.
  CHECK(contains(run_cli("run --help").output, "LAMPI_FLEET_SHARD_INDEX"));
}
