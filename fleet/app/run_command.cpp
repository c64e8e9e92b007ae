#include "fleet/app/run_command.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <signal.h>
#include <spdlog/logger.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "fleet/app/broker_restarts.hpp"
#include "fleet/app/build_info.hpp"
#include "fleet/broker/mosquitto_process.hpp"
#include "fleet/cloud/cloud_stand_in.hpp"
#include "fleet/config/config_loader.hpp"
#include "fleet/engine/certificate_check.hpp"
#include "fleet/engine/fleet_engine.hpp"
#include "fleet/engine/preflight.hpp"
#include "fleet/engine/tls_context.hpp"
#include "fleet/metrics/metrics_exporter.hpp"
#include "fleet/report/failure_log.hpp"
#include "fleet/report/html_report.hpp"
#include "fleet/report/locust_csv.hpp"
#include "fleet/report/output_file.hpp"
#include "fleet/report/progress.hpp"
#include "fleet/report/run_summary.hpp"
#include "fleet/report/state_file.hpp"
#include "fleet/report/summary_json.hpp"
#include "fleet/stats/run_timeline.hpp"

namespace lampi::fleet {

namespace {

using Clock = std::chrono::steady_clock;      // for durations
using WallClock = std::chrono::system_clock;  // for the summary's timestamps only

// glibc gives each thread that allocates an arena of its own, which keeps what it freed: the
// metrics server's sixteen threads would each hold ~200 kB after a few scrapes, and a soak's
// RSS would climb for no lamp's sake. The worker threads (one per shard, first to allocate)
// keep an arena each; the stand-in, the run loop and the web threads share the rest.
void limit_malloc_arenas(const FleetConfig& config) {
  const unsigned workers =
      config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  mallopt(M_ARENA_MAX, static_cast<int>(workers + 3));
}

// Once a fault's burst is over (its reconnects' bridge queues sent), the whole pages it
// freed go back to the system, so that RSS after it shows what stays, not its high water.
void trim_after_faults(const std::vector<FaultEvent>& events, double now_s, std::size_t& next) {
  constexpr double kBurstSeconds = 10;
  bool due = false;
  while (next < events.size() &&
         now_s >= events[next].at.count() + events[next].lasting.count() + kBurstSeconds) {
    due = true;
    ++next;
  }
  if (due) malloc_trim(0);
}

std::string report_title(const FleetConfig& config) {
  if (config.shard.count == 1) return fmt::format("lampi-fleet: {} lamps", config.lamps);
  return fmt::format("lampi-fleet: shard {} of {}, {} of {} lamps", config.shard.index.value_or(0),
                     config.shard.count, shard_slice(config).count, config.lamps);
}

// Where the results go, settled before the first lamp powers on: an output that was
// asked for and cannot be written fails the run now, not after an eight-hour soak.
struct OutputPlan {
  std::string summary_json;   // empty: none
  std::string report;         // empty: none
  bool report_asked = false;  // the default report is best effort
  std::string csv_prefix;     // empty: none
  std::string state_file;     // empty: none
};

OutputPlan plan_outputs(const FleetConfig& c, spdlog::logger& log) {
  auto checked = [](const std::string& path, const char* option) {
    try {
      check_output_path(path);
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("{}: {}", option, e.what()));
    }
    return path;
  };
  OutputPlan plan;
  if (!c.summary_json.empty())
    plan.summary_json = checked(c.summary_json, "--summary-json (report.summary_json)");
  if (!c.csv_prefix.empty()) {
    for (const auto& path : locust_csv_paths(c.csv_prefix))
      checked(path, "--csv (report.csv_prefix)");
    plan.csv_prefix = c.csv_prefix;
  }
  if (!c.state_file.empty())
    plan.state_file = checked(c.state_file, "--state-file (run.state_file)");
  if (c.report_html) {
    plan.report_asked = !c.report_html->empty();
    if (plan.report_asked) plan.report = checked(*c.report_html, "--report (report.html)");
    return plan;
  }
  try {
    check_output_path(default_report_html(c));
    plan.report = default_report_html(c);
  } catch (const std::exception& e) {
    log.warn(
        "Not writing the default HTML report ({}); give --report PATH to put it "
        "elsewhere, or --report \"\" for none.",
        e.what());
  }
  return plan;
}

// The state file, whole or not at all; a save that fails is said and tried again at the
// next, the run goes on. False when it could not be written.
bool save_states(FleetEngine& engine, const std::string& path, spdlog::logger& log) {
  auto states = engine.stored_lamps(std::chrono::seconds(2));
  if (!states) {
    log.warn(
        "Not saving {} now: a worker thread did not answer within 2 s (overloaded?); "
        "trying again at the next save",
        path);
    return false;
  }
  try {
    write_output_file(path, render_state_file(*states));
    log.debug("Saved {} lamps' state to {}", states->size(), path);
    return true;
  } catch (const std::exception& e) {
    log.error("could not write the state file: {}", e.what());
    return false;
  }
}

// How long after a lamp's connection closed its will may take to reach the cloud: the
// broker's 1.5 keepalives (when the close never reached it) and a margin.
std::chrono::milliseconds will_bound(const FleetConfig& config) {
  return std::chrono::milliseconds(5000) +
         std::chrono::duration_cast<std::chrono::milliseconds>(1.5 * config.model.keepalive);
}

// The cloud stand-in for this process's lamps, connected and subscribed before the first
// lamp powers on, so it hears every message of theirs; null without `cloud:`.
std::unique_ptr<CloudStandIn> start_cloud(const FleetConfig& config,
                                          const ResolvedBroker& lamps_broker, spdlog::logger& log) {
  if (config.cloud.mode == CloudMode::off) return nullptr;
  ResolvedBroker at = config.cloud.url ? resolve_broker(*config.cloud.url) : lamps_broker;
  const LampSlice slice = shard_slice(config);
  CloudScope scope{.first_id = config.device_id_base + slice.first, .count = slice.count};
  CloudConfig cloud = config.cloud;
  // Each shard's stand-in drives its own lamps at its share of the fleet's rate.
  cloud.web_sessions_per_second /= static_cast<double>(config.shard.count);
  auto client =
      "lampi-fleet-cloud-" + model::device_id_at(config.device_id_base, slice.first).str();
  auto stand_in =
      std::make_unique<CloudStandIn>(cloud, cloud_link(at, config), scope, config.seed, client);
  stand_in->set_will_bound(will_bound(config));
  if (!stand_in->start(std::chrono::seconds(10)))
    throw std::runtime_error(fmt::format(
        "the cloud stand-in ({}) could not connect to {}:{} and subscribe within 10 s; check "
        "cloud.url, the broker's credentials and its ACL (it subscribes to devices/# and "
        "$SYS/broker/connection/+/state), or run without --cloud",
        client, at.numeric_host, at.port));
  log.info("Cloud stand-in ({}): {} as {} on {}:{}", cloud_mode_name(config.cloud.mode),
           config.cloud.mode == CloudMode::active ? "associating lamps, web users moving sliders"
                                                  : "listening only",
           client, at.numeric_host, at.port);
  return stand_in;
}

// After the lamps have stopped: the broker's last deliveries and the wills it owes, then
// both sides of every lamp compared.
CloudAccounting account_for_lamps(CloudStandIn& cloud, const FleetEngine& engine,
                                  spdlog::logger& log) {
  auto ledgers = engine.lamp_ledgers();
  std::unordered_map<std::uint64_t, std::uint64_t> wills;
  for (const auto& l : ledgers)
    if (l.own_drops > 0) wills.emplace(l.device_id, l.own_drops);
  // A will comes at once for a closed socket; 1.5 keepalives is the broker's bound when the
  // close never reached it.
  const auto wait = will_bound(engine.config());
  // Not connected, it answers at once: nothing more can come.
  const bool connected = cloud.connected();
  if (!cloud.settle(std::move(wills), wait)) {
    if (connected)
      log.warn(
          "The cloud stand-in did not hear the broker's last deliveries and every will "
          "within {:g} s",
          std::chrono::duration<double>(wait).count());
    else
      log.warn(
          "The cloud stand-in is not connected to the broker at the end: the broker's last "
          "deliveries and wills cannot be awaited, and what it missed is counted as "
          "explained");
  }
  cloud.stop();
  return reconcile(engine.config().cloud.mode, ledgers, cloud.lamps(), cloud.totals());
}

}  // namespace

