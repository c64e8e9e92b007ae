#include "fleet/app/run_command.hpp"

#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>

#include "fleet/config/config_loader.hpp"
#include "fleet/engine/fleet_engine.hpp"
#include "fleet/report/html_report.hpp"
#include "fleet/metrics/metrics_exporter.hpp"
#include "fleet/broker/mosquitto_process.hpp"
#include "fleet/engine/preflight.hpp"
#include "fleet/report/progress.hpp"
#include "fleet/report/run_summary.hpp"
#include "fleet/stats/run_timeline.hpp"
#include "fleet/engine/tls_context.hpp"

namespace lampi::fleet {

namespace {

using Clock = std::chrono::steady_clock;

// Ctrl-C and SIGTERM are taken synchronously by the main thread (sigtimedwait), so no
// handler runs on a worker thread and no global flag is needed.
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Waits up to `timeout` for a stop signal; true if one came.
bool wait_for_signal(const sigset_t& set, std::chrono::milliseconds timeout) {
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>((timeout.count() % 1000) * 1000000)};
  return sigtimedwait(&set, nullptr, &ts) > 0;
}

MosquittoProcess start_local_broker() {
  MosquittoOptions opts;
  opts.extra_config_lines = {"max_connections -1", "max_inflight_messages 20"};
  return MosquittoProcess::start(opts);
}

// What the report shows as "the config used": the settings that shape a run.
ConfigRows describe(const FleetConfig& c, const std::string& broker_text) {
  std::string profiles;
  for (const auto& share : c.profiles)
    profiles += fmt::format("{}{}:{:g}", profiles.empty() ? "" : ",", profile_name(share.profile),
                            share.percent);
  const auto& m = c.model;
  auto seconds = [](model::Duration d) {
    return format_duration(std::chrono::duration<double>(d));
  };
  return {
      {"lamps", std::to_string(c.lamps)},
      {"device_id_base", model::DeviceId{c.device_id_base}.str()},
      {"broker", broker_text},
      {"protocol", c.mqtt_version == MqttVersion::v5 ? "5" : "3.1.1"},
      {"keepalive", seconds(m.keepalive)},
      {"clean_session", m.clean_session ? "true" : "false"},
      {"reconnect",
       fmt::format("base {}, cap {}", seconds(m.reconnect_base), seconds(m.reconnect_cap))},
      {"hatch_rate", fmt::format("{:g} lamps/s", c.hatch_rate)},
      {"max_connects_in_flight", std::to_string(c.max_connects_in_flight)},
      {"source_addresses", std::to_string(c.source_addresses.size())},
      {"duration", c.duration.count() > 0 ? format_duration(c.duration) : "until stopped"},
      {"threads", c.threads ? std::to_string(c.threads) : "one per core"},
      {"seed", std::to_string(c.seed)},
      {"stop", c.stop_mode == StopMode::graceful ? "graceful" : "power-loss"},
      {"profiles", profiles},
      {"response_timeout", format_duration(c.response_timeout)},
      {"validation", m.mode == model::ValidationMode::faithful ? "faithful" : "strict"},
      {"bridge_queue_limit", std::to_string(m.bridge_queue_limit)},
  };
}

}  // namespace

