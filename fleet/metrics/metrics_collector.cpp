#include "fleet/metrics/metrics_collector.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "firmware_model/topic.hpp"
#include "fleet/stats/process_memory.hpp"

namespace lampi::fleet {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricFamily& family(std::vector<MetricFamily>& out, std::string name, std::string help,
                     MetricType type) {
  out.push_back(MetricFamily{std::move(name), std::move(help), type, {}});
  return out.back();
}

void add_value(MetricFamily& f, Labels labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

void add_histogram(MetricFamily& f, Labels labels, const BucketHistogram& h) {
  ClientMetric m;
  m.label = std::move(labels);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < h.buckets.size(); ++i) {
    cumulative += read(h.buckets[i]);
    double bound =
        i < kBucketBounds.size() ? kBucketBounds[i] : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back({cumulative, bound});
  }
  // The bucket sum, not a separately read count, so count == +Inf bucket in every scrape.
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = static_cast<double>(read(h.sum_us)) / 1e6;
  f.metric.push_back(std::move(m));
}

// The cloud stand-in's, only in a run that has one: no labels but the process's `shard`.
void collect_cloud_metrics(std::vector<MetricFamily>& out, const CloudCounters& c) {
  auto as_double = [](const Counter& v) { return static_cast<double>(read(v)); };
  add_value(family(out, "lampi_fleet_cloud_messages_total",
                   "Messages the cloud stand-in received from the broker.", MetricType::Counter),
            {}, as_double(c.messages));
  auto& commands = family(out, "lampi_fleet_cloud_commands_total",
                          "Web set_config commands the cloud stand-in sent, and those answered "
                          "by their lamp/changed.",
                          MetricType::Counter);
  add_value(commands, {{"state", "sent"}}, as_double(c.commands_sent));
  add_value(commands, {{"state", "answered"}}, as_double(c.commands_answered));
  auto& associations =
      family(out, "lampi_fleet_cloud_associations_total",
             "Lamps the cloud stand-in gave a code, and then associated.", MetricType::Counter);
  add_value(associations, {{"stage", "started"}}, as_double(c.associations_started));
  add_value(associations, {{"stage", "completed"}}, as_double(c.associations_completed));
  add_value(family(out, "lampi_fleet_cloud_disconnects_total",
                   "Times the cloud stand-in's own connection was lost.", MetricType::Counter),
            {}, as_double(c.disconnects));
  add_histogram(
      family(out, "lampi_fleet_cloud_round_trip_seconds",
             "A web set_config published to its lamp/changed at the cloud.", MetricType::Histogram),
      {}, c.round_trip);
  add_histogram(family(out, "lampi_fleet_cloud_will_delay_seconds",
                       "A lamp's connection closed without DISCONNECT to its will at the cloud.",
                       MetricType::Histogram),
                {}, c.will_delay);
}

}  // namespace

FleetCollector::FleetCollector(FleetStatsView fleet, BuildInfo build)
    : fleet_(std::move(fleet)),
      build_(std::move(build)),
      start_time_seconds_(
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count()) {}