MosquittoProcess start_local_broker(const FleetConfig& config) {
  MosquittoOptions opts;
  opts.extra_config_lines = {"max_connections -1", "max_inflight_messages 20"};
  // A restart keeps the sessions and retained messages, as a broker with a database does.
  for (const auto& e : config.faults.events)
    if (e.kind == FaultKind::restart) opts.persistence = true;
  // The cloud stand-in takes every lamp's messages on one connection: past mosquitto's
  // default queue of 1000 behind it (a reconnect storm's replays) the broker would drop
  // them, and the accounting would find them lost.
  if (config.cloud.mode != CloudMode::off)
    opts.extra_config_lines.push_back("max_queued_messages 0");
  return MosquittoProcess::start(opts);
}

namespace {

// The engine's part of a run, against a broker that is up (the local one when `local`
// is not null, watched every second). Returns the exit code.
int drive_fleet(FleetConfig& config, const RunOptions& options, const OutputPlan& outputs,
                const model::StoredLamps& stored, std::optional<MetricsExporter>& metrics,
                MosquittoProcess* local) {
  spdlog::logger& log = *options.log;
  const BlockedStopSignals& signals = *options.stop_signals;
  ResolvedBroker broker = resolve_broker(*config.broker);
  log.debug("Broker {} resolved to {}:{}", format_broker_url(*config.broker), broker.numeric_host,
            broker.port);

  int exit_code = 0;
  {
    std::optional<TlsContext> tls;
    if (config.broker->tls) tls.emplace(config.tls, config.broker->host);
    FleetEngine engine(config, broker, tls ? tls->native() : nullptr,
                       stored.empty() ? nullptr : &stored);
    const LampSlice slice = shard_slice(config);
    if (config.shard.count > 1)
      log.info("Shard {} of {}: lamps {} to {} of {} (device IDs {} to {})",
               config.shard.index.value_or(0), config.shard.count, slice.first,
               slice.first + slice.count - 1, config.lamps,
               model::device_id_at(config.device_id_base, slice.first).str(),
               model::device_id_at(config.device_id_base, slice.first + slice.count - 1).str());
    log.info("{} lamps on {} thread(s) -> mqtt{}://{}:{} at {:g} lamps/s{}", slice.count,
             engine.shards().size(), config.broker->tls ? "s" : "", broker.numeric_host,
             broker.port, shard_hatch_rate(config),
             config.duration.count() > 0 ? fmt::format(" for {:.0f} s", config.duration.count())
                                         : std::string(" until Ctrl-C"));
    for (const auto& w : config_warnings(config)) log.warn("{}", w);
    std::unique_ptr<CloudStandIn> cloud = start_cloud(config, broker, log);
    std::optional<MetricsExporter::Serving> serving;
    if (metrics) {
      serving.emplace(*metrics,
                      engine.stats_view().with_cloud(cloud ? &cloud->counters() : nullptr));
      // The URL carries the port actually bound, which is how a `:0` listener is found.
      log.info("Metrics: {} (and /healthz)", metrics->url());
    }
    if (cloud)
      engine.set_drop_listener(
          [stand_in = cloud.get()](std::uint64_t id, std::chrono::steady_clock::time_point t) {
            stand_in->expect_will(id, t);
          });
    BrokerRestarts restarts(config.faults.events, local, engine, log);
    bool local_gone = false;  // said once, as soon as it is noticed
    auto watch_local_broker = [&] {
      if (local == nullptr || local_gone || local->running()) return;
      if (restarts.broker_down()) return;  // stopped on purpose
      local_gone = true;
      if (options.progress_to_terminal) fmt::print(stderr, "\r\033[K");
      log.error("The local mosquitto exited during the run ({}); the lamps cannot reconnect.",
                local->exit_status());
    };
    engine.start();
    ProgressMeter meter(engine.stats_view(), engine.interval_reader());
    FailureLog failure_log;
    RunTimeline timeline;
    std::size_t saturated_seconds = 0;
    auto started = Clock::now();
    auto started_at = WallClock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
    bool stopping = false;
    bool interrupted = false;
    ProgressSample last_running{};  // the lamps as they were just before the stop
    double last_log = 0;
    double last_state_save = 0;
    std::size_t faults_trimmed = 0;
    // The ramp-up as the shards judge their schedule: until their last lamp has powered on
    // and settled.
    std::int64_t steady_from_us = 0;
    {
      const FleetStatsView view = engine.stats_view();
      for (const FleetStats* st : view.shards())
        steady_from_us = std::max(steady_from_us, st->steady_from_us);
    }
    const double ramp_s = static_cast<double>(steady_from_us) / 1e6;
    MemoryFigures memory;
    const double planned_s = config.duration.count();
    while (!engine.finished()) {
      bool signalled = signals.wait_for(std::chrono::milliseconds(1000));
      double now_s = elapsed();
      if (!stopping) {
        restarts.step(now_s);
        trim_after_faults(config.faults.events, now_s, faults_trimmed);
      }
      watch_local_broker();
      auto sample = meter.sample(now_s);
      auto failure_lines = failure_log.lines(sample);
      if (!failure_lines.empty() && options.progress_to_terminal)
        fmt::print(stderr, "\r\033[K");  // the log line replaces the progress line
      for (const auto& line : failure_lines) log.warn("{}", line);
      const bool was_running = !stopping;  // this sample's second was run, not stopped
      if (!stopping) last_running = sample;
      if (!stopping && (signalled || (planned_s > 0 && now_s >= planned_s))) {
        stopping = true;
        // With no duration a signal is how a run ends; otherwise it cut the run short.
        interrupted = signalled && planned_s > 0 && now_s < planned_s;
        if (options.progress_to_terminal) fmt::print(stderr, "\n");  // end the progress line
        restarts.bring_back();
        memory.rss_at_end = resident_bytes();
        log.info("Stopping: {} power-off of every lamp (at most {:.0f} s)...",
                 config.stop_mode == StopMode::graceful ? "graceful" : "abrupt (power-loss)",
                 config.stop_timeout.count());
        if (cloud) {
          // The web users let go first, and their last commands are answered, so every
          // command has its lamp/changed before the lamps power off.
          cloud->stop_commands();
          auto until = Clock::now() + std::chrono::seconds(2);
          while (cloud->commands_pending() > 0 && Clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        engine.request_stop(config.stop_mode);
      } else if (stopping && signalled) {
        log.warn("Second signal: dropping every connection now.");
        engine.request_stop(StopMode::power_loss);
      }
      bool saturated = generator_saturated(sample);
      engine.set_generator_saturated(saturated);
      if (!was_running) continue;
      saturated_seconds += saturated ? 1 : 0;
      timeline.push_back(to_timeline_point(sample));  // the last second too, cut short or not
      if (memory.rss_after_ramp == 0 && now_s >= ramp_s) {
        memory.after_ramp_s = now_s;
        memory.rss_after_ramp = resident_bytes();
      }
      if (stopping) continue;  // the stop has its own line
      if (!outputs.state_file.empty() &&
          now_s - last_state_save >= config.state_save_interval.count()) {
        save_states(engine, outputs.state_file, log);
        last_state_save = now_s;
      }
      if (options.progress_to_terminal) {
        fmt::print(stderr, "\r\033[K{}", format_progress(sample));
      } else if (now_s - last_log >= 10.0) {
        fmt::print(stderr, "{}\n", format_progress(sample));
        last_log = now_s;
      }
    }
    engine.join();
    if (options.progress_to_terminal && !stopping) fmt::print(stderr, "\n");
    // Every lamp has powered off: what it keeps is final.
    const bool state_saved =
        outputs.state_file.empty() || save_states(engine, outputs.state_file, log);
    if (state_saved && !outputs.state_file.empty())
      log.info("State: {} (every lamp's, for the next run)", outputs.state_file);
    watch_local_broker();
    log.debug("Every shard has stopped after {:.1f} s", elapsed());
    auto phase = [&](LampPhase p) {
      return static_cast<std::uint64_t>(last_running.by_phase[static_cast<std::size_t>(p)]);
    };
    RunSummary summary = summarize(
        engine.stats_view(),
        RunEnd{.started_at = started_at,
               .ended_at = WallClock::now(),
               .seconds = elapsed(),
               .planned_seconds = planned_s,
               .interrupted = interrupted,
               .bridged_peak = meter.bridged_peak(),
               .bridged_at_end = phase(LampPhase::bridged),
               .hatched_at_end = slice.count - phase(LampPhase::off),
               .local_broker = local != nullptr,
               .broker_events = find_broker_events(
                   timeline, config.slo.min_bridged_ratio.value_or(kDefaultMinBridgedRatio),
                   config.faults.events, config.response_timeout.count()),
               .memory = memory});
    {
      std::vector<std::uint64_t> hit(config.faults.events.size(), 0);
      const FleetStatsView view = engine.stats_view();
      for (const FleetStats* st : view.shards())
        for (std::size_t i = 0; i < hit.size(); ++i) hit[i] += read(st->fault_lamps[i]);
      summary.faults = fault_results(timeline, config.faults.events, hit);
    }
    if (cloud) {
      summary.cloud = account_for_lamps(*cloud, engine, log);
      summary.verdict = judge_run(summary);
    }
    summary.build = this_build();
    judge_slos(summary, config.slo);
    fmt::print("{}", render_table(summary));
    std::fflush(stdout);  // the table before the lines on stderr that follow it
    if (saturated_seconds > 0)
      fmt::print("The generator was saturated during {} of {} seconds.\n", saturated_seconds,
                 timeline.size());
    exit_code = summary.exit_code();
    if (!state_saved) exit_code = std::max(exit_code, kExitUsage);
    if (!outputs.summary_json.empty()) {
      try {
        write_output_file(outputs.summary_json, render_json(summary));
      } catch (const std::exception& e) {
        log.error("could not write the JSON summary: {}", e.what());
        exit_code = std::max(exit_code, kExitUsage);
      }
    }
    if (!outputs.csv_prefix.empty()) {
      try {
        write_locust_csv(outputs.csv_prefix, summary, timeline);
        log.info("CSV: {}_stats.csv, _stats_history.csv, _failures.csv", outputs.csv_prefix);
      } catch (const std::exception& e) {
        log.error("could not write the CSV files: {}", e.what());
        exit_code = std::max(exit_code, kExitUsage);
      }
    }
    if (!outputs.report.empty()) {
      try {
        write_html_report(outputs.report, summary, timeline, config_rows(summary.config),
                          report_title(config));
        log.info("Report: {}", outputs.report);
      } catch (const std::exception& e) {
        if (outputs.report_asked) {
          log.error("could not write the HTML report: {}", e.what());
          exit_code = std::max(exit_code, kExitUsage);
        } else {
          log.warn("could not write the default HTML report: {}", e.what());
        }
      }
    }
  }
  return exit_code;
}

}  // namespace

bool lamp_certificates_pass(const FleetConfig& config, spdlog::logger& log) {
  if (config.tls.cert_file.empty()) return true;
  auto started = Clock::now();
  auto problems = check_certificates(config);
  const std::size_t lamps = shard_slice(config).count;
  log.debug("Checked the certificates of {} lamps in {:.2f} s", lamps,
            std::chrono::duration<double>(Clock::now() - started).count());
  for (const auto& line : certificate_report(problems, lamps)) log.error("{}", line);
  return problems.empty();
}

int run_fleet(const FleetConfig& config_in, const RunOptions& options) {
  FleetConfig config = config_in;
  spdlog::logger& log = *options.log;
  limit_malloc_arenas(config);
  Capacity capacity = measure_capacity(config.source_addresses.size());
  log.debug("Capacity: {}; room for {} lamps", capacity.describe(), capacity.max_lamps());
  check_capacity(capacity, shard_slice(config).count);
  const OutputPlan outputs = plan_outputs(config, log);
  if (!lamp_certificates_pass(config, log)) return kExitUsage;
  model::StoredLamps stored;  // before anything starts: a bad file stops the run here
  if (!outputs.state_file.empty()) {
    if (options.fresh_state) {
      log.info("Every lamp starts anew (--fresh); {} is written over", outputs.state_file);
    } else {
      stored = read_state_file(outputs.state_file);
      if (stored.empty())
        log.info("No lamp state in {} yet: every lamp starts anew", outputs.state_file);
      else
        log.info("Restored {} lamps' state from {}", stored.size(), outputs.state_file);
    }
  }
  std::optional<MetricsExporter> metrics;  // bound first: a busy port stops nothing
  if (config.metrics_listen) metrics.emplace(*config.metrics_listen, this_build());

  std::optional<MosquittoProcess> local_broker;
  if (!config.broker) {
    local_broker = start_local_broker(config);
    config.broker = BrokerTarget{false, local_broker->address(), local_broker->port()};
    log.info(
        "Started a local mosquitto on {}:{} (log: {}); it stops with the run, and its log is "
        "kept if the run does not end OK.",
        local_broker->address(), local_broker->port(), local_broker->log_path().string());
    if (!local_broker->user().empty())
      log.debug("The local mosquitto runs as user {}", local_broker->user());
  }
  MosquittoProcess* const local = local_broker ? &*local_broker : nullptr;
  int exit_code = kExitUsage;
  try {
    exit_code = drive_fleet(config, options, outputs, stored, metrics, local);
  } catch (const std::exception& e) {
    if (local == nullptr) throw;
    local->keep_files();
    throw std::runtime_error(fmt::format("{}; the local mosquitto's log is kept: {}", e.what(),
                                         local->log_path().string()));
  }
  // Its files go with it after a run that ended OK; otherwise the log stays for a look.
  if (local != nullptr && (exit_code != kExitOk || !local->running())) {
    local->keep_files();
    log.log(local->running() ? spdlog::level::warn : spdlog::level::err,
            "The local mosquitto's log is kept: {}", local->log_path().string());
  }
  return exit_code;
}

}  // namespace lampi::fleet