int run_fleet(const FleetConfig& config_in, const RunOptions& options) {
  FleetConfig config = config_in;
  Capacity capacity = measure_capacity(config.source_addresses.size());
  check_capacity(capacity, config.lamps);

  std::optional<MosquittoProcess> local_broker;
  if (!config.broker) {
    local_broker = start_local_broker();
    config.broker = BrokerTarget{false, local_broker->address(), local_broker->port()};
    fmt::print(stderr, "Started a local mosquitto on {}:{} (log: {}); it stops with the run.\n",
               local_broker->address(), local_broker->port(), local_broker->log_path().string());
  }
  ResolvedBroker broker = resolve_broker(*config.broker);

  sigset_t signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // the shard threads inherit the mask

  int exit_code = 0;
  {
    std::optional<TlsContext> tls;
    if (config.broker->tls) tls.emplace(config.tls, config.broker->host);
    FleetEngine engine(config, broker, tls ? tls->native() : nullptr);
    fmt::print(stderr,
               "lampi-fleet: {} lamps on {} thread(s) -> mqtt{}://{}:{} at {:.0f} lamps/s{}\n",
               config.lamps, engine.shards().size(), config.broker->tls ? "s" : "",
               broker.numeric_host, broker.port, config.hatch_rate,
               config.duration.count() > 0 ? fmt::format(" for {:.0f} s", config.duration.count())
                                           : std::string(" until Ctrl-C"));
    std::optional<MetricsExporter> metrics;
    if (config.metrics_listen) {
      metrics.emplace(engine, *config.metrics_listen);
      fmt::print(stderr, "Metrics: {} (and /healthz)\n", metrics->url());
    }
    engine.start();
    ProgressMeter meter(engine);
    RunTimeline timeline;
    std::size_t saturated_seconds = 0;
    auto started = Clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
    bool stopping = false;
    double last_log = 0;
    while (!engine.finished()) {
      bool signalled = wait_for_signal(signals, std::chrono::milliseconds(1000));
      double now_s = elapsed();
      if (!stopping &&
          (signalled || (config.duration.count() > 0 && now_s >= config.duration.count()))) {
        stopping = true;
        if (options.progress_to_terminal) fmt::print(stderr, "\n");
        fmt::print(stderr, "Stopping: {} power-off of every lamp (at most {:.0f} s)...\n",
                   config.stop_mode == StopMode::graceful ? "graceful" : "abrupt (power-loss)",
                   config.stop_timeout.count());
        engine.request_stop(config.stop_mode);
      } else if (stopping && signalled) {
        fmt::print(stderr, "Second signal: dropping every connection now.\n");
        engine.request_stop(StopMode::power_loss);
      }
      auto sample = meter.sample(now_s);
      bool saturated = generator_saturated(sample);
      engine.set_generator_saturated(saturated);
      if (stopping) continue;
      saturated_seconds += saturated ? 1 : 0;
      timeline.push_back(to_timeline_point(sample));
      if (options.progress_to_terminal) {
        fmt::print(stderr, "\r\033[K{}", format_progress(sample));
      } else if (now_s - last_log >= 10.0) {
        fmt::print(stderr, "{}\n", format_progress(sample));
        last_log = now_s;
      }
    }
    engine.join();
    if (options.progress_to_terminal && !stopping) fmt::print(stderr, "\n");
    RunSummary summary = summarize(engine, elapsed(), meter.bridged_peak());
    judge_slos(summary, config.slo);
    fmt::print("{}", render_table(summary));
    std::fflush(stdout);  // the table before the lines on stderr that follow it
    if (saturated_seconds > 0)
      fmt::print("The generator was saturated during {} of {} seconds.\n", saturated_seconds,
                 timeline.size());
    if (!summary.slos_passed) exit_code = 1;
    std::string report =
        config.report_html.empty() ? "lampi-fleet-report.html" : config.report_html;
    try {
      write_html_report(report, summary, timeline,
                        describe(config, format_broker_url(*config.broker)),
                        fmt::format("lampi-fleet: {} lamps", config.lamps));
      fmt::print(stderr, "Report: {}\n", report);
    } catch (const std::exception& e) {
      fmt::print(stderr, "could not write the HTML report: {}\n", e.what());
      exit_code = std::max(exit_code, 2);
    }
    if (!config.summary_json.empty()) {
      std::ofstream out(config.summary_json);
      out << render_json(summary);
      if (!out) {
        fmt::print(stderr, "could not write the JSON summary to {}\n", config.summary_json);
        exit_code = 2;
      }
    }
  }
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  return exit_code;
}

}  // namespace lampi::fleet
