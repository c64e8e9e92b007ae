// Ranges and cross-field rules, worded with YAML key names whichever way a value arrived
// (file or command line), and the file checks a run makes before it starts.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "fleet/config/config_internal.hpp"
#include "fleet/config/config_loader.hpp"

namespace lampi::fleet {

namespace {

using detail::format_number;

// Far past what one process can drive (see the fd limits in the engineering notes):
// a larger number is a typo, not a plan.
// The model stores a drag's frame count in 16 bits.
constexpr int kMaxWorstCaseMessages = 60000;

std::string quote_path(std::string_view path) {
  return quote_value(path, kPathExcerptChars);
}

[[noreturn]] void fail(const std::string& key, const std::string& problem) {
  throw ConfigError({}, key, problem);
}

std::string show(Seconds s) {
  return format_duration(s);
}
std::string show(model::Duration d) {
  return format_duration(std::chrono::duration_cast<Seconds>(d));
}

void check_range(const std::string& key, const model::DurationRange& r, bool must_wait) {
  if (r.min.count() < 0) fail(key, "min " + show(r.min) + " is negative");
  if (r.min > r.max)
    fail(key, "min " + show(r.min) + " is above max " + show(r.max) +
                  "; expected [min, max] with min <= max");
  // A zero wait reschedules a session at the same instant, forever.
  if (must_wait && r.min.count() <= 0)
    fail(key, "min must be above 0 (a session waiting 0 would never let time pass); got [" +
                  show(r.min) + ", " + show(r.max) + "]");
}

void check_at_least(const std::string& key, Seconds v, Seconds min, bool inclusive) {
  bool ok = inclusive ? v >= min : v > min;  // also false for NaN
  if (!ok)
    fail(key, std::string("must be ") + (inclusive ? "at least " : "above ") + show(min) +
                  "; got " + show(v));
}

void check_ratio(const std::string& key, double v) {
  if (!(v >= 0.0 && v <= 1.0))
    fail(key, "must be a ratio from 0 to 1 (e.g. 0.01 for 1%); got " + format_number(v));
}

void validate_broker(const FleetConfig& c) {
  const auto& m = c.model;
  bool remote = c.broker.has_value();
  if (remote && (c.broker->host.empty() || c.broker->port == 0))
    fail("broker.url", "has no host or port; expected e.g. mqtt://127.0.0.1:1883");
  if (!remote && (!c.username.empty() || !c.password.empty()))
    fail(c.username.empty() ? "broker.password" : "broker.username",
         "set without broker.url; the local mosquitto lampi-fleet starts takes no credentials, so "
         "add "
         "broker.url or remove this key");
  if (c.username.empty() && !c.password.empty() && c.mqtt_version == MqttVersion::v311)
    fail("broker.password",
         "set without broker.username, which MQTT 3.1.1 does not allow; add a username "
         "or use protocol \"5\"");

  const auto& t = c.tls;
  bool tls_files = !t.ca_file.empty() || !t.cert_file.empty() || !t.key_file.empty() ||
                   !t.client_ca_file.empty();
  if (tls_files && !(remote && c.broker->tls))
    fail("broker.tls",
         "set, but broker.url is not mqtts://; use mqtts://host:8883 for TLS or remove broker.tls");
  if (t.cert_file.empty() != t.key_file.empty())
    fail(t.cert_file.empty() ? "broker.tls.cert_file" : "broker.tls.key_file",
         "missing: a client certificate needs both cert_file and key_file (on the command "
         "line --cert-template and --key-template)");
  if (!t.client_ca_file.empty() && t.cert_file.empty())
    fail("broker.tls.client_ca_file",
         "set without broker.tls.cert_file; it only checks the lamps' own certificates");
  for (auto [key, value] :
       {std::pair{"broker.tls.cert_file", &t.cert_file}, {"broker.tls.key_file", &t.key_file}})
    if (!value->empty() && value->find("{id}") == std::string::npos)
      fail(key, quote_path(*value) +
                    " has no {id}; each lamp needs its own certificate (CN <id>_broker), e.g. "
                    "certs/{id}_broker.crt");

  auto keepalive = std::chrono::duration_cast<Seconds>(m.keepalive);
  // libmosquitto refuses keepalives under 5 s, and MQTT carries whole seconds in 16 bits.
  if (m.keepalive.count() % 1'000'000 != 0 || keepalive < Seconds(5) || keepalive > Seconds(65535))
    fail("broker.keepalive", "must be whole seconds from 5s to 65535s; got " + show(m.keepalive));
  if (m.reconnect_base.count() <= 0)
    fail(
        "broker.reconnect.base",
        "must be above 0 (reconnecting at once hammers the broker); got " + show(m.reconnect_base));
  if (m.reconnect_cap < m.reconnect_base)
    fail("broker.reconnect.cap", "must be at least broker.reconnect.base (" +
                                     show(m.reconnect_base) + "); got " + show(m.reconnect_cap));
}

void validate_connect(const FleetConfig& c) {
  if (!(c.hatch_rate >= kMinHatchRate && c.hatch_rate <= kMaxHatchRate))
    fail("connect.hatch_rate",
         "must be from 0.001 to 1000000 lamps per second; got " + format_number(c.hatch_rate));
  if (c.max_connects_in_flight < 1)
    fail("connect.max_in_flight",
         "must be at least 1; got " + std::to_string(c.max_connects_in_flight));
  std::set<Ipv4Address> seen;
  for (auto address : c.source_addresses)
    if (!seen.insert(address).second)
      fail("connect.source_addresses",
           address.str() + " is listed twice; ranges and addresses must not overlap");
  if (!c.source_addresses.empty() && c.broker && c.broker->host.find(':') != std::string::npos)
    fail("connect.source_addresses", "IPv4 source addresses cannot reach the IPv6 broker " +
                                         c.broker->host +
                                         "; remove them or use an IPv4 broker address");
}

void validate_workload(const FleetConfig& c) {
  // The profile mix needs no check here: a ProfileMix is valid by construction.
  check_at_least("workload.response_timeout", c.response_timeout, Seconds(0), false);

  const auto& s = c.model.sessions;
  const std::string p = "workload.sessions.";
  if (!(s.frame_rate_hz > 0 && s.frame_rate_hz <= 1000))
    fail(p + "frame_rate", "must be above 0 and at most 1000 frames per second; got " +
                               format_number(s.frame_rate_hz));
  if (!(s.tap_probability >= 0 && s.tap_probability <= 1))
    fail(p + "tap_probability",
         "must be a probability from 0 to 1; got " + format_number(s.tap_probability));
  if (s.worst_case_messages < 1 || s.worst_case_messages > kMaxWorstCaseMessages)
    fail(p + "worst_case_messages",
         "must be from 1 to 60000; got " + std::to_string(s.worst_case_messages));
  check_range(p + "drag_duration", s.drag_duration, false);
  check_range(p + "think_time", s.think_time, true);
  check_range(p + "worst_case_think", s.worst_case_think, true);
  check_range(p + "phone_session", s.phone_session, false);
  check_range(p + "phone_idle", s.phone_idle, true);
  check_range(p + "phone_write_interval", s.phone_write_interval, true);
}

void validate_cloud(const FleetConfig& c) {
  const CloudConfig& cl = c.cloud;
  if (cl.url && cl.url->tls)
    fail("cloud.url",
         "the cloud stand-in has no client certificate and connects over plain "
         "MQTT only; give an mqtt:// URL (the course's EC2 broker listens on 50001)");
  if (cl.mode != CloudMode::off && !cl.url && c.broker && c.broker->tls)
    fail("cloud.url",
         "is needed with an mqtts:// broker.url: the cloud stand-in connects over "
         "plain MQTT; give the broker's plain listener, e.g. mqtt://" +
             c.broker->host + ":50001");
  check_at_least("cloud.association_delay", cl.association_delay, Seconds(0), true);
  if (!(cl.web_sessions_per_second >= 0 && cl.web_sessions_per_second <= 10000))
    fail("cloud.web_sessions_per_second", "must be from 0 to 10000 drags per second; got " +
                                              format_number(cl.web_sessions_per_second));
  check_range("cloud.web_drag", cl.web_drag, false);
}

void validate_faults(const FleetConfig& c) {
  const FaultsConfig& f = c.faults;
  if (!(f.churn_per_hour >= 0 && f.churn_per_hour <= 3600))
    fail("faults.churn_per_hour", "must be from 0 to 3600 (a share of the lamps per hour); got " +
                                      format_number(f.churn_per_hour));
  check_ratio("faults.churn_power_loss", f.churn_power_loss);
  check_range("faults.churn_off_time", f.churn_off_time, true);
  if (f.events.size() > kMaxFaultEvents)
    fail("faults.events", "at most 32 events; got " + std::to_string(f.events.size()));
  for (std::size_t i = 0; i < f.events.size(); ++i) {
    const FaultEvent& e = f.events[i];
    const std::string key = "faults.events[" + std::to_string(i) + "]";
    check_at_least(key + ".at", e.at, Seconds(0), true);
    if (i > 0 && e.at < f.events[i - 1].at)
      fail(key + ".at", "events must be in time order; " + show(e.at) + " comes after " +
                            show(f.events[i - 1].at));
    if (!(e.share > 0 && e.share <= 1))
      fail(key + ".share", "must be a share above 0 and at most 1; got " + format_number(e.share));
    check_at_least(key + ".lasting", e.lasting, Seconds(0), false);
    if (e.kind == FaultKind::restart && c.broker)
      fail(key + ".kind",
           "restart stops and starts the mosquitto lampi-fleet runs itself, so it needs no "
           "broker.url (nor --broker); restart your own broker yourself, the cloud accounting "
           "still holds");
  }
}

void validate_lamp(const model::ModelConfig& m) {
  for (std::size_t i = 0; i < detail::kServiceNames.size(); ++i)
    check_range("lamp.service_start." + std::string(detail::kServiceNames[i]), m.service_start[i],
                false);
  if (m.service_restart_delay.count() < 0)
    fail("lamp.service_restart_delay", "must be at least 0s; got " + show(m.service_restart_delay));
  if (m.ui_update_delay.count() < 0)
    fail("lamp.ui_update_delay", "must be at least 0s; got " + show(m.ui_update_delay));
  // The model drops what does not fit; 0 would drop every message, unlike Mosquitto's 0.
  if (m.bridge_queue_limit < 1)
    fail("lamp.bridge_queue_limit", "must be at least 1 (Mosquitto's default is 1000); got 0");
}

void check_readable_file(const std::string& key, const std::string& path, const std::string& what) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  std::string where = std::filesystem::path(path).is_relative()
                          ? " (relative to the current directory " +
                                std::filesystem::current_path(ec).string() + ")"
                          : "";
  if (!std::filesystem::exists(status))
    fail(key, quote_path(path) + " does not exist" + where + "; expected " + what);
  if (!std::filesystem::is_regular_file(status))
    fail(key, quote_path(path) + " is not a file; expected " + what);
  if (::access(path.c_str(), R_OK) != 0)
    fail(key, quote_path(path) + " is not readable by this user");
}

void check_output_dir(const std::string& key, const std::string& path) {
  if (path.empty()) return;
  auto dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
    fail(key,
         "directory " + quote_path(dir.string()) + " does not exist; create it before the run");
}

}  // namespace

