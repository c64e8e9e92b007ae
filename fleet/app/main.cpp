// lampi-fleet: thousands of emulated LAMPI lamps, each holding the one bridged MQTT
// connection a real lamp holds.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "fleet/app/build_info.hpp"
#include "fleet/app/capacity_command.hpp"
#include "fleet/app/certs_command.hpp"
#include "fleet/app/cloud_command.hpp"
#include "fleet/app/logging.hpp"
#include "fleet/app/merge_command.hpp"
#include "fleet/app/number_option.hpp"
#include "fleet/app/run_command.hpp"
#include "fleet/app/shard_identity.hpp"
#include "fleet/config/config_loader.hpp"
#include "fleet/report/verdict.hpp"

using namespace lampi::fleet;

namespace {

struct Overrides {
  // Numbers are kept as typed and read by parse_number_option, so a bad one is quoted.
  std::optional<std::string> lamps;
  std::optional<std::string> device_id_base;
  std::optional<std::string> shard_index;
  std::optional<std::string> shard_count;
  std::optional<std::string> broker;
  std::optional<std::string> duration;
  std::optional<std::string> hatch_rate;
  std::optional<std::string> profile;
  std::optional<std::string> threads;
  std::optional<std::string> seed;
  std::optional<std::string> metrics_listen;
  std::optional<std::string> summary_json;
  std::optional<std::string> report;
  std::optional<std::string> csv;
  std::optional<std::string> state_file;
  std::optional<std::string> ca_file;
  std::optional<std::string> cert_template;
  std::optional<std::string> key_template;
  std::optional<std::string> cloud;
  std::optional<std::string> cloud_url;
  bool tls_insecure = false;
  bool power_loss = false;
};

// A command-line value is checked as its YAML twin would be, but named by its flag.
template <typename F>
auto flag_value(const char* flag, F&& parse) {
  try {
    return parse();
  } catch (const ConfigError& e) {
    throw e.with_context("command line", flag);
  }
}

FleetConfig build_config(const std::string& path, const Overrides& o) {
  FleetConfig c = path.empty() ? FleetConfig{} : load_config(path);
  if (o.lamps)
    c.lamps = parse_number_option<std::size_t>("--lamps", *o.lamps, 1, kMaxLamps,
                                               "a whole number from 1 to 1000000");
  if (o.device_id_base)
    c.device_id_base =
        flag_value("--device-id-base", [&] { return parse_device_id_base(*o.device_id_base); });
  if (o.shard_count)
    c.shard.count = parse_number_option<std::size_t>("--shard-count", *o.shard_count, 1, kMaxShards,
                                                     "a whole number from 1 to 10000");
  if (o.shard_index)
    c.shard.index = parse_number_option<std::size_t>(
        "--shard-index", *o.shard_index, 0, kMaxShards - 1, "a whole number from 0 to 9999");
  if (o.broker) c.broker = flag_value("--broker", [&] { return parse_broker_url(*o.broker); });
  if (o.duration)
    c.duration = flag_value("--duration", [&] { return parse_duration(*o.duration); });
  if (o.hatch_rate)
    c.hatch_rate =
        parse_number_option<double>("--hatch-rate", *o.hatch_rate, kMinHatchRate, kMaxHatchRate,
                                    "from 0.001 to 1000000 lamps per second");
  if (o.profile)
    c.profiles = flag_value("--profile", [&] { return parse_profile_mix(*o.profile); });
  if (o.threads)
    c.threads = parse_number_option<unsigned>("--threads", *o.threads, 0, kMaxThreads,
                                              "a whole number from 0 (one per core) to 1024");
  if (o.seed)
    c.seed = parse_number_option<std::uint64_t>("--seed", *o.seed, 0,
                                                std::numeric_limits<std::uint64_t>::max(),
                                                "a whole number from 0 to 18446744073709551615");
  if (o.metrics_listen)
    c.metrics_listen =
        flag_value("--metrics-listen", [&] { return parse_metrics_listen(*o.metrics_listen); });
  if (o.summary_json) c.summary_json = *o.summary_json;
  if (o.report) c.report_html = *o.report;
  if (o.csv) c.csv_prefix = *o.csv;
  if (o.state_file) c.state_file = *o.state_file;
  if (o.ca_file) c.tls.ca_file = *o.ca_file;
  if (o.cert_template) c.tls.cert_file = *o.cert_template;
  if (o.key_template) c.tls.key_file = *o.key_template;
  if (o.tls_insecure) c.tls.verify = false;  // said in a warning at start (config_warnings)
  if (o.power_loss) c.stop_mode = StopMode::power_loss;
  if (o.cloud) {
    if (*o.cloud == "off")
      c.cloud.mode = CloudMode::off;
    else if (*o.cloud == "active")
      c.cloud.mode = CloudMode::active;
    else if (*o.cloud == "observe")
      c.cloud.mode = CloudMode::observe;
    else
      throw ConfigError("command line", "--cloud",
                        "must be off, active or observe; got " + quote_value(*o.cloud, 40));
  }
  if (o.cloud_url)
    c.cloud.url = flag_value("--cloud-url", [&] { return parse_broker_url(*o.cloud_url); });
  validate(c);
  return c;
}

// Which lamps: the options run, validate and certs share.
void add_fleet_shape(CLI::App& cmd, Overrides& o) {
  cmd.add_option("-n,--lamps", o.lamps, "Number of lamps to emulate (every shard together)");
  cmd.add_option("--device-id-base", o.device_id_base,
                 "Device ID of the first lamp, 12 hex digits (default 1e0000000000)")
      ->type_name("HEX");
  cmd.add_option("--shard-count", o.shard_count,
                 "Processes sharing the fleet; each runs an even slice of the lamps")
      ->type_name("N");
  cmd.add_option("--shard-index", o.shard_index,
                 "This process's shard, 0 to N-1 (default: Kubernetes' JOB_COMPLETION_INDEX "
                 "or a StatefulSet host name's -N)")
      ->type_name("I");
}

void add_overrides(CLI::App& cmd, Overrides& o) {
  add_fleet_shape(cmd, o);
  cmd.add_option(
      "-b,--broker", o.broker,
      "Cloud broker, mqtt://host:port or mqtts://host:port (default: start a local mosquitto)");
  cmd.add_option("-d,--duration", o.duration,
                 "How long to run, e.g. 30s, 10m, 8h (default: until Ctrl-C)");
  cmd.add_option("--hatch-rate", o.hatch_rate, "Lamps powered on per second (default 100)");
  cmd.add_option("-p,--profile", o.profile,
                 "Workload: idle, seed-worst-case, touch-drag, bluetooth, or a mix like "
                 "touch-drag:80,idle:20");
  cmd.add_option("-t,--threads", o.threads,
                 "Worker threads, one event loop each (default: one per core)");
  cmd.add_option("--seed", o.seed,
                 "Seed for every lamp's sessions; the same seed replays the same run");
  cmd.add_option("--metrics-listen", o.metrics_listen,
                 "Prometheus endpoint HOST:PORT (\"\" disables)");
  cmd.add_option("--summary-json", o.summary_json,
                 "Also write the end-of-run summary as JSON here");
  cmd.add_option("--report", o.report,
                 "Write the HTML run report here (default: ./lampi-fleet-report.html; \"\" for "
                 "none)");
  cmd.add_option("--csv", o.csv,
                 "Also write Locust's CSV files PREFIX_stats.csv, PREFIX_stats_history.csv and "
                 "PREFIX_failures.csv")
      ->type_name("PREFIX");
  for (auto [flag, value, help] :
       {std::tuple{"--ca-file", &o.ca_file,
                   "TLS: PEM CA certificate that signed the broker's (and the lamps') "
                   "certificates"},
        {"--cert-template", &o.cert_template,
         "TLS: each lamp's client certificate, {id} standing for its device ID, e.g. "
         "'certs/{id}_broker.crt'"},
        {"--key-template", &o.key_template,
         "TLS: each lamp's private key, e.g. 'certs/{id}_broker.key'"}})
    cmd.add_option(flag, *value, help)->type_name("PATH");
  cmd.add_flag("--tls-insecure", o.tls_insecure,
               "TLS: do NOT verify the broker's certificate or host name (debugging only; the "
               "run says so in a warning, the summary and the report)");
  cmd.add_option("--state-file", o.state_file,
                 "Keep every lamp's stored state (colour, brightness, retained messages) here "
                 "across runs: read at start, saved as the run goes and at the end")
      ->type_name("PATH");
  cmd.add_option("--cloud", o.cloud,
                 "The cloud stand-in (cloud.mode): active (associate lamps, web users move "
                 "sliders), observe (only listen, for a real EC2 stack) or off; both account "
                 "for every lamp's messages at the end")
      ->type_name("MODE");
  cmd.add_option("--cloud-url", o.cloud_url,
                 "Where the stand-in connects, mqtt://host:port (default: the lamps' broker)")
      ->type_name("URL");
  cmd.add_flag("--power-loss", o.power_loss,
               "Stop as if the power failed: drop every connection so the broker fires the wills");
}

// The fleet's options a capacity search takes (its lamps and duration are the search's).
void add_capacity_overrides(CLI::App& cmd, Overrides& o) {
  cmd.add_option("-b,--broker", o.broker,
                 "Broker under test, mqtt://host:port or mqtts://host:port (default: start a "
                 "local mosquitto)");
  cmd.add_option("--hatch-rate", o.hatch_rate,
                 "Lamps powered on per second within each step (default 100)");
  cmd.add_option("-p,--profile", o.profile,
                 "Workload: idle, seed-worst-case, touch-drag, bluetooth, or a mix like "
                 "touch-drag:80,idle:20");
  cmd.add_option("-t,--threads", o.threads, "Worker threads (default: one per core)");
  cmd.add_option("--seed", o.seed, "Seed for every lamp's sessions");
  cmd.add_option("--device-id-base", o.device_id_base, "Device ID of the first lamp")
      ->type_name("HEX");
  for (auto [flag, value, help] :
       {std::tuple{"--ca-file", &o.ca_file, "TLS: PEM CA certificate"},
        {"--cert-template", &o.cert_template, "TLS: each lamp's client certificate, {id} in it"},
        {"--key-template", &o.key_template, "TLS: each lamp's private key, {id} in it"}})
    cmd.add_option(flag, *value, help)->type_name("PATH");
  cmd.add_flag("--tls-insecure", o.tls_insecure, "TLS: do NOT verify the broker's certificate");
}

// Every option can come from the environment too, LAMPI_FLEET_ and its long name
// (--hatch-rate: LAMPI_FLEET_HATCH_RATE), the way containers and Kubernetes pass settings;
// a flag on the command line still wins.
void add_environment_names(CLI::App& cmd) {
  for (CLI::Option* opt : cmd.get_options()) {
    if (opt->get_lnames().empty() || opt->get_lnames().front() == "help") continue;
    std::string name = "LAMPI_FLEET_";
    for (char ch : opt->get_lnames().front())
      name += ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    opt->envname(name);
  }
}

// "--report=" is "--report ''", as GNU's getopt reads it: CLI11 would call it a missing
// value. Every other argument stays as it is.
std::vector<std::string> empty_values_spelled_out(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i > 0 && a.starts_with("--") && a.size() > 3 && a.find('=') == a.size() - 1) {
      args.emplace_back(a.substr(0, a.size() - 1));
      args.emplace_back();
    } else {
      args.emplace_back(a);
    }
  }
  return args;
}