std::vector<MetricFamily> FleetCollector::Collect() const {
  std::vector<MetricFamily> out;
  out.reserve(40);
  const auto shards = fleet_.shards();
  // A worker thread's label is its index, which is its position in the view.
  auto thread_label = [](std::size_t i) { return std::to_string(i); };
  auto per_thread = [&](const char* name, const char* help, MetricType type, auto value_of) {
    auto& f = family(out, name, help, type);
    for (std::size_t i = 0; i < shards.size(); ++i)
      add_value(f, {{"thread", thread_label(i)}}, static_cast<double>(value_of(*shards[i])));
  };
  auto per_thread_histogram = [&](const char* name, const char* help, auto histogram_of) {
    auto& f = family(out, name, help, MetricType::Histogram);
    for (std::size_t i = 0; i < shards.size(); ++i)
      add_histogram(f, {{"thread", thread_label(i)}}, histogram_of(*shards[i]));
  };

  add_value(family(out, "lampi_fleet_build_info",
                   "Always 1; the labels say which lampi-fleet is running.", MetricType::Gauge),
            {{"version", build_.version},
             {"revision", build_.revision},
             {"build_type", build_.build_type}},
            1.0);
  {
    auto& f = family(out, "lampi_fleet_lamps", "Lamps in each state.", MetricType::Gauge);
    for (std::size_t i = 0; i < shards.size(); ++i)
      for (std::size_t p = 0; p < kPhaseCount; ++p)
        add_value(
            f, {{"thread", thread_label(i)}, {"state", phase_name(static_cast<LampPhase>(p))}},
            static_cast<double>(shards[i]->lamps_by_phase[p].load(std::memory_order_relaxed)));
  }
  add_value(family(out, "lampi_fleet_lamps_configured",
                   "Lamps this process runs (its shard's slice of the fleet).", MetricType::Gauge),
            {}, static_cast<double>(shard_slice(fleet_.config()).count));
  per_thread("lampi_fleet_connect_attempts_total", "Bridge connects started.", MetricType::Counter,
             [](const FleetStats& st) { return read(st.connect_attempts); });
  per_thread("lampi_fleet_connects_total", "Bridge connects that got a CONNACK.",
             MetricType::Counter, [](const FleetStats& st) { return read(st.connects); });
  per_thread("lampi_fleet_reconnects_total", "Connects of lamps that had been bridged before.",
             MetricType::Counter, [](const FleetStats& st) { return read(st.reconnects); });
  {
    auto& f = family(out, "lampi_fleet_disconnects_total",
                     "Bridge connections that ended, by reason.", MetricType::Counter);
    for (std::size_t i = 0; i < shards.size(); ++i)
      for (std::size_t r = 0; r < kDisconnectReasonCount; ++r)
        add_value(f,
                  {{"thread", thread_label(i)},
                   {"reason", disconnect_reason_name(static_cast<DisconnectReason>(r))}},
                  static_cast<double>(read(shards[i]->disconnects[r])));
  }
  {
    auto& messages = family(out, "lampi_fleet_messages_total",
                            "Messages published by lamps (out) and received from the cloud (in).",
                            MetricType::Counter);
    auto& acked =
        family(out, "lampi_fleet_messages_acked_total",
               "Out-going messages acknowledged within the response timeout.", MetricType::Counter);
    auto& failures = family(out, "lampi_fleet_publish_failures_total",
                            "Out-going messages refused, dropped, or not acknowledged in time.",
                            MetricType::Counter);
    auto& response =
        family(out, "lampi_fleet_response_time_seconds",
               "QoS 1 publish to PUBACK, from the scheduled send time.", MetricType::Histogram);
    // Only the topics lamps publish at QoS 1 ever get a PUBACK: QoS 0 and in-topics would
    // be histograms that stay empty for the whole run.
    auto acknowledged = [](std::size_t t) {
      return model::remote_publish_qos(static_cast<model::Topic>(t)).value_or(0) > 0;
    };
    for (std::size_t i = 0; i < shards.size(); ++i) {
      const std::string thread = thread_label(i);
      for (std::size_t t = 0; t < model::kTopicCount; ++t) {
        const auto& tc = shards[i]->topics[t];
        std::string topic = topic_pattern(static_cast<model::Topic>(t));
        add_value(messages, {{"thread", thread}, {"topic", topic}, {"direction", "out"}},
                  static_cast<double>(read(tc.requests)));
        add_value(messages, {{"thread", thread}, {"topic", topic}, {"direction", "in"}},
                  static_cast<double>(read(tc.received)));
        add_value(acked, {{"thread", thread}, {"topic", topic}},
                  static_cast<double>(read(tc.acked)));
        add_value(failures, {{"thread", thread}, {"topic", topic}},
                  static_cast<double>(read(tc.failures)));
        if (acknowledged(t))
          add_histogram(response, {{"thread", thread}, {"topic", topic}},
                        shards[i]->latency[t].exported);
      }
    }
  }
  per_thread("lampi_fleet_publish_timeouts_total", "Publishes acknowledged late or never.",
             MetricType::Counter, [](const FleetStats& st) { return read(st.timeouts); });
  per_thread_histogram(
      "lampi_fleet_command_round_trip_seconds",
      "A cloud set_config received to the resulting lamp/changed acknowledged.",
      [](const FleetStats& st) -> const BucketHistogram& { return st.command_round_trip; });
  per_thread_histogram("lampi_fleet_bridge_up_seconds", "Connect requested to CONNACK.",
                       [](const FleetStats& st) -> const BucketHistogram& { return st.bridge_up; });
  per_thread_histogram(
      "lampi_fleet_schedule_lag_seconds", "How late lamps' timers ran: the generator's own lag.",
      [](const FleetStats& st) -> const BucketHistogram& { return st.schedule_lag_exported; });
  per_thread("lampi_fleet_event_loop_lag_seconds", "Lateness of the worker's once-a-second tick.",
             MetricType::Gauge, [](const FleetStats& st) {
               return static_cast<double>(st.loop_lag_us.load(std::memory_order_relaxed)) / 1e6;
             });
  per_thread("lampi_fleet_worker_cpu_seconds_total", "CPU time of the worker thread.",
             MetricType::Counter, [](const FleetStats& st) {
               return static_cast<double>(st.worker_cpu_us.load(std::memory_order_relaxed)) / 1e6;
             });
  per_thread("lampi_fleet_inflight_messages", "QoS 1 messages awaiting PUBACK.", MetricType::Gauge,
             [](const FleetStats& st) { return st.inflight.load(std::memory_order_relaxed); });
  per_thread("lampi_fleet_inflight_dropped_total",
             "Publishes dropped at a lamp's bound of unacknowledged messages.", MetricType::Counter,
             [](const FleetStats& st) { return read(st.inflight_dropped); });
  per_thread(
      "lampi_fleet_bridge_queued_messages", "Messages held in bridge queues while links are down.",
      MetricType::Gauge,
      [](const FleetStats& st) { return st.bridge_queue_depth.load(std::memory_order_relaxed); });
  per_thread("lampi_fleet_bridge_queued_total", "Messages that entered a bridge queue.",
             MetricType::Counter, [](const FleetStats& st) { return read(st.bridge_queued); });
  per_thread("lampi_fleet_bridge_dropped_total", "Out-going messages lost while the link was down.",
             MetricType::Counter, [](const FleetStats& st) { return read(st.bridge_dropped); });
  {
    auto& f = family(out, "lampi_fleet_set_config_invalid_total",
                     "Invalid lamp/set_config payloads by class.", MetricType::Counter);
    for (std::size_t i = 0; i < shards.size(); ++i)
      for (std::size_t c = 0; c < model::kInvalidClassCount; ++c)
        add_value(f,
                  {{"thread", thread_label(i)},
                   {"class", invalid_class_name(static_cast<model::InvalidClass>(c))}},
                  static_cast<double>(read(shards[i]->set_config_invalid[c])));
  }
  per_thread("lampi_fleet_service_crashes_total", "lamp_service crashes.", MetricType::Counter,
             [](const FleetStats& st) { return read(st.service_crashes); });
  per_thread("lampi_fleet_service_restarts_total", "Supervisor restarts after a crash.",
             MetricType::Counter, [](const FleetStats& st) { return read(st.service_restarts); });
  if (const CloudCounters* cloud = fleet_.cloud()) collect_cloud_metrics(out, *cloud);
  add_value(family(out, "lampi_fleet_generator_saturated",
                   "1 while the generator cannot keep its own schedule: results measure "
                   "lampi-fleet, not the broker.",
                   MetricType::Gauge),
            {}, fleet_.generator_saturated() ? 1.0 : 0.0);
  collect_process_metrics(out, start_time_seconds_);
  // Which process of a sharded fleet this is, on every series, so that Prometheus can sum
  // the shards or tell them apart even when they share an instance (a pod restarted
  // elsewhere) or scrape through one address.
  const std::string shard = std::to_string(fleet_.config().shard.index.value_or(0));
  for (auto& f : out)
    for (auto& m : f.metric) m.label.insert(m.label.begin(), {"shard", shard});
  return out;
}

void collect_process_metrics(std::vector<MetricFamily>& out, double start_time_seconds) {
  double cpu = 0, rss = 0;
  if (std::ifstream stat("/proc/self/stat"); stat) {
    std::string line;
    std::getline(stat, line);
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    unsigned long utime = 0, stime = 0;
    for (int i = 1; i <= 13 && rest >> field; ++i) {
      if (i == 12) utime = std::stoul(field);
      if (i == 13) stime = std::stoul(field);
    }
    cpu = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  rss = static_cast<double>(resident_bytes());
  std::size_t fds = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++fds;
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  add_value(family(out, "process_cpu_seconds_total",
                   "Total user and system CPU time spent in seconds.", MetricType::Counter),
            {}, cpu);
  add_value(family(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
                   MetricType::Gauge),
            {}, rss);
  add_value(family(out, "process_open_fds", "Number of open file descriptors.", MetricType::Gauge),
            {}, static_cast<double>(fds));
  add_value(
      family(out, "process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge),
      {}, static_cast<double>(lim.rlim_cur));
  add_value(family(out, "process_start_time_seconds",
                   "Start time of the process since unix epoch in seconds.", MetricType::Gauge),
            {}, start_time_seconds);
}

}  // namespace lampi::fleet