void validate(const FleetConfig& c) {
  if (c.lamps < 1 || c.lamps > kMaxLamps)
    fail("lamps", "must be from 1 to 1000000; got " + std::to_string(c.lamps));
  if (c.device_id_base > model::kMaxDeviceId ||
      c.lamps - 1 > model::kMaxDeviceId - c.device_id_base)
    fail("device_id_base", model::DeviceId{c.device_id_base & model::kMaxDeviceId}.str() + " + " +
                               std::to_string(c.lamps) +
                               " lamps runs past ffffffffffff (device IDs are 48 bits); "
                               "lower device_id_base or lamps");
  if (c.shard.count < 1 || c.shard.count > kMaxShards)
    fail("shard.count", "must be from 1 to 10000; got " + std::to_string(c.shard.count));
  if (c.shard.count > c.lamps)
    fail("shard.count", std::to_string(c.shard.count) + " shards for " + std::to_string(c.lamps) +
                            " lamps would leave a shard without lamps; use at most `lamps` "
                            "shards");
  if (c.shard.index && *c.shard.index >= c.shard.count)
    fail("shard.index", "must be from 0 to " + std::to_string(c.shard.count - 1) +
                            " (shard.count is " + std::to_string(c.shard.count) + "); got " +
                            std::to_string(*c.shard.index));
  validate_broker(c);
  validate_connect(c);

  check_at_least("run.duration", c.duration, Seconds(0), true);
  check_at_least("run.stop_timeout", c.stop_timeout, Seconds(0), true);
  check_at_least("run.state_save_interval", c.state_save_interval, Seconds(1), true);
  if (c.threads > kMaxThreads)
    fail("run.threads", "must be from 0 (one per core) to 1024; got " + std::to_string(c.threads));

  validate_workload(c);
  validate_lamp(c.model);
  validate_cloud(c);
  validate_faults(c);

  if (!c.summary_json.empty() && c.summary_json == c.report_html.value_or(default_report_html(c)))
    fail("report.html", "is the same file as report.summary_json; give them different paths");
  for (const char* suffix : kCsvSuffixes) {
    if (c.csv_prefix.empty()) break;
    const std::string csv = c.csv_prefix + suffix;
    for (auto [key, other] : {std::pair{"report.summary_json", c.summary_json},
                              {"report.html", c.report_html.value_or(default_report_html(c))}})
      if (csv == other)
        fail("report.csv_prefix", "writes " + quote_value(csv, kPathExcerptChars) +
                                      ", the same file as " + key + "; give them different paths");
  }
  if (c.slo.p95_response_seconds)
    check_at_least("slo.p95_response_time", Seconds(*c.slo.p95_response_seconds), Seconds(0),
                   false);
  if (c.slo.max_failure_ratio) check_ratio("slo.max_failure_ratio", *c.slo.max_failure_ratio);
  if (c.slo.min_bridged_ratio) check_ratio("slo.min_bridged_ratio", *c.slo.min_bridged_ratio);
}

void check_files(const FleetConfig& c) {
  // Each lamp's certificate and key are checked with the certificates themselves, before
  // the first lamp connects (fleet/engine/certificate_check.hpp).
  if (!c.tls.ca_file.empty())
    check_readable_file("broker.tls.ca_file", c.tls.ca_file,
                        "the PEM CA certificate that signed the broker's certificate");
  if (!c.tls.client_ca_file.empty())
    check_readable_file("broker.tls.client_ca_file", c.tls.client_ca_file,
                        "the PEM CA certificate that signed the lamps' certificates");
  check_output_dir("run.state_file", c.state_file);
  check_output_dir("report.summary_json", c.summary_json);
  check_output_dir("report.html", c.report_html.value_or(""));
  if (!c.csv_prefix.empty()) check_output_dir("report.csv_prefix", c.csv_prefix + kCsvSuffixes[0]);
}

}  // namespace lampi::fleet
