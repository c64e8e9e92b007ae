#include "fleet/app/capacity_command.hpp"

#include <fmt/format.h>
#include <spdlog/logger.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "fleet/app/build_info.hpp"
#include "fleet/app/number_option.hpp"
#include "fleet/broker/mosquitto_process.hpp"
#include "fleet/config/config_loader.hpp"
#include "fleet/engine/fleet_engine.hpp"
#include "fleet/engine/preflight.hpp"
#include "fleet/engine/tls_context.hpp"
#include "fleet/report/capacity_report.hpp"
#include "fleet/report/knee_search.hpp"
#include "fleet/report/output_file.hpp"
#include "fleet/report/run_summary.hpp"
#include "fleet/report/step_schedule.hpp"
#include "fleet/report/step_window.hpp"
#include "fleet/report/verdict.hpp"

namespace lampi::fleet {

namespace {

using Clock = std::chrono::steady_clock;
using WallClock = std::chrono::system_clock;

constexpr const char* kDefaultCapacityReport = "lampi-fleet-capacity.html";
// A sample taken this long after a whole second of the pass finds the shards' histograms of
// that second in their mailboxes (they hand them over on the second).
constexpr double kAfterTickS = 0.1;

struct Settings {
  SearchPlan plan;
  CapacitySlo slo;
  double hold_s = 30, settle_s = 10, max_duration_s = 3600;
};

std::size_t lamps_option(const char* flag, const std::optional<std::string>& text,
                         std::size_t fallback, std::size_t min) {
  if (!text) return fallback;
  return parse_number_option<std::size_t>(flag, *text, min, kMaxLamps,
                                          fmt::format("a whole number from {} to 1000000", min));
}

double seconds_option(const char* flag, const std::optional<std::string>& text, double fallback) {
  if (!text) return fallback;
  try {
    return parse_duration(*text).count();
  } catch (const ConfigError& e) {
    throw e.with_context("command line", flag);
  }
}

double ratio_option(const char* flag, const std::optional<std::string>& text, double fallback) {
  if (!text) return fallback;
  return parse_number_option<double>(flag, *text, 0.0, 1.0, "a ratio from 0 to 1");
}

Settings read_settings(const FleetConfig& c, const CapacityOptions& o) {
  Settings s;
  s.plan.step = lamps_option("--step", o.step, 100, 1);
  s.plan.start = lamps_option("--start", o.start, s.plan.step, 1);
  s.plan.fine_step = lamps_option("--fine-step", o.fine_step, s.plan.step / 4, 0);
  s.plan.max_lamps = lamps_option("--max-lamps", o.max_lamps, 5000, 1);
  try {
    check_plan(s.plan);
  } catch (const std::invalid_argument& e) {
    throw ConfigError("command line", "capacity", e.what());
  }
  s.hold_s = seconds_option("--hold", o.hold, 30);
  s.settle_s = seconds_option("--settle", o.settle, std::min(10.0, s.hold_s / 3));
  if (s.hold_s < s.settle_s + 2)
    throw ConfigError("command line", "--hold",
                      fmt::format("must be at least 2 s longer than --settle ({:g} s); got {:g} s",
                                  s.settle_s, s.hold_s));
  s.max_duration_s = seconds_option("--max-duration", o.max_duration, 3600);
  if (s.max_duration_s <= 0) throw ConfigError("command line", "--max-duration", "must be above 0");
  const double timeout_ms = c.response_timeout.count() * 1000;
  s.slo.p95_ms = c.slo.p95_response_seconds ? *c.slo.p95_response_seconds * 1000 : timeout_ms;
  if (o.p95_ms)
    s.slo.p95_ms = parse_number_option<double>("--p95-ms", *o.p95_ms, 0.001, 3.6e6,
                                               "from 0.001 to 3600000 ms");
  s.slo.max_failure_ratio =
      ratio_option("--max-failure-ratio", o.max_failure_ratio,
                   c.slo.max_failure_ratio.value_or(kBrokerFailureRatioLimit));
  s.slo.min_bridged_ratio = ratio_option("--min-bridged-ratio", o.min_bridged_ratio,
                                         c.slo.min_bridged_ratio.value_or(kDefaultMinBridgedRatio));
  return s;
}

std::string profiles_text(const ProfileMix& mix) {
  std::string out;
  for (const auto& share : mix)
    out += fmt::format("{}{}:{:g}", out.empty() ? "" : ",", profile_name(share.profile),
                       share.percent);
  return out;
}

// One pass of the search: a fresh fleet climbing `levels`, each step judged as its window
// ends, stopped as soon as the search says the pass is over.
struct Pass {
  const FleetConfig& base;
  const Settings& settings;
  const ResolvedBroker& broker;
  void* ssl_ctx;
  const RunOptions& options;
  Clock::time_point deadline;
  const MosquittoProcess* local;
};

std::uint64_t bridged_now(const FleetStatsView& view) {
  std::int64_t n = 0;
  for (const FleetStats* st : view.shards())
    n += st->lamps_by_phase[static_cast<std::size_t>(LampPhase::bridged)].load(
        std::memory_order_relaxed);
  return static_cast<std::uint64_t>(std::max<std::int64_t>(n, 0));
}

std::uint64_t totals(const FleetStatsView& view, bool failures) {
  std::uint64_t n = 0;
  for (const FleetStats* st : view.shards())
    for (const auto& t : st->topics) n += read(failures ? t.failures : t.requests);
  return n;
}

double loop_lag_ms(const FleetStatsView& view) {
  double ms = 0;
  for (const FleetStats* st : view.shards())
    ms = std::max(ms, static_cast<double>(st->loop_lag_us.load(std::memory_order_relaxed)) / 1000);
  return ms;
}

void run_pass(const Pass& p, const std::vector<std::size_t>& levels, KneeSearch& search) {
  spdlog::logger& log = *p.options.log;
  FleetConfig config = p.base;
  config.lamps = levels.back();
  const StepSchedule schedule =
      plan_steps(levels, config.hatch_rate, p.settings.hold_s, p.settings.settle_s);
  PowerOnPlan plan;
  plan.reserve(schedule.power_on_s.size());
  for (double s : schedule.power_on_s) plan.push_back(model::seconds_to_duration(s));
  FleetEngine engine(config, p.broker, p.ssl_ctx, nullptr, &plan);
  IntervalReader intervals = engine.interval_reader();
  const FleetStatsView view = engine.stats_view();
  log.info("Pass {}: {} step(s), {} to {} lamps, up to {:.0f} s", search.pass(), levels.size(),
           levels.front(), levels.back(), schedule.seconds());
  engine.start();
  auto elapsed = [&] {
    return std::chrono::duration<double>(Clock::now() - engine.epoch()).count();
  };
  std::size_t j = 0;
  StepWindow window(levels[0], schedule.steps[0].measure_from_s, schedule.steps[0].measure_until_s);
  double labelled_to = 0;  // the last whole second sampled
  std::uint64_t last_published = 0, last_failures = 0;
  bool local_gone = false;
  for (;;) {
    const double wake = labelled_to + 1 + kAfterTickS;
    const auto wait =
        std::chrono::milliseconds(static_cast<long long>(std::max(0.0, (wake - elapsed()) * 1000)));
    const bool signalled = p.options.stop_signals->wait_for(wait);
    if (signalled) {
      search.stop(SearchOutcome::interrupted);
      break;
    }
    if (Clock::now() >= p.deadline) {
      search.stop(SearchOutcome::time_limit);
      break;
    }
    if (p.local && !local_gone && !p.local->running()) {
      local_gone = true;
      log.error("The local mosquitto exited during the search ({})", p.local->exit_status());
    }
    const double to = std::floor(elapsed() - kAfterTickS / 2);
    if (to <= labelled_to) continue;  // woke early
    auto [response, lag, notes] = intervals.take();
    FleetSecond second{.from_s = labelled_to, .to_s = to};
    const std::uint64_t published = totals(view, false), failures = totals(view, true);
    second.published = published - last_published;
    second.failures = failures - last_failures;
    last_published = published;
    last_failures = failures;
    second.response = std::move(response);
    second.schedule_lag = std::move(lag);
    second.loop_lag_ms = loop_lag_ms(view);
    second.bridged = bridged_now(view);
    window.add(second);
    labelled_to = to;
    if (to < schedule.steps[j].measure_until_s) continue;

    StepResult step{.measure = window.measure()};
    step.judgement = judge_step(step.measure, p.settings.slo);
    const StepMeasure& m = step.measure;
    log.info("{} lamps: {} ({:.0f} acked/s, p95 {}, {:.2f}% failed, {} bridged)", m.lamps,
             step.judgement.held() ? std::string("held") : "BROKE: " + step.judgement.why,
             m.acked_per_s(), m.p95_ms ? fmt::format("{:.1f} ms", *m.p95_ms) : "-",
             m.failure_ratio() * 100, m.bridged);
    if (!search.record(step)) break;
    ++j;
    window =
        StepWindow(levels[j], schedule.steps[j].measure_from_s, schedule.steps[j].measure_until_s);
  }
  engine.request_stop(StopMode::graceful);
  while (!engine.finished())
    if (p.options.stop_signals->wait_for(std::chrono::milliseconds(200))) {
      log.warn("Second signal: dropping every connection now.");
      search.stop(SearchOutcome::interrupted);
      engine.request_stop(StopMode::power_loss);
    }
  engine.join();
}

// The outputs asked for, checked before the first lamp powers on.
struct Outputs {
  std::string json, report;
  bool report_asked = false;
};

Outputs plan_outputs(const CapacityOptions& o, spdlog::logger& log) {
  Outputs out;
  if (!o.json.empty()) {
    try {
      check_output_path(o.json);
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("--json: {}", e.what()));
    }
    out.json = o.json;
  }
  out.report_asked = o.report.has_value() && !o.report->empty();
  const std::string report = o.report.value_or(kDefaultCapacityReport);
  if (report.empty()) return out;
  try {
    check_output_path(report);
    out.report = report;
  } catch (const std::exception& e) {
    if (out.report_asked) throw std::runtime_error(fmt::format("--report: {}", e.what()));
    log.warn("Not writing the default HTML report ({}); give --report PATH or --report \"\"",
             e.what());
  }
  return out;
}

// What `run` does and the search does not: said, then left out.
FleetConfig search_config(const FleetConfig& in, spdlog::logger& log) {
  if (in.shard.count > 1)
    throw ConfigError("command line", "capacity",
                      "searches with one process: remove shard.count / --shard-count");
  FleetConfig c = in;
  if (c.cloud.mode != CloudMode::off) log.warn("capacity: the cloud stand-in is not run");
  if (!c.faults.events.empty() || c.faults.churn_per_hour > 0)
    log.warn("capacity: faults are not injected (a knee is the broker's, not the faults')");
  if (!c.state_file.empty()) log.warn("capacity: the state file is neither read nor written");
  c.cloud.mode = CloudMode::off;
  c.faults = {};
  c.state_file.clear();
  c.duration = Seconds{0};
  return c;
}

}  // namespace

