// Everything a fleet run is told: loaded from YAML (config_loader), then overridden
// from the command line. Plain data; validated before anything starts.
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "firmware_model/model_config.hpp"

namespace lampi::fleet {

using Seconds = std::chrono::duration<double>;

enum class MqttVersion : std::uint8_t { v311, v5 };
enum class StopMode : std::uint8_t { graceful, power_loss };

struct BrokerTarget {
  bool tls = false;        // mqtts://
  std::string host;        // a numeric address or a name, resolved once at start-up
  std::uint16_t port = 0;  // default 1883 for mqtt://, 8883 for mqtts://
};

struct TlsConfig {
  std::string ca_file;
  std::string cert_file;       // path template; "{id}" becomes the device id
  std::string key_file;        // path template; "{id}" becomes the device id
  std::string client_ca_file;  // what the broker checks the lamps' certificates with; "": ca_file
  bool check_cn = true;        // each lamp's certificate must have the CN <id>_broker
  bool verify = true;
};

// An IPv4 address in host byte order; compared and ordered as a number.
struct Ipv4Address {
  std::uint32_t value = 0;
  std::string str() const;  // dotted quad, e.g. "127.0.0.2"
  friend auto operator<=>(Ipv4Address, Ipv4Address) = default;
};

// Where a server listens; port 0 picks a free one.
struct ListenAddress {
  std::string host;  // numeric: IPv4, or IPv6 without the brackets
  std::uint16_t port = 0;
  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

struct ProfileShare {
  model::Profile profile;
  double percent;
};

// Which profiles the lamps follow, and what share of them each. The constructors are
// the one place the rules are checked (at least one profile, each once, percentages
// from 0 to 100 adding up to 100), so a mix that exists is valid and nothing rechecks it.
class ProfileMix {
 public:
  // Throw ConfigError: its key is the profile at fault (e.g. "idle"), or "" when the
  // mix as a whole is wrong; the caller prefixes where the mix came from.
  ProfileMix(std::initializer_list<ProfileShare> shares);
  explicit ProfileMix(std::vector<ProfileShare> shares);

  std::span<const ProfileShare> shares() const { return shares_; }
  auto begin() const { return shares_.begin(); }
  auto end() const { return shares_.end(); }
  std::size_t size() const { return shares_.size(); }
  const ProfileShare& operator[](std::size_t i) const { return shares_[i]; }
  const ProfileShare& front() const { return shares_.front(); }

 private:
  std::vector<ProfileShare> shares_;
};

struct SloConfig {
  std::optional<double> p95_response_seconds;
  std::optional<double> max_failure_ratio;
  std::optional<double> min_bridged_ratio;  // of the configured lamps, at the end of the run
};

// The bounds every source of a value (YAML, command line) is held to.
inline constexpr std::size_t kMaxLamps = 1'000'000;
inline constexpr unsigned kMaxThreads = 1024;
// One lamp per 1,000 s at the slowest: a million lamps then still power on within
// int64 microseconds, never all at once through an overflow.
inline constexpr double kMinHatchRate = 0.001;
inline constexpr double kMaxHatchRate = 1e6;

inline constexpr const char* kDefaultReportHtml = "lampi-fleet-report.html";
// What report.csv_prefix is followed by, Locust's three files in its order.
inline constexpr std::array<const char*, 3> kCsvSuffixes = {"_stats.csv", "_stats_history.csv",
                                                            "_failures.csv"};

// Which part of a fleet this process runs, when several processes (on one machine or
// many) share one fleet: shard `index` of `count`. Each shard runs a disjoint slice of the
// fleet's lamps, so of its device IDs, and the shards together are exactly the fleet.
struct ShardConfig {
  // Unset: 0 for a fleet of one shard; for more, the process's environment says
  // (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX, a StatefulSet pod's host name).
  std::optional<std::size_t> index;
  std::size_t count = 1;
  friend bool operator==(const ShardConfig&, const ShardConfig&) = default;
};
inline constexpr std::size_t kMaxShards = 10'000;

// Fleet lamp indices [first, first + count): lamp i keeps its device ID (device_id_base
// + i), its seed stream and its profile whichever shard runs it.
struct LampSlice {
  std::uint64_t first = 0;
  std::size_t count = 0;
};

// The cloud stand-in (fleet/cloud): what the course's EC2 side does, in this process.
// `active` associates lamps and moves their sliders from web pages; `observe` only
// listens, for a real EC2 stack; both account for every lamp's messages at the end.
enum class CloudMode : std::uint8_t { off, active, observe };
const char* cloud_mode_name(CloudMode m);

struct CloudConfig {
  CloudMode mode = CloudMode::off;
  std::optional<BrokerTarget> url;       // none: the lamps' broker (plain MQTT only)
  Seconds association_delay{5};          // the code shown until a user types it on the web site
  double web_sessions_per_second = 1.0;  // slider drags started across the fleet
  model::DurationRange web_drag{model::seconds_to_duration(0.5), model::seconds_to_duration(2.0)};
};

// Faults the fleet itself causes, to see how the cloud side copes and how long it takes to
// recover: `kill` closes a share of the bridged lamps' connections without DISCONNECT (as a
// dropped network does; each lamp reconnects with its back-off), `stall` stops reading
// their sockets for `lasting` (a hung lamp), `storm` kills every lamp's at once, and
// `restart` stops the local mosquitto the run started (SIGTERM: it saves its sessions and
// retained messages) and starts it again `lasting` later, on the same port.
enum class FaultKind : std::uint8_t { kill, stall, storm, restart };
const char* fault_kind_name(FaultKind k);

struct FaultEvent {
  Seconds at{0};  // into the run
  FaultKind kind = FaultKind::kill;
  double share = 0.1;   // of the bridged lamps; a storm takes all of them
  Seconds lasting{10};  // a stall's length; how long a restarted broker stays down
};
inline constexpr std::size_t kMaxFaultEvents = 32;

struct FaultsConfig {
  // Lamps power-cycled per hour, as a share of the fleet (0.5: half of them each hour),
  // each off for `churn_off_time` and back with what it stored, as a real lamp is.
  double churn_per_hour = 0;
  double churn_power_loss = 0.5;  // of those cycles, the share that are power cuts
  model::DurationRange churn_off_time{model::seconds_to_duration(5),
                                      model::seconds_to_duration(30)};
  std::vector<FaultEvent> events;  // in time order
};

struct FleetConfig {
  std::size_t lamps = 100;  // in the whole fleet, every shard together
  std::uint64_t device_id_base = 0x1e0000000000ULL;
  ShardConfig shard;