// A log level outside the list is a usage error, named by the option with the choices.
void add_log_level(CLI::App& cmd, std::string& level) {
  cmd.add_option("--log-level", level,
                 "Log lines on stderr from this level up: trace, debug, info, warn, error, off")
      ->check(CLI::IsMember(std::vector<std::string>(kLogLevelNames.begin(), kLogLevelNames.end())))
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "lampi-fleet: emulate a fleet of LAMPI smart lamps against your MQTT broker.\n"
      "Each lamp runs a faithful firmware model (lamp_service, lamp_ui, Bluetooth, local\n"
      "broker) and holds the one bridged connection a real lamp holds."};
  // First of all, so no stop signal can end a run the abrupt way (see stop_signals.hpp).
  const BlockedStopSignals stop_signals;
  const BuildInfo build = this_build();
  app.set_version_flag("--version", fmt::format("lampi-fleet {} ({}, {} build)", build.version,
                                                build.revision, build.build_type));
  app.require_subcommand(1);

  std::string run_config, validate_config;
  std::string log_level = "info";
  Overrides run_overrides;
  auto* run = app.add_subcommand("run", "Power on N lamps against a broker and drive them");
  run->add_option("-c,--config", run_config, "YAML config (see config/ and docs/config.md)")
      ->check(CLI::ExistingFile);
  add_overrides(*run, run_overrides);
  bool fresh_state = false;
  run->add_flag("--fresh", fresh_state,
                "Start every lamp anew, whatever --state-file (run.state_file) holds; it is "
                "written over");
  add_log_level(*run, log_level);
  add_environment_names(*run);

  Overrides validate_overrides;
  auto* validate_cmd = app.add_subcommand(
      "validate",
      "Check a config and the overrides (or, without --config, the command line alone), "
      "every lamp's certificate included, without connecting");
  validate_cmd->add_option("-c,--config", validate_config, "YAML config")->check(CLI::ExistingFile);
  add_overrides(*validate_cmd, validate_overrides);
  add_log_level(*validate_cmd, log_level);
  add_environment_names(*validate_cmd);

  std::string certs_config;
  Overrides certs_overrides;
  CertsOptions certs_options;
  auto* certs = app.add_subcommand(
      "certs",
      "Make a client certificate and key per lamp (CN <id>_broker) signed by your CA, as "
      "the course's chapter 13 does, for the TLS options' {id} templates");
  certs->add_option("-c,--config", certs_config, "YAML config: its lamps, device IDs and shards")
      ->check(CLI::ExistingFile);
  add_fleet_shape(*certs, certs_overrides);
  certs
      ->add_option("--out", certs_options.out,
                   "Folder for <id>_broker.crt and <id>_broker.key (made if missing)")
      ->required()
      ->type_name("DIR");
  certs
      ->add_option("--ca-cert", certs_options.ca_cert,
                   "The CA certificate that signs them, e.g. certs/lampi_ca.crt")
      ->type_name("PATH");
  certs->add_option("--ca-key", certs_options.ca_key, "Its private key (unencrypted PEM)")
      ->type_name("PATH");
  certs->add_flag("--new-ca", certs_options.new_ca,
                  "No CA yet: make one, as DIR/lampi_ca.crt and DIR/lampi_ca.key (a test stack)");
  certs->add_flag("--keep-existing", certs_options.keep_existing,
                  "Keep each lamp whose certificate and key are both in DIR already (a rerun), "
                  "instead of refusing");
  certs->add_option("--days", certs_options.days, "How long they are valid, in days")
      ->check(CLI::Range(1, 36500))
      ->capture_default_str();
  certs->add_option("-t,--threads", certs_overrides.threads,
                    "Threads signing (default: one per core)");
  add_log_level(*certs, log_level);
  add_environment_names(*certs);

  std::string cloud_config;
  Overrides cloud_overrides;
  bool cloud_observe = false;
  auto* cloud_cmd = app.add_subcommand(
      "cloud",
      "Be the course's EC2 side for lamps that run elsewhere: associate them and have web "
      "users move their sliders (or, with --observe, only watch), timing each command");
  cloud_cmd->add_option("-c,--config", cloud_config, "YAML config: its broker and cloud sections")
      ->check(CLI::ExistingFile);
  cloud_cmd->add_option("-b,--broker", cloud_overrides.broker,
                        "The broker the lamps use, mqtt://host:port");
  cloud_cmd->add_option("-d,--duration", cloud_overrides.duration,
                        "How long (default: until Ctrl-C)");
  cloud_cmd->add_flag("--observe", cloud_observe, "Only listen: never publish");
  add_log_level(*cloud_cmd, log_level);
  add_environment_names(*cloud_cmd);

  std::string capacity_config;
  Overrides capacity_overrides;
  CapacityOptions capacity_options;
  auto* capacity = app.add_subcommand(
      "capacity",
      "Find the broker's knee: add lamps in steps, hold each, stop when an SLO breaks, narrow "
      "the step around it, and report the capacity (docs/capacity.md)");
  capacity->add_option("-c,--config", capacity_config, "YAML config: broker, workload, SLOs")
      ->check(CLI::ExistingFile);
  add_capacity_overrides(*capacity, capacity_overrides);
  add_capacity_options(*capacity, capacity_options);
  add_log_level(*capacity, log_level);
  add_environment_names(*capacity);

  MergeOptions merge_options;
  auto* merge = app.add_subcommand(
      "merge",
      "Add up the summaries of a sharded fleet's processes (each run with --summary-json) "
      "into one table, verdict and exit code, as if one process had run every lamp");
  merge->add_option("files", merge_options.inputs, "Every shard's summary JSON, once each")
      ->required()
      ->check(CLI::ExistingFile)
      ->type_name("SUMMARY.json");
  merge->add_option("--summary-json", merge_options.summary_json,
                    "Write the merged summary as JSON here");
  merge->add_option("--report", merge_options.report, "Write the merged HTML report here")
      ->type_name("PATH");
  add_log_level(*merge, log_level);

  {
    // CLI11 reads the arguments last to first, so it is handed them reversed.
    std::vector<std::string> args = empty_values_spelled_out(argc, argv);
    if (args.empty()) args.emplace_back("lampi-fleet");  // exec'd with no argv[0]
    app.name(args.front());  // as CLI11_PARSE would: the usage line names the program
    args.erase(args.begin());
    std::reverse(args.begin(), args.end());
    try {
      app.parse(std::move(args));
    } catch (const CLI::ParseError& e) {
      return app.exit(e);
    }
  }
  const bool terminal = isatty(STDERR_FILENO) == 1;
  // CLI11 has checked the name, so the level is always there.
  auto log = make_logger(parse_log_level(log_level).value_or(spdlog::level::info), terminal);
  try {
    if (*merge) return merge_shards(merge_options, *log);
    if (*capacity)
      return run_capacity(
          build_config(capacity_config, capacity_overrides), capacity_options,
          RunOptions{.progress_to_terminal = terminal, .log = log, .stop_signals = &stop_signals});
    if (*cloud_cmd) {
      FleetConfig c = build_config(cloud_config, cloud_overrides);
      c.cloud.mode = cloud_observe ? CloudMode::observe : CloudMode::active;
      return run_cloud_alone(c, stop_signals, *log);
    }
    if (*certs) {
      FleetConfig c = build_config(certs_config, certs_overrides);
      require_shard_index(c);
      return issue_certs(certs_options, c, *log);
    }
    if (*validate_cmd) {
      stop_signals.unblock();
      FleetConfig c = build_config(validate_config, validate_overrides);
      check_files(c);
      // A config for every shard leaves the index to each process's environment. When
      // this environment says, its shard's certificates are checked; when it does not,
      // every shard's are, as whichever pod runs this config will need its own.
      const auto source = find_shard_index(c);
      FleetConfig certificates_of = c;
      std::string shard_note;
      if (!source) {
        shard_note =
            fmt::format(", {} shards, each process's index from its environment", c.shard.count);
        certificates_of.shard = {.index = 0, .count = 1};
      } else if (c.shard.count > 1) {
        shard_note = fmt::format(", shard {} of {}{}", *c.shard.index, c.shard.count,
                                 source->empty() ? "" : " from " + *source);
      }
      if (!lamp_certificates_pass(certificates_of, *log)) return kExitUsage;
      fmt::print("{}: OK ({} lamps{}{})\n",
                 validate_config.empty() ? "command line" : validate_config, c.lamps, shard_note,
                 c.tls.cert_file.empty() ? "" : ", every certificate checked");
      return kExitOk;
    }
    FleetConfig c = build_config(run_config, run_overrides);
    check_files(c);
    if (const std::string source = require_shard_index(c); !source.empty())
      log->info("Shard index {} from {}", *c.shard.index, source);
    return run_fleet(c, RunOptions{.progress_to_terminal = terminal,
                                   .log = log,
                                   .stop_signals = &stop_signals,
                                   .fresh_state = fresh_state});
  } catch (const std::exception& e) {  // ConfigError too: its text names the key
    log->error("{}", e.what());
    return kExitUsage;
  }
}