void add_capacity_options(CLI::App& cmd, CapacityOptions& o) {
  cmd.add_option("--start", o.start, "Lamps of the first step (default: --step)")->type_name("N");
  cmd.add_option("--step", o.step, "Lamps added per step of the first pass (default 100)")
      ->type_name("N");
  cmd.add_option("--fine-step", o.fine_step,
                 "Lamps per step of the second pass, from the last step that held (default "
                 "--step / 4; 0: no second pass)")
      ->type_name("N");
  cmd.add_option("--max-lamps", o.max_lamps,
                 "The last step: no knee up to it is a result too (default 5000)")
      ->type_name("N");
  cmd.add_option("--hold", o.hold,
                 "How long each step is held after its last lamp powered on (default 30s)")
      ->type_name("DURATION");
  cmd.add_option("--settle", o.settle,
                 "The first part of each hold, not measured: connects and boot messages "
                 "(default 10s, or a third of --hold)")
      ->type_name("DURATION");
  cmd.add_option("--max-duration", o.max_duration,
                 "Stop the search after this long, whatever it found (default 1h)")
      ->type_name("DURATION");
  cmd.add_option("--p95-ms", o.p95_ms,
                 "SLO: a step breaks when its p95 response time passes this (default "
                 "slo.p95_response_time, else the response timeout)")
      ->type_name("MS");
  cmd.add_option("--max-failure-ratio", o.max_failure_ratio,
                 "SLO: ... when more than this share of its publishes fail (default "
                 "slo.max_failure_ratio, else 0.01)")
      ->type_name("RATIO");
  cmd.add_option("--min-bridged-ratio", o.min_bridged_ratio,
                 "SLO: ... when fewer than this share of its lamps are bridged (default "
                 "slo.min_bridged_ratio, else 0.99)")
      ->type_name("RATIO");
  cmd.add_option("--response-timeout", o.response_timeout,
                 "A publish without PUBACK for this long is a failure (workload.response_timeout, "
                 "default 500ms)")
      ->type_name("DURATION");
  cmd.add_option("--json", o.json, "Write the search's steps and finding as JSON here (for CI)")
      ->type_name("PATH");
  cmd.add_option("--report", o.report,
                 "Write the HTML chart of response time against load here (default: "
                 "./lampi-fleet-capacity.html; \"\" for none)")
      ->type_name("PATH");
}

