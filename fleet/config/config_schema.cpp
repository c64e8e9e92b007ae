// Every key of a config, as config_schema.hpp describes. The type, fallback and doc
// strings are docs/config.md's table cells to the letter (a test compares the two), so a
// key's documentation is edited here, next to the code that reads it.
#include "fleet/config/config_schema.hpp"

#include <array>
#include <optional>
#include <utility>

namespace lampi::fleet::detail {

namespace {

using model::ModelConfig;
using model::SessionConfig;

// ---- Readers and showers built from the ones in config_access.hpp ----

template <auto As, auto... Path>
constexpr Access in_model = member<As, &FleetConfig::model, Path...>;
template <auto As, auto... Path>
constexpr Access in_sessions = in_model<As, &ModelConfig::sessions, Path...>;

// Text for one of config_loader.hpp's parsers, which the command line shares.
template <auto Parse>
auto parsed(const Reader& r, const Field& f) {
  try {
    return Parse(as_string(r, f));
  } catch (const ConfigError& e) {
    r.fail(f.key, f.mark, e.problem());
  }
}

constexpr std::array<std::pair<std::string_view, MqttVersion>, 2> kVersions{
    {{"3.1.1", MqttVersion::v311}, {"5", MqttVersion::v5}}};
constexpr std::array<std::pair<std::string_view, StopMode>, 2> kStopModes{
    {{"graceful", StopMode::graceful}, {"power-loss", StopMode::power_loss}}};
constexpr std::array<std::pair<std::string_view, CloudMode>, 3> kCloudModes{
    {{"off", CloudMode::off}, {"active", CloudMode::active}, {"observe", CloudMode::observe}}};
constexpr std::array<std::pair<std::string_view, model::ValidationMode>, 2> kValidationModes{
    {{"faithful", model::ValidationMode::faithful}, {"strict", model::ValidationMode::strict}}};

// A key left empty means "no objective", as if it were not there.
template <auto As>
std::optional<double> objective(const Reader& r, const Field& f) {
  if (f.node.IsNull()) return std::nullopt;
  return As(r, f);
}
double as_seconds(const Reader& r, const Field& f) {
  return as_duration(r, f).count();
}

// One address or range needs no list around it; a list's errors name the entry.
void read_source_addresses(Reader& r, const Field& f, FleetConfig& c) {
  std::vector<Field> entries;
  if (f.node.IsSequence()) {
    for (std::size_t i = 0; i < f.node.size(); ++i)
      entries.push_back({f.node[i], f.key + "[" + std::to_string(i) + "]", f.node[i].Mark()});
  } else if (!f.node.IsNull()) {
    entries.push_back(f);
  }
  c.source_addresses.clear();
  for (const auto& e : entries) {
    r.remember(e.key, e.mark);
    try {
      auto addresses = parse_source_addresses(scalar(r, e, "an IPv4 address or range"));
      c.source_addresses.insert(c.source_addresses.end(), addresses.begin(), addresses.end());
    } catch (const ConfigError& err) {
      if (!err.source().empty()) throw;
      r.fail(e.key, e.mark, err.problem());
    }
  }
}

// Profile names are the keys here, so a mistyped one gets the profile list. ProfileMix
// checks the shares, and its errors are put on the profile's line, or the mapping's.
void read_profiles(Reader& r, const Field& f, FleetConfig& c) {
  Section ps(r, f, kProfileNames, &unknown_profile_problem);
  std::vector<ProfileShare> shares;
  for (std::size_t i = 0; i < ps.fields().size(); ++i)
    shares.push_back({parse_profile(ps.names()[i]), as_number(r, ps.fields()[i])});
  try {
    c.profiles = ProfileMix(std::move(shares));
  } catch (const ConfigError& e) {
    const Field* at = e.key().empty() ? &f : ps.get(e.key());  // each share has its key
    r.fail(at->key, at->mark, e.problem());
  }
}

template <std::size_t Service>
void read_service_start(Reader& r, const Field& f, FleetConfig& c) {
  c.model.service_start[Service] = as_range(r, f);
}
template <std::size_t Service>
Json show_service_start(const FleetConfig& c) {
  return shown(c.model.service_start[Service]);
}

template <class T>
std::optional<T> optional_whole(const Reader& r, const Field& f) {
  if (f.node.IsNull()) return std::nullopt;
  return as_whole<T>(r, f);
}

constexpr std::array<std::pair<std::string_view, FaultKind>, 4> kFaultKinds{
    {{"kill", FaultKind::kill},
     {"stall", FaultKind::stall},
     {"storm", FaultKind::storm},
     {"restart", FaultKind::restart}}};
constexpr std::array<std::string_view, 4> kFaultEventKeys{"at", "kind", "share", "lasting"};

// Each event a mapping of its own, its errors named by its place in the list.
void read_fault_events(Reader& r, const Field& f, FleetConfig& c) {
  c.faults.events.clear();
  if (f.node.IsNull()) return;
  if (!f.node.IsSequence())
    r.fail(f.key, f.mark, "expected a list of events, e.g. [{at: 30s, kind: kill, share: 0.2}]");
  for (std::size_t i = 0; i < f.node.size(); ++i) {
    Field e{f.node[i], f.key + "[" + std::to_string(i) + "]", f.node[i].Mark()};
    r.remember(e.key, e.mark);
    if (!e.node.IsMap()) r.fail(e.key, e.mark, "expected a mapping with at, kind, share, lasting");
    Section s(r, e, kFaultEventKeys);
    FaultEvent ev;
    const Field* at = s.get("at");
    if (!at) r.fail(e.key, e.mark, "needs `at`, when into the run (e.g. 30s)");
    ev.at = as_duration(r, *at);
    if (const Field* k = s.get("kind")) ev.kind = as_choice(r, *k, kFaultKinds);
    if (const Field* sh = s.get("share")) ev.share = as_number(r, *sh);
    if (const Field* l = s.get("lasting")) ev.lasting = as_duration(r, *l);
    c.faults.events.push_back(ev);
  }
}

Json show_fault_events(const FleetConfig& c) {
  Json out = Json::array();
  for (const auto& e : c.faults.events)
    out.push_back({{"at", shown(e.at)},
                   {"kind", fault_kind_name(e.kind)},
                   {"share", e.share},
                   {"lasting", shown(e.lasting)}});
  return out;
}

// ---- The tables, innermost sections first ----

constexpr auto kReconnect = std::to_array<Key>({
    {.name = "base",
     .value = in_model<as_model_duration, &ModelConfig::reconnect_base>,
     .type = "duration, above 0",
     .fallback = "`5s`",
     .doc = "Mosquitto's reconnect back-off (\"decorrelated jitter\"): each wait is random "
            "between `base` and three times the previous wait..."},
    {.name = "cap",
     .value = in_model<as_model_duration, &ModelConfig::reconnect_cap>,
     .type = "duration, at least `base`",
     .fallback = "`30s`",
     .doc = "...and never longer than `cap`. A fleet comes back from an outage spread over "
            "`base`..`cap`, as real lamps do."},
});

constexpr auto kTls = std::to_array<Key>({
    {.name = "ca_file",
     .value = member<as_string, &FleetConfig::tls, &TlsConfig::ca_file>,
     .type = "path",
     .fallback = "`\"\"`",
     .doc = "PEM CA certificate that signed the broker's certificate (the course's "
            "`lampi_ca.crt`). Only with `mqtts://`. Unless `client_ca_file` says otherwise, "
            "every lamp's certificate must be signed by it too: the course's one CA signs "
            "both."},
    {.name = "cert_file",
     .value = member<as_string, &FleetConfig::tls, &TlsConfig::cert_file>,
     .type = "path template",
     .fallback = "`\"\"`",
     .doc = "Per-lamp client certificate; `{id}` is replaced by the lamp's 12-hex-digit "
            "device ID, e.g. `certs/{id}_broker.crt`. Must contain `{id}`: each lamp has its "
            "own certificate, CN `<id>_broker`. Give both `cert_file` and `key_file`, or "
            "neither."},
    {.name = "key_file",
     .value = member<as_string, &FleetConfig::tls, &TlsConfig::key_file>,
     .type = "path template",
     .fallback = "`\"\"`",
     .doc = "The matching private key, e.g. `certs/{id}_broker.key`. Must contain `{id}`."},
    {.name = "client_ca_file",
     .value = member<as_string, &FleetConfig::tls, &TlsConfig::client_ca_file>,
     .type = "path",
     .fallback = "`\"\"`: `ca_file`",
     .doc = "PEM CA certificate the broker checks the lamps' certificates against (its "
            "`cafile`), when that is not `ca_file`: e.g. a broker whose own certificate comes "
            "from a public CA. Only with `cert_file`."},
    {.name = "check_cn",
     .value = member<as_bool, &FleetConfig::tls, &TlsConfig::check_cn>,
     .type = "boolean",
     .fallback = "`true`",
     .doc = "Before connecting, require each lamp's certificate to have the CN "
            "`<id>_broker` of that lamp. `false` allows any CN, for a broker that does not "
            "take the CN as the lamp's identity (no `use_identity_as_username`)."},
    {.name = "verify",
     .value = member<as_bool, &FleetConfig::tls, &TlsConfig::verify>,
     .type = "boolean",
     .fallback = "`true`",
     .doc = "Verify the broker's certificate. Turn off only to debug certificates: a run "
            "without it says so in a warning at start, in the summary, the JSON "
            "(`warnings`) and the report."},
});

constexpr auto kBroker = std::to_array<Key>({
    {.name = "url",
     .value = member<parsed<parse_broker_url>, &FleetConfig::broker>,
     .type = "URL",
     .fallback = "none: local mosquitto",
     .doc = "`mqtt://host[:port]` (plain, default port 1883) or `mqtts://host[:port]` (TLS, "
            "default port 8883). Host is a name, an IPv4 address or an IPv6 address in "
            "brackets (`mqtt://[::1]:1883`). No user name, password or path in the URL."},
    {.name = "username",
     .value = member<as_string, &FleetConfig::username>,
     .type = "string",
     .fallback = "`\"\"`",
     .doc = "MQTT user name every lamp sends. Not needed with TLS client certificates when "
            "the broker sets `use_identity_as_username`. Needs `broker.url`."},
    {.name = "password",
     .value = member<as_string, &FleetConfig::password>,
     .secret = true,
     .type = "string",
     .fallback = "`\"\"`",
     .doc = "MQTT password. MQTT 3.1.1 allows it only together with a user name."},
    {.name = "protocol",
     .value = chosen<kVersions, &FleetConfig::mqtt_version>,
     .type = "`\"3.1.1\"` or `\"5\"`",
     .fallback = "`\"3.1.1\"`",
     .doc = "MQTT version of the bridge connection. A real LAMPI bridge speaks 3.1.1."},
    {.name = "keepalive",
     .value = in_model<as_model_duration, &ModelConfig::keepalive>,
     .type = "duration, whole seconds, 5s to 65535s",
     .fallback = "`60s`",
     .doc = "Bridge `keepalive_interval`."},
    {.name = "clean_session",
     .value = in_model<as_bool, &ModelConfig::clean_session>,
     .type = "boolean",
     .fallback = "`false`",
     .doc = "Bridge `cleansession`. `false` (the final course config) keeps the lamp's "
            "subscriptions and queued QoS 1/2 commands while it is offline."},
    {.name = "reconnect", .keys = kReconnect},
    {.name = "tls", .keys = kTls},
});

constexpr auto kConnect = std::to_array<Key>({
    {.name = "hatch_rate",
     .value = member<as_number, &FleetConfig::hatch_rate>,
     .type = "number, 0.001 to 1000000",
     .fallback = "`100`",
     .doc = "Lamps powered on per second by the whole fleet; each shard powers its own "
            "on at its share. The seed's test used 100."},
    {.name = "max_in_flight",
     .value = member<as_whole<std::size_t>, &FleetConfig::max_connects_in_flight>,
     .type = "whole number, at least 1",
     .fallback = "`100`",
     .doc = "TCP connects (and TLS handshakes) pending at once. Mosquitto listens with a "
            "backlog of 100: more only causes SYN retransmits."},
    {.name = "source_addresses",
     .value = {read_source_addresses, show_by_type<&FleetConfig::source_addresses>},
     .type = "list of IPv4 addresses or ranges",
     .fallback = "`[]`: the system's choice",
     .doc = "Local addresses to spread the connections over, e.g. `[\"127.0.0.2-127.0.0.9\", "
            "\"10.0.0.5\"]`. One source address gives ~28,000 connections to one broker "
            "address; on loopback any 127.x.y.z works with no setup. Ranges are inclusive, "
            "lower address first, at most 65536 addresses each; no address twice. Only with "
            "an IPv4 broker."},
});

constexpr auto kRun = std::to_array<Key>({
    {.name = "duration",
     .value = member<as_duration, &FleetConfig::duration>,
     .type = "duration",
     .fallback = "`0`",
     .doc = "How long to run; `0` runs until Ctrl-C."},
    {.name = "threads",
     .value = member<as_whole<unsigned>, &FleetConfig::threads>,
     .type = "whole number, 0 to 1024",
     .fallback = "`0`",
     .doc = "Worker threads, each with its own event loop; `0` is one per CPU core."},
    {.name = "seed",
     .value = member<as_whole<std::uint64_t>, &FleetConfig::seed>,
     .type = "whole number, 0 to 2^64-1",
     .fallback = "`1`",
     .doc = "Seeds every lamp's synthetic user: the same seed and config replay the same run."},
    {.name = "stop",
     .value = chosen<kStopModes, &FleetConfig::stop_mode>,
     .type = "`graceful` or `power-loss`",
     .fallback = "`graceful`",
     .doc = "How the run ends. `graceful` lets in-flight publishes finish and disconnects. "
            "`power-loss` drops every connection at once, as if the lamps lost power, so the "
            "broker fires every will."},
    {.name = "stop_timeout",
     .value = member<as_duration, &FleetConfig::stop_timeout>,
     .type = "duration",
     .fallback = "`10s`",
     .doc = "How long a graceful stop waits for in-flight publishes."},
    {.name = "state_file",
     .value = member<as_string, &FleetConfig::state_file>,
     .type = "path",
     .fallback = "`\"\"`: none",
     .doc = "What every lamp keeps across a power cycle (lamp_service's on, colour, "
            "brightness and last client; its local broker's retained messages, the "
            "association among them), kept across runs as the real lamps' SD cards keep it: "
            "read when the run starts (a missing file is a first run), written every "
            "`state_save_interval` and when the run ends, whole or not at all. A shard keeps "
            "its own lamps: give each shard its own file. A file that cannot be read is an "
            "error before anything starts; `--fresh` starts every lamp anew instead."},
    {.name = "state_save_interval",
     .value = member<as_duration, &FleetConfig::state_save_interval>,
     .type = "duration, at least 1s",
     .fallback = "`1m`",
     .doc = "How often `state_file` is written while the run goes on."},
});

constexpr auto kSessions = std::to_array<Key>({
    {.name = "frame_rate",
     .value = in_sessions<as_number, &SessionConfig::frame_rate_hz>,
     .type = "number, above 0, at most 1000",
     .fallback = "`60`",
     .doc = "Frames per second while a finger drags a slider; each frame publishes."},
    {.name = "drag_duration",
     .value = in_sessions<as_range, &SessionConfig::drag_duration>,
     .type = "range",
     .fallback = "`[300ms, 2s]`",
     .doc = "How long one drag lasts (touch-drag)."},
    {.name = "think_time",
     .value = in_sessions<as_range, &SessionConfig::think_time>,
     .type = "range, min above 0",
     .fallback = "`[2s, 10s]`",
     .doc = "Pause between interactions (touch-drag)."},
    {.name = "tap_probability",
     .value = in_sessions<as_number, &SessionConfig::tap_probability>,
     .type = "number, 0 to 1",
     .fallback = "`0.2`",
     .doc = "Chance that an interaction is an on/off tap instead of a drag."},
    {.name = "worst_case_messages",
     .value = in_sessions<as_whole<int>, &SessionConfig::worst_case_messages>,
     .type = "whole number, 1 to 60000",
     .fallback = "`10`",
     .doc = "lamp/changed messages per interaction in `seed-worst-case`."},
    {.name = "worst_case_think",
     .value = in_sessions<as_range, &SessionConfig::worst_case_think>,
     .type = "range, min above 0",
     .fallback = "`[1s, 2s]`",
     .doc = "Pause between interactions in `seed-worst-case`."},
    {.name = "phone_session",
     .value = in_sessions<as_range, &SessionConfig::phone_session>,
     .type = "range",
     .fallback = "`[10s, 60s]`",
     .doc = "How long a phone stays connected over BLE (bluetooth)."},
    {.name = "phone_idle",
     .value = in_sessions<as_range, &SessionConfig::phone_idle>,
     .type = "range, min above 0",
     .fallback = "`[5s, 30s]`",
     .doc = "Time between phone sessions."},
    {.name = "phone_write_interval",
     .value = in_sessions<as_range, &SessionConfig::phone_write_interval>,
     .type = "range, min above 0",
     .fallback = "`[1s, 5s]`",
     .doc = "Time between the phone's writes while connected."},
});

constexpr auto kWorkload = std::to_array<Key>({
    {.name = "profiles",
     .value = {read_profiles, show_by_type<&FleetConfig::profiles>},
     .type = "mapping of profile to percent",
     .fallback = "`{ touch-drag: 100 }`",
     .doc = "Share of lamps following each profile; percentages from 0 to 100 that add up to "
            "100. Profiles: `touch-drag` (dragging the touch-screen sliders at the Kivy frame "
            "rate, or tapping power, then thinking), `idle` (powered, untouched), `bluetooth` "
            "(a phone app connecting over BLE and writing now and then), `seed-worst-case` "
            "(the instructor notes' worst case: `worst_case_messages` lamp/changed per "
            "interaction, `worst_case_think` apart)."},
    {.name = "response_timeout",
     .value = member<as_duration, &FleetConfig::response_timeout>,
     .type = "duration, above 0",
     .fallback = "`500ms`",
     .doc = "A QoS 1 publish not acknowledged (PUBACK) within this counts as a failure. The "
            "seed's threshold is 0.5 s."},
    {.name = "validation",
     .value = chosen<kValidationModes, &FleetConfig::model, &ModelConfig::mode>,
     .type = "`faithful` or `strict`",
     .fallback = "`faithful`",
     .doc = "How lamp_service treats `set_config`: `faithful` exactly as the course code (it "
            "may crash on bad input and be restarted by supervisor), `strict` the "
            "all-or-nothing validation the course text asks for."},
    {.name = "sessions", .keys = kSessions},
});

constexpr auto kServiceStart = std::to_array<Key>({
    {.name = kServiceNames[0],
     .value = {read_service_start<0>, show_service_start<0>},
     .type = "range",
     .fallback = "`[300ms, 1s]`",
     .doc = "When lamp_service comes up after power-on."},
    {.name = kServiceNames[1],
     .value = {read_service_start<1>, show_service_start<1>},
     .type = "range",
     .fallback = "`[1.5s, 3s]`",
     .doc = "When the Kivy UI comes up (it is slow)."},
    {.name = kServiceNames[2],
     .value = {read_service_start<2>, show_service_start<2>},
     .type = "range",
     .fallback = "`[500ms, 1.5s]`",
     .doc = "When the BLE peripheral comes up."},
    {.name = kServiceNames[3],
     .value = {read_service_start<3>, show_service_start<3>},
     .type = "range",
     .fallback = "`[500ms, 1.5s]`",
     .doc = "When the BLE central client comes up."},
});

constexpr auto kLamp = std::to_array<Key>({
    {.name = "service_restart_delay",
     .value = in_model<as_model_duration, &ModelConfig::service_restart_delay>,
     .type = "duration",
     .fallback = "`1s`",
     .doc = "Supervisor's restart delay after a service crashes."},
    {.name = "ui_update_delay",
     .value = in_model<as_model_duration, &ModelConfig::ui_update_delay>,
     .type = "duration",
     .fallback = "`10ms`",
     .doc = "lamp_ui's `_update_leds` debounce."},
    {.name = "bridge_queue_limit",
     .value = in_model<as_whole<std::size_t>, &ModelConfig::bridge_queue_limit>,
     .type = "whole number, at least 1",
     .fallback = "`1000`",
     .doc = "The bridge's `max_queued_messages` while disconnected; more are dropped."},
    {.name = "message_size_limit",
     .value = in_model<as_whole<std::size_t>, &ModelConfig::message_size_limit>,
     .type = "whole number of bytes, 0 for none",
     .fallback = "`1048576`",
     .doc = "The local Mosquitto's `message_size_limit`: a `set_config` or `associated` "
            "payload from EC2 over it is dropped unseen and counted as `too_large`."},
    {.name = "service_start", .keys = kServiceStart},
});

constexpr auto kMetrics = std::to_array<Key>({
    {.name = "listen",
     .value = member<parsed<parse_metrics_listen>, &FleetConfig::metrics_listen>,
     .type = "`address:port` or `\"\"`",
     .fallback = "`\"127.0.0.1:9464\"`",
     .doc = "Prometheus endpoint (`/metrics`). A numeric IPv4 address or a bracketed IPv6 one "
            "(`[::1]:9464`); `0.0.0.0` listens on every interface; port `0` picks a free "
            "port; `\"\"` turns metrics off."},
});

constexpr auto kReport = std::to_array<Key>({
    {.name = "summary_json",
     .value = member<as_string, &FleetConfig::summary_json>,
     .type = "path",
     .fallback = "`\"\"`: none",
     .doc = "Write the end-of-run summary as JSON here. The directory must exist."},
    {.name = "html",
     .value = member<as_string, &FleetConfig::report_html>,
     .type = "path",
     .fallback = "`lampi-fleet-report.html` (a shard's `lampi-fleet-report-shard-<index>.html`), "
                 "if it can be written",
     .doc = "Write the HTML run report here. The directory must exist; not the same file as "
            "`summary_json`; `\"\"` writes none. The default is skipped with a warning when "
            "the working directory cannot take it; a path you give must be writable."},
    {.name = "csv_prefix",
     .value = member<as_string, &FleetConfig::csv_prefix>,
     .type = "path prefix",
     .fallback = "`\"\"`: none",
     .doc = "Also write Locust's three CSV files, `PREFIX_stats.csv`, `PREFIX_stats_history.csv` "
            "and `PREFIX_failures.csv` (see [locust-csv.md](locust-csv.md)); "
            "`results/soak` writes `results/soak_stats.csv` and so on. The directory must "
            "exist."},
});

constexpr auto kSlo = std::to_array<Key>({
    {.name = "p95_response_time",
     .value = member_shown<objective<as_seconds>, shown_seconds, &FleetConfig::slo,
                           &SloConfig::p95_response_seconds>,
     .type = "duration, above 0",
     .fallback = "none",
     .doc = "Objective: 95% of publishes acknowledged within this."},
    {.name = "max_failure_ratio",
     .value = member<objective<as_number>, &FleetConfig::slo, &SloConfig::max_failure_ratio>,
     .type = "number, 0 to 1",
     .fallback = "none",
     .doc = "Objective: at most this share of publishes past `response_timeout` (0.01 = 1%)."},
    {.name = "min_bridged_ratio",
     .value = member<objective<as_number>, &FleetConfig::slo, &SloConfig::min_bridged_ratio>,
     .type = "number, 0 to 1",
     .fallback = "none",
     .doc = "Objective: at least this share of the configured lamps bridged at the end of the "
            "run. Also the verdict's bar: under this share (0.99 when unset) of the lamps "
            "powered on by then, the run is NOT CONNECTED (exit 3)."},
});

constexpr auto kCloud = std::to_array<Key>({
    {.name = "mode",
     .value = chosen<kCloudModes, &FleetConfig::cloud, &CloudConfig::mode>,
     .type = "`off`, `active` or `observe`",
     .fallback = "`off`",
     .doc = "The cloud stand-in, one more MQTT client in this process that subscribes to the "
            "lamps' topics on the broker. `active` plays the course's EC2 side: it associates "
            "each new lamp and web users drag its sliders (full-state `set_config` from "
            "`<random>_web_client`), timing each command until its `lamp/changed` comes back. "
            "`observe` never publishes, for a real EC2 stack that does those itself. Both "
            "check at the end that every acknowledged message reached the cloud once and in "
            "order, that the cloud's last view of each lamp is the lamp's, that every command "
            "arrived and every power-off was followed by its will (see "
            "[summary-json.md](summary-json.md), `cloud`)."},
    {.name = "url",
     .value = member<parsed<parse_broker_url>, &FleetConfig::cloud, &CloudConfig::url>,
     .type = "`mqtt://` URL",
     .fallback = "none: `broker.url`",
     .doc = "Where the stand-in connects, when not where the lamps do: it has no client "
            "certificate, so with an `mqtts://` broker give its plain listener (the course's "
            "EC2 broker has one on port 50001). Its user name and password are the lamps'."},
    {.name = "association_delay",
     .value = member<as_duration, &FleetConfig::cloud, &CloudConfig::association_delay>,
     .type = "duration",
     .fallback = "`5s`",
     .doc = "`active`: how long after a lamp gets its code (`{\"associated\": false, "
            "\"code\": ...}`) its user types it on the web site (`{\"associated\": true}`)."},
    {.name = "web_sessions_per_second",
     .value = member<as_number, &FleetConfig::cloud, &CloudConfig::web_sessions_per_second>,
     .type = "number, 0 to 10000",
     .fallback = "`1`",
     .doc = "`active`: slider drags started on web pages per second, every shard together, "
            "each on a lamp that is bridged and associated; 0: none."},
    {.name = "web_drag",
     .value = member<as_range, &FleetConfig::cloud, &CloudConfig::web_drag>,
     .type = "range",
     .fallback = "`[500ms, 2s]`",
     .doc = "`active`: how long one web drag lasts; it sends the full state every 100 ms."},
});

constexpr auto kFaults = std::to_array<Key>({
    {.name = "churn_per_hour",
     .value = member<as_number, &FleetConfig::faults, &FaultsConfig::churn_per_hour>,
     .type = "number, 0 to 3600",
     .fallback = "`0`",
     .doc = "Lamps power-cycled per hour, as a share of the fleet (`0.5`: half of the lamps "
            "each hour, at random times). Each is off for `churn_off_time` and comes back "
            "with what it stored (its state and association), as a real lamp does."},
    {.name = "churn_power_loss",
     .value = member<as_number, &FleetConfig::faults, &FaultsConfig::churn_power_loss>,
     .type = "number, 0 to 1",
     .fallback = "`0.5`",
     .doc = "Of those power cycles, the share that are power cuts (the rest are graceful "
            "power-offs); either way the broker fires the lamp's will."},
    {.name = "churn_off_time",
     .value = member<as_range, &FleetConfig::faults, &FaultsConfig::churn_off_time>,
     .type = "range, min above 0",
     .fallback = "`[5s, 30s]`",
     .doc = "How long a power-cycled lamp stays off."},
    {.name = "events",
     .value = {read_fault_events, show_fault_events},
     .type = "list of `{at, kind, share, lasting}`",
     .fallback = "`[]`",
     .doc = "Faults the fleet causes, at most 32: at `at` into the run, `kind` `kill` closes "
            "`share` (default 0.1) of the bridged lamps' connections without DISCONNECT (they "
            "reconnect with their back-off, the broker fires their wills), `stall` stops "
            "reading `share` of the lamps' sockets for `lasting` (default 10s), `storm` kills "
            "every lamp's connection at once, `restart` stops the local mosquitto the run "
            "started itself (only without `broker.url`) and starts it again `lasting` later "
            "(default 10s) with its sessions and retained messages kept. The summary and the "
            "report give each event's lamps and its time to full recovery; what they cause is "
            "not taken for an outage."},
});

constexpr auto kShard = std::to_array<Key>({
    {.name = "count",
     .value = member<as_whole<std::size_t>, &FleetConfig::shard, &ShardConfig::count>,
     .type = "whole number, 1 to 10000, at most `lamps`",
     .fallback = "`1`",
     .doc = "Processes sharing the fleet (on one machine or many). Each runs an even, "
            "disjoint slice of the `lamps` (so of the device IDs) at its share of "
            "`connect.hatch_rate`; together they hold exactly the fleet's lamps. "
            "`lampi-fleet merge` combines their summaries."},
    {.name = "index",
     .value = member<optional_whole<std::size_t>, &FleetConfig::shard, &ShardConfig::index>,
     .type = "whole number, 0 to `count` - 1",
     .fallback = "none: 0 for one shard; else the environment's",
     .doc = "Which shard this process is. Left unset with `count` over 1, it comes from "
            "Kubernetes: an Indexed Job's `JOB_COMPLETION_INDEX`, or the ordinal a "
            "StatefulSet pod's host name ends with (`lampi-fleet-2` is 2; in a pod only, "
            "where `KUBERNETES_SERVICE_HOST` is set). Every metric carries it as the `shard` "
            "label."},
});

constexpr auto kRoot = std::to_array<Key>({
    {.name = "lamps",
     .value = member<as_whole<std::size_t>, &FleetConfig::lamps>,
     .type = "whole number, 1 to 1000000",
     .fallback = "`100`",
     .doc = "How many lamps to emulate, every shard together; each holds one bridged MQTT "
            "connection."},
    {.name = "device_id_base",
     .value = member_shown<as_device_id, shown_device_id, &FleetConfig::device_id_base>,
     .type = "up to 12 hex digits",
     .fallback = "`\"1e0000000000\"`",
     .doc = "Device ID (eth0 MAC, lowercase hex) of the first lamp; lamp *i* is "
            "`device_id_base + i`. The default is the course's load-test range. `0x` prefix "
            "optional; digits-only values are hex too (`100` is 0x100). `device_id_base + "
            "lamps` must stay within 48 bits. Quote it to be safe."},
    {.name = "shard", .keys = kShard},
    {.name = "broker", .keys = kBroker},
    {.name = "connect", .keys = kConnect},
    {.name = "run", .keys = kRun},
    {.name = "workload", .keys = kWorkload},
    {.name = "lamp", .keys = kLamp},
    {.name = "metrics", .keys = kMetrics},
    {.name = "report", .keys = kReport},
    {.name = "slo", .keys = kSlo},
    {.name = "cloud", .keys = kCloud},
    {.name = "faults", .keys = kFaults},
});

// Each name once per section, and every value with its docs/config.md row.
consteval bool well_formed(std::span<const Key> keys) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const Key& k = keys[i];
    for (std::size_t j = 0; j < i; ++j)
      if (keys[j].name == k.name) return false;
    bool ok = k.keys.empty() ? !k.type.empty() && !k.fallback.empty() && !k.doc.empty()
                             : well_formed(k.keys);
    if (!ok) return false;
  }
  return true;
}
static_assert(well_formed(kRoot));

}  // namespace

std::span<const Key> root_keys() {
  return kRoot;
}

}  // namespace lampi::fleet::detail
