#include "fleet/app/cloud_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "fleet/cloud/cloud_stand_in.hpp"
#include "fleet/engine/mosquitto_library.hpp"
#include "fleet/engine/preflight.hpp"
#include "fleet/report/cloud_report.hpp"
#include "fleet/report/verdict.hpp"

namespace lampi::fleet {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

int run_cloud_alone(const FleetConfig& config, const BlockedStopSignals& signals,
                    spdlog::logger& log) {
  const std::optional<BrokerTarget>& target = config.cloud.url ? config.cloud.url : config.broker;
  if (!target)
    throw std::runtime_error(
        "lampi-fleet cloud needs the broker the lamps use: give --broker mqtt://HOST:PORT (or "
        "cloud.url in the config)");
  if (target->tls)
    throw std::runtime_error(
        "the cloud stand-in connects over plain MQTT only; give the broker's plain listener, "
        "e.g. --broker mqtt://" +
        target->host + ":50001");
  MosquittoLibrary mosquitto;
  const ResolvedBroker at = resolve_broker(*target);
  const std::string client = fmt::format("lampi-fleet-cloud-{}", getpid());
  CloudStandIn cloud(config.cloud, cloud_link(at, config), CloudScope{}, config.seed, client);
  if (!cloud.start(std::chrono::seconds(10))) {
    log.error("The cloud stand-in ({}) could not connect to {}:{} and subscribe within 10 s",
              client, at.numeric_host, at.port);
    return kExitNotConnected;
  }
  const bool active = config.cloud.mode == CloudMode::active;
  log.info(
      "Cloud stand-in ({}) as {} on {}:{}, {}; Ctrl-C to stop",
      active ? "active: associating lamps, web users moving sliders" : "observe: listening only",
      client, at.numeric_host, at.port,
      config.duration.count() > 0 ? fmt::format("for {:.0f} s", config.duration.count())
                                  : std::string("until stopped"));
  const auto started = Clock::now();
  double last_log = 0;
  const CloudCounters& c = cloud.counters();
  while (true) {
    const bool signalled = signals.wait_for(std::chrono::milliseconds(1000));
    const double t = std::chrono::duration<double>(Clock::now() - started).count();
    if (signalled || (config.duration.count() > 0 && t >= config.duration.count())) break;
    if (t - last_log >= 10) {
      last_log = t;
      log.info("[{:>6.0f}s] {} messages heard, {} associations, {} of {} web commands answered", t,
               read(c.messages), read(c.associations_completed), read(c.commands_answered),
               read(c.commands_sent));
    }
  }
  cloud.stop_commands();
  for (int i = 0; i < 100 && cloud.commands_pending() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  cloud.stop();
  const auto lamps = cloud.lamps();
  const CloudTotals totals = cloud.totals();
  std::uint64_t heard = 0, wills = 0, sent = 0, answered = 0, seen = 0;
  for (const auto& l : lamps) {
    heard += l.received.count;
    wills += l.wills;
    sent += l.commands_sent;
    answered += l.commands_answered;
    seen += l.commands_seen;
  }
  const auto& h = totals.round_trip;
  fmt::print(
      "Cloud ({}): {} lamps heard, {} of their messages, {} wills | associations {} started, {} "
      "completed | set_config seen {}, web commands sent {}, answered {} | round trip {} | "
      "stand-in disconnects {}\n",
      active ? "active" : "observe", lamps.size(), heard, wills, totals.associations_started,
      totals.associations_completed, seen, sent, answered, latency_text(h), totals.disconnects);
  return kExitOk;
}

}  // namespace lampi::fleet