int run_capacity(const FleetConfig& config_in, const CapacityOptions& options,
                 const RunOptions& run_options) {
  spdlog::logger& log = *run_options.log;
  FleetConfig config = search_config(config_in, log);
  if (options.response_timeout) {
    config.response_timeout =
        Seconds{seconds_option("--response-timeout", options.response_timeout, 0.5)};
    if (config.response_timeout.count() <= 0)
      throw ConfigError("command line", "--response-timeout", "must be above 0");
  }
  const Settings settings = read_settings(config, options);
  config.lamps = settings.plan.max_lamps;
  check_capacity(measure_capacity(config.source_addresses.size()), settings.plan.max_lamps);
  const Outputs outputs = plan_outputs(options, log);
  if (!lamp_certificates_pass(config, log)) return kExitUsage;
  {
    const auto coarse = coarse_levels(settings.plan);
    double worst =
        plan_steps(coarse, config.hatch_rate, settings.hold_s, settings.settle_s).seconds();
    if (coarse.size() > 1) {
      const auto fine =
          fine_levels(coarse[coarse.size() - 2], coarse.back(), settings.plan.fine_step);
      if (fine.size() > 1)
        worst += plan_steps(fine, config.hatch_rate, settings.hold_s, settings.settle_s).seconds();
    }
    log.info(
        "Capacity search: {} to {} lamps in steps of {} (then {}), {:g} s holds at {:g} "
        "lamps/s; at most {:.0f} s if nothing breaks",
        settings.plan.start, settings.plan.max_lamps, settings.plan.step, settings.plan.fine_step,
        settings.hold_s, config.hatch_rate, worst);
    if (worst > settings.max_duration_s)
      log.warn("--max-duration ({:g} s) may end the search before --max-lamps",
               settings.max_duration_s);
  }

  std::optional<MosquittoProcess> local;
  if (!config.broker) {
    local = start_local_broker(config);  // the search's config: no cloud, no faults
    config.broker = BrokerTarget{false, local->address(), local->port()};
    log.info("Started a local mosquitto on {}:{} (log: {}); it stops with the search.",
             local->address(), local->port(), local->log_path().string());
  }
  const ResolvedBroker broker = resolve_broker(*config.broker);
  std::optional<TlsContext> tls;
  if (config.broker->tls) tls.emplace(config.tls, config.broker->host);
  for (const auto& w : config_warnings(config)) log.warn("{}", w);

  CapacityRun run{.plan = settings.plan,
                  .slo = settings.slo,
                  .hatch_rate = config.hatch_rate,
                  .hold_s = settings.hold_s,
                  .settle_s = settings.settle_s,
                  .max_duration_s = settings.max_duration_s,
                  .profiles = profiles_text(config.profiles),
                  .broker = format_broker_url(*config.broker) + (local ? " (local mosquitto)" : ""),
                  .response_timeout_ms = config.response_timeout.count() * 1000,
                  .started_at = WallClock::now(),
                  .build = this_build()};
  const auto started = Clock::now();
  const Pass pass{.base = config,
                  .settings = settings,
                  .broker = broker,
                  .ssl_ctx = tls ? tls->native() : nullptr,
                  .options = run_options,
                  .deadline = started + std::chrono::duration_cast<Clock::duration>(
                                            Seconds{settings.max_duration_s}),
                  .local = local ? &*local : nullptr};
  KneeSearch search(settings.plan);
  for (int guard = 0; guard < 2; ++guard) {
    const auto levels = search.next_pass();
    if (levels.empty()) break;
    run_pass(pass, levels, search);
  }
  run.steps = search.steps();
  run.result = search.result();
  run.seconds = std::chrono::duration<double>(Clock::now() - started).count();

  fmt::print("{}", render_capacity_text(run));
  std::fflush(stdout);
  int exit_code = capacity_exit_code(run.result.outcome);
  auto write = [&](const std::string& path, const std::string& what, auto render) {
    if (path.empty()) return;
    try {
      write_output_file(path, render(run));
      log.info("{}: {}", what, path);
    } catch (const std::exception& e) {
      log.error("could not write the {}: {}", what, e.what());
      exit_code = std::max(exit_code, kExitUsage);
    }
  };
  write(outputs.json, "JSON", render_capacity_json);
  write(outputs.report, "Report", render_capacity_html);
  if (local && exit_code != kExitOk) {
    local->keep_files();
    log.warn("The local mosquitto's log is kept: {}", local->log_path().string());
  }
  return exit_code;
}

}  // namespace lampi::fleet