  // No broker: lampi-fleet starts Debian's mosquitto on a free loopback port.
  std::optional<BrokerTarget> broker;
  std::string username;
  std::string password;
  TlsConfig tls;
  MqttVersion mqtt_version = MqttVersion::v311;

  double hatch_rate = 100.0;  // lamps powered on per second, every shard together
  std::size_t max_connects_in_flight = 100;
  std::vector<Ipv4Address> source_addresses;  // every address of the ranges, in order

  Seconds duration{0};   // 0: until Ctrl-C
  unsigned threads = 0;  // 0: one per core
  std::uint64_t seed = 1;
  StopMode stop_mode = StopMode::graceful;
  Seconds stop_timeout{10};
  // What every lamp keeps across a power cycle, kept across runs: read at start, written
  // every state_save_interval and at the end. Empty: none (every run starts anew).
  std::string state_file;
  Seconds state_save_interval{60};

  ProfileMix profiles{{model::Profile::touch_drag, 100.0}};
  Seconds response_timeout{0.5};  // publish to PUBACK beyond this is a failure

  model::ModelConfig model;  // validation mode, bridge, services, sessions

  // None: no metrics endpoint.
  std::optional<ListenAddress> metrics_listen = ListenAddress{"127.0.0.1", 9464};
  std::string summary_json;  // path, or empty
  // Unset: default_report_html() in the working directory, written if it can be (a report
  // nobody asked for never fails a run); "": no report; a path: written, or the run fails.
  std::optional<std::string> report_html;
  // Locust's CSV files PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv;
  // empty: none.
  std::string csv_prefix;
  SloConfig slo;
  CloudConfig cloud;
  FaultsConfig faults;
};

// This process's lamps: the fleet split as evenly as whole lamps allow, lower shards
// first, so slices differ by at most one lamp. An unset index counts as 0.
constexpr LampSlice shard_slice(std::size_t lamps, const ShardConfig& shard) {
  const std::size_t count = shard.count ? shard.count : 1;
  const std::size_t index = shard.index.value_or(0);
  const std::size_t base = lamps / count, extra = lamps % count;
  return {.first = index * base + (index < extra ? index : extra),
          .count = base + (index < extra ? 1 : 0)};
}
inline LampSlice shard_slice(const FleetConfig& c) {
  return shard_slice(c.lamps, c.shard);
}
// The report written when report.html is unset: lampi-fleet-report.html, or for a shard
// of several lampi-fleet-report-shard-<index>.html, so shards sharing a folder keep theirs.
inline std::string default_report_html(const FleetConfig& c) {
  if (c.shard.count <= 1) return kDefaultReportHtml;
  return "lampi-fleet-report-shard-" + std::to_string(c.shard.index.value_or(0)) + ".html";
}
// Each shard powers its own lamps on at its share of the fleet's hatch rate, so the
// fleet as a whole ramps up at connect.hatch_rate, as Locust's workers share its rate.
inline double shard_hatch_rate(const FleetConfig& c) {
  return c.hatch_rate / static_cast<double>(c.shard.count ? c.shard.count : 1);
}

}  // namespace lampi::fleet
