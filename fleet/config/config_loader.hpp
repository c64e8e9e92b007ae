// Reads a fleet's YAML config into FleetConfig and checks it; also the value parsers the
// command line reuses for its overrides. Every error names where it came from, the key,
// what was wrong and what is accepted: users fix configs from the message alone.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "firmware_model/device_id.hpp"
#include "firmware_model/model_config.hpp"
#include "fleet/config/fleet_config.hpp"

namespace lampi::fleet {

// what() is "<source>: <key>: <problem> (line L, column C)", leaving out the parts that
// are unknown. The value parsers below throw it with only a problem; callers that know
// the key rethrow with_context(), so the command line can say "--duration" instead.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::string problem);
  ConfigError(std::string source, std::string key, std::string problem, int line = 0,
              int column = 0);

  const std::string& source() const noexcept { return source_; }
  const std::string& key() const noexcept { return key_; }
  const std::string& problem() const noexcept { return problem_; }
  int line() const noexcept { return line_; }  // 1-based; 0 when not from a file

  // The same problem, reported against another source and key.
  ConfigError with_context(std::string source, std::string key, int line = 0, int column = 0) const;

 private:
  std::string source_;
  std::string key_;
  std::string problem_;
  int line_ = 0;
  int column_ = 0;
};

// ---- Whole configs ----

// The most a config may hold. A fleet's config is a few kilobytes: a bigger file is the
// wrong file (a log, /dev/zero, a FIFO that never ends), and load_config() refuses it
// having read at most one byte past the limit.
inline constexpr std::size_t kMaxConfigBytes = 4 * 1024 * 1024;

// source_name only labels errors (usually the file name). Runs validate() too.
FleetConfig parse_config(std::string_view yaml_text, std::string_view source_name);
// parse_config() of the file's text; an unreadable or oversized file is a ConfigError too.
FleetConfig load_config(const std::filesystem::path& path);

// Range and cross-field checks, worded with the YAML key names. Rerun it after applying
// command-line overrides. Touches no files: see check_files().
void validate(const FleetConfig& config);

// The files a run reads or writes must be there before an hours-long run starts, not at
// its end: the TLS CA files and the report directories. (Every lamp's certificate and key
// are checked by check_certificates() in fleet/engine/certificate_check.hpp.) Separate
// from validate() so that configs can be checked on machines without them.
void check_files(const FleetConfig& config);

// ---- Values, shared with the command line ----

// How an error shows a value it quotes, from a file or the command line: whole while
// short, else its first max_chars characters (never half of one) and its size, so a
// 10 MB value still makes a short line. Control characters are escaped (\n, \t, \x01),
// keeping the message on one line. Paths get more room: a real one is rarely longer.
inline constexpr std::size_t kExcerptChars = 60;
inline constexpr std::size_t kPathExcerptChars = 200;
// abc, or xxx…(1048576 bytes)
std::string excerpt(std::string_view value, std::size_t max_chars = kExcerptChars);
// "abc", or "xxx…" (1048576 bytes)
std::string quote_value(std::string_view value, std::size_t max_chars = kExcerptChars);

// "500ms", "5s", "10m", "1h30m", "2.5s", "250us"; a bare number is seconds. Never negative.
std::chrono::duration<double> parse_duration(std::string_view text);
// The shortest of the forms above that reads back as the same value, e.g. "1h30m", "0.5s".
std::string format_duration(std::chrono::duration<double> d);

// mqtt://host[:port] or mqtts://host[:port]; ports default to 1883 and 8883; IPv6 in
// brackets, e.g. mqtt://[::1]:1883. Host is a numeric address or a DNS name.
BrokerTarget parse_broker_url(std::string_view url);
std::string format_broker_url(const BrokerTarget& target);

// One entry of connect.source_addresses: an IPv4 address, or an inclusive range
// "127.0.0.2-127.0.0.9" of at most 65536 addresses; the result lists each in order.
std::vector<Ipv4Address> parse_source_addresses(std::string_view entry);

// "idle", "seed-worst-case", "touch-drag", "bluetooth".
model::Profile parse_profile(std::string_view name);
std::string_view profile_name(model::Profile profile);
// "touch-drag", "touch-drag:80,idle:20", or "idle,touch-drag" (equal shares). Shares
// must add up to 100.
ProfileMix parse_profile_mix(std::string_view text);

// "host:port" or "[v6]:port" with a numeric host; port 0 picks a free one.
ListenAddress parse_listen_address(std::string_view text);
std::string format_listen_address(const ListenAddress& address);
// metrics.listen and --metrics-listen: a listen address, or "" for no metrics endpoint.
std::optional<ListenAddress> parse_metrics_listen(std::string_view text);

// device_id_base and --device-id-base: up to 12 hex digits, "0x" optional. Device IDs are
// hex, so is this: digits-only text is hex too, like the IDs in topics ("100" is 0x100).
std::uint64_t parse_device_id_base(std::string_view text);

// A TLS path template with every "{id}" replaced by the lamp's 12-hex-digit device ID.
std::string expand_id_template(std::string_view path_template, model::DeviceId id);

// The known name nearest to a mistyped one, or "" when none is close enough to suggest.
std::string closest_match(std::string_view typo, std::span<const std::string_view> known);

// ---- The keys themselves ----

// One key a config may set, as docs/config.md's key tables show it (Markdown).
struct KeyDoc {
  std::string key;  // full path, e.g. broker.tls.ca_file
  std::string_view type;
  std::string_view fallback;  // the default
  std::string_view meaning;
};
// Every key, from the same tables the loader reads with, in their order.
std::vector<KeyDoc> describe_keys();

}  // namespace lampi::fleet
