// Value parsers shared by the YAML loader and the command line. They throw ConfigError
// with only a problem; the caller adds the source and the key (YAML path or --option).
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "fleet/config/config_internal.hpp"
#include "fleet/config/config_loader.hpp"

namespace lampi::fleet {

namespace detail {

std::string join(std::span<const std::string_view> names) {
  std::string out;
  for (auto name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string format_number(double v) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%g", v);
  return buf.data();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<double> parse_plain_number(std::string_view s) {
  if (s.empty() || s == ".") return std::nullopt;
  if (!std::all_of(s.begin(), s.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }))
    return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace detail

namespace {

using detail::parse_plain_number;
using detail::trim;

// Nothing in a fleet run lasts a year: longer values are typos, and capping them keeps
// the conversion to the model's microseconds far from overflow.
constexpr double kMaxDurationSeconds = 365.0 * 24 * 3600;
constexpr std::uint32_t kMaxRangeAddresses = 65536;

std::string compose(const std::string& source, const std::string& key, const std::string& problem,
                    int line, int column) {
  std::string m;
  if (!source.empty()) m += source + ": ";
  if (!key.empty()) m += key + ": ";
  m += problem;
  if (line > 0) {
    m += " (line " + std::to_string(line);
    if (column > 0) m += ", column " + std::to_string(column);
    m += ")";
  }
  return m;
}

std::optional<std::uint32_t> parse_ipv4(std::string_view s) {
  std::uint32_t value = 0;
  for (int part = 0; part < 4; ++part) {
    auto dot = s.find('.');
    if ((part < 3) != (dot != std::string_view::npos)) return std::nullopt;
    auto octet = s.substr(0, dot);
    // A leading zero reads as octal to inet_aton: refuse rather than guess.
    if (octet.empty() || octet.size() > 3 || (octet.size() > 1 && octet[0] == '0'))
      return std::nullopt;
    unsigned n = 0;
    auto [end, ec] = std::from_chars(octet.data(), octet.data() + octet.size(), n);
    if (ec != std::errc{} || end != octet.data() + octet.size() || n > 255) return std::nullopt;
    value = (value << 8) | n;
    if (dot != std::string_view::npos) s.remove_prefix(dot + 1);
  }
  return value;
}

std::string format_ipv4(std::uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

bool is_ipv6(std::string_view s) {
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET6, std::string(s).c_str(), buf.data()) == 1;
}

bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  char prev = '.';
  for (char c : s) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return prev != '-';
}

bool looks_numeric(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

std::optional<std::uint16_t> parse_port(std::string_view s, bool allow_zero) {
  unsigned n = 0;
  if (s.empty() || s.size() > 5) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || end != s.data() + s.size() || n > 65535 || (n == 0 && !allow_zero))
    return std::nullopt;
  return static_cast<std::uint16_t>(n);
}

// Damerau-style distance with case and '-'/'_' ignored: the typos people make in keys.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto norm = [](char c) {
    return c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = norm(a[i - 1]) == norm(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && norm(a[i - 1]) == norm(b[j - 2]) && norm(a[i - 2]) == norm(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

// ---- Values in messages ----

namespace {

// The first max_chars characters of a value with control characters escaped, and
// whether that left any out.
struct Shown {
  std::string text;
  bool cut = false;
};

Shown show(std::string_view value, std::size_t max_chars) {
  Shown out;
  std::size_t chars = 0;
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    bool continues_a_character = (c & 0xC0) == 0x80;  // UTF-8 continuation byte
    if (!continues_a_character && chars++ == max_chars) {
      out.cut = true;
      break;
    }
    if (c == '\n') {
      out.text += "\\n";
    } else if (c == '\r') {
      out.text += "\\r";
    } else if (c == '\t') {
      out.text += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      std::array<char, 8> buf{};
      std::snprintf(buf.data(), buf.size(), "\\x%02x", c);
      out.text += buf.data();
    } else {
      out.text += ch;
    }
  }
  return out;
}

std::string size_of(std::string_view value) {
  return "(" + std::to_string(value.size()) + " bytes)";
}

}  // namespace

std::string excerpt(std::string_view value, std::size_t max_chars) {
  Shown s = show(value, max_chars);
  return s.cut ? s.text + "…" + size_of(value) : s.text;
}

std::string quote_value(std::string_view value, std::size_t max_chars) {
  Shown s = show(value, max_chars);
  return "\"" + s.text + (s.cut ? "…\" " + size_of(value) : "\"");
}

// ---- ConfigError ----

ConfigError::ConfigError(std::string problem) : ConfigError({}, {}, std::move(problem)) {}

ConfigError::ConfigError(std::string source, std::string key, std::string problem, int line,
                         int column)
    : std::runtime_error(compose(source, key, problem, line, column)),
      source_(std::move(source)),
      key_(std::move(key)),
      problem_(std::move(problem)),
      line_(line),
      column_(column) {}

ConfigError ConfigError::with_context(std::string source, std::string key, int line,
                                      int column) const {
  return ConfigError(std::move(source), std::move(key), problem_, line, column);
}

// ---- Durations ----

std::chrono::duration<double> parse_duration(std::string_view text) {
  const std::string shown = quote_value(text);
  const std::string expected =
      "expected a number with a unit us, ms, s, m or h (e.g. 500ms, 2.5s, 10m, 1h30m), or a "
      "bare number of seconds";
  auto s = trim(text);
  if (s.empty()) throw ConfigError("empty duration; " + expected);
  if (s.front() == '-')
    throw ConfigError("duration " + shown + " is negative; durations are at least 0");
  if (s.front() == '+') s.remove_prefix(1);
  if (auto bare = parse_plain_number(s)) {
    if (*bare > kMaxDurationSeconds)
      throw ConfigError("duration " + shown + " is longer than a year");
    return std::chrono::duration<double>(*bare);
  }

  struct Unit {
    std::string_view name;
    double seconds;
  };
  static constexpr std::array<Unit, 5> kUnits{
      {{"h", 3600.0}, {"m", 60.0}, {"s", 1.0}, {"ms", 1e-3}, {"us", 1e-6}}};
  double total = 0;
  std::size_t last_unit = 0;  // index + 1 of the previous component's unit
  while (!s.empty()) {
    std::size_t n = 0;
    while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.')) ++n;
    auto number = parse_plain_number(s.substr(0, n));
    if (!number) throw ConfigError(shown + " is not a duration; " + expected);
    s = trim(s.substr(n));
    std::size_t u = 0;
    while (u < s.size() && std::isalpha(static_cast<unsigned char>(s[u]))) ++u;
    auto unit_name = s.substr(0, u);
    if (unit_name.empty())
      throw ConfigError(shown + " is not a duration: a number without a unit; " + expected);
    auto unit = std::find_if(kUnits.begin(), kUnits.end(),
                             [&](const Unit& k) { return k.name == unit_name; });
    if (unit == kUnits.end())
      // No unit is longer than two letters: a few show what was written.
      throw ConfigError(shown + " is not a duration: unknown unit " + quote_value(unit_name, 8) +
                        "; " + expected);
    auto index = static_cast<std::size_t>(unit - kUnits.begin()) + 1;
    if (index <= last_unit)
      throw ConfigError(shown +
                        " is not a duration: units must go from largest to smallest, each "
                        "once (e.g. 1h30m); " +
                        expected);
    last_unit = index;
    total += *number * unit->seconds;
    s = trim(s.substr(u));
  }
  if (total > kMaxDurationSeconds)
    throw ConfigError("duration " + shown + " is longer than a year");
  return std::chrono::duration<double>(total);
}

std::string format_duration(std::chrono::duration<double> d) {
  auto us = std::llround(d.count() * 1e6);
  if (us == 0) return "0s";
  if (us % 1'000'000 == 0) {
    auto s = us / 1'000'000;
    std::string out;
    if (s >= 3600) out += std::to_string(s / 3600) + "h";
    if (s % 3600 >= 60) out += std::to_string(s % 3600 / 60) + "m";
    if (s % 60 != 0) out += std::to_string(s % 60) + "s";
    return out;
  }
  if (us < 1000) return std::to_string(us) + "us";
  if (us < 1'000'000 && us % 1000 == 0) return std::to_string(us / 1000) + "ms";
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.6f", static_cast<double>(us) / 1e6);
  std::string out(buf.data());
  while (out.back() == '0') out.pop_back();
  return out + "s";
}

// ---- Broker URLs ----

BrokerTarget parse_broker_url(std::string_view url) {
  const std::string shown = quote_value(url);
  const std::string expected =
      "expected mqtt://host[:port] or mqtts://host[:port], e.g. mqtt://127.0.0.1:1883";
  auto s = trim(url);
  auto sep = s.find("://");
  if (sep == std::string_view::npos) throw ConfigError(shown + " has no scheme; " + expected);
  std::string scheme(s.substr(0, sep));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  BrokerTarget target;
  if (scheme == "mqtt") {
    target.port = 1883;
  } else if (scheme == "mqtts") {
    target.tls = true;
    target.port = 8883;
  } else {
    throw ConfigError(shown + " has the unsupported scheme " + quote_value(scheme) + "; " +
                      expected);
  }
  auto rest = s.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('@') != std::string_view::npos)
    throw ConfigError(shown +
                      " holds credentials; set broker.username and broker.password instead");
  if (rest.find_first_of("/?#") != std::string_view::npos)
    throw ConfigError(shown + " has a path or query; " + expected);

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos)
      throw ConfigError(shown + " has no closing ']'; " + expected);
    host = rest.substr(1, close - 1);
    auto after = rest.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      throw ConfigError(shown + " has text after ']'; " + expected);
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
    if (!is_ipv6(host))
      throw ConfigError(shown + ": " + quote_value(host) + " is not an IPv6 address");
  } else {
    auto colon = rest.find(':');
    if (colon != std::string_view::npos && rest.find(':', colon + 1) != std::string_view::npos)
      throw ConfigError(shown + ": IPv6 addresses go in brackets, e.g. mqtt://[::1]:1883");
    host = rest.substr(0, colon);
    has_port = colon != std::string_view::npos;
    if (has_port) port = rest.substr(colon + 1);
    if (host.empty()) throw ConfigError(shown + " has no host; " + expected);
    bool ok = looks_numeric(host) ? parse_ipv4(host).has_value() : is_dns_name(host);
    if (!ok)
      throw ConfigError(shown + ": " + quote_value(host) +
                        " is not an IPv4 address or a host name");
  }
  if (host.empty()) throw ConfigError(shown + " has no host; " + expected);
  if (has_port) {
    auto p = parse_port(port, false);
    if (!p)
      throw ConfigError(shown + ": port " + quote_value(port) + " is not a number from 1 to 65535");
    target.port = *p;
  }
  target.host = std::string(host);
  return target;
}

std::string format_broker_url(const BrokerTarget& target) {
  bool v6 = target.host.find(':') != std::string::npos;
  return std::string(target.tls ? "mqtts://" : "mqtt://") + (v6 ? "[" : "") + target.host +
         (v6 ? "]" : "") + ":" + std::to_string(target.port);
}

// ---- Source addresses ----

std::string Ipv4Address::str() const {
  return format_ipv4(value);
}

std::vector<Ipv4Address> parse_source_addresses(std::string_view entry) {
  const std::string expected =
      "expected an IPv4 address like 127.0.0.2 or a range like 127.0.0.2-127.0.0.9";
  auto s = trim(entry);
  auto dash = s.find('-');
  auto first = parse_ipv4(trim(s.substr(0, dash)));
  auto last = dash == std::string_view::npos ? first : parse_ipv4(trim(s.substr(dash + 1)));
  if (!first || !last)
    throw ConfigError(quote_value(entry) + " is not an IPv4 address or range; " + expected);
  if (*last < *first)
    throw ConfigError("range " + quote_value(entry) +
                      " runs backwards; write the lower address first");
  std::uint64_t count = std::uint64_t{*last} - *first + 1;
  if (count > kMaxRangeAddresses)
    throw ConfigError("range " + quote_value(entry) + " covers " + std::to_string(count) +
                      " addresses; a range may cover at most 65536");
  std::vector<Ipv4Address> out;
  for (std::uint64_t a = *first; a <= *last; ++a)
    out.push_back(Ipv4Address{static_cast<std::uint32_t>(a)});
  return out;
}

// ---- Listen addresses, templates, suggestions ----

ListenAddress parse_listen_address(std::string_view text) {
  const std::string shown = quote_value(text);
  const std::string expected =
      "expected address:port with a numeric address, e.g. 127.0.0.1:9464, 0.0.0.0:9464 or "
      "[::1]:9464 (port 0 picks a free port)";
  auto s = trim(text);
  ListenAddress out;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find("]:");
    if (close == std::string_view::npos)
      throw ConfigError(shown + " is not a listen address; " + expected);
    out.host = std::string(s.substr(1, close - 1));
    port = s.substr(close + 2);
    if (!is_ipv6(out.host)) throw ConfigError(shown + " is not a listen address; " + expected);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos) throw ConfigError(shown + " has no port; " + expected);
    out.host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
    if (!parse_ipv4(out.host)) throw ConfigError(shown + " is not a listen address; " + expected);
  }
  auto p = parse_port(port, true);
  if (!p)
    throw ConfigError(shown + ": port " + quote_value(port) + " is not a number from 0 to 65535");
  out.port = *p;
  return out;
}

std::string format_listen_address(const ListenAddress& address) {
  bool v6 = address.host.find(':') != std::string::npos;
  return (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

std::optional<ListenAddress> parse_metrics_listen(std::string_view text) {
  if (text.empty()) return std::nullopt;
  try {
    return parse_listen_address(text);
  } catch (const ConfigError& e) {
    throw ConfigError(e.problem() + ", or \"\" to disable metrics");
  }
}

std::string expand_id_template(std::string_view path_template, model::DeviceId id) {
  const std::string digits = id.str();
  std::string out;
  for (std::size_t i = 0; i < path_template.size();) {
    if (path_template.substr(i, 4) == "{id}") {
      out += digits;
      i += 4;
    } else {
      out += path_template[i++];
    }
  }
  return out;
}

std::string closest_match(std::string_view typo, std::span<const std::string_view> known) {
  std::string_view best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (auto name : known) {
    // The distance is at least the difference in length; a word too far off by that
    // alone is not worth the quadratic comparison (a mistyped key may be megabytes).
    std::size_t slack = std::max<std::size_t>(1, name.size() / 3);
    if (typo.size() > name.size() + slack || name.size() > typo.size() + slack) continue;
    auto d = edit_distance(typo, name);
    if (d < best_distance) {
      best = name;
      best_distance = d;
    }
  }
  // Beyond a third of the word the "suggestion" is a different word.
  if (best.empty() || best_distance > std::max<std::size_t>(1, best.size() / 3)) return {};
  return std::string(best);
}

std::uint64_t parse_device_id_base(std::string_view text) {
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  auto id = model::parse_device_id(digits);
  if (!id)
    throw ConfigError(
        "expected up to 12 hex digits (48 bits), e.g. \"1e0000000000\", 0x prefix optional; "
        "got " +
        quote_value(text));
  return id->value;
}

const char* fault_kind_name(FaultKind k) {
  switch (k) {
    case FaultKind::kill:
      return "kill";
    case FaultKind::stall:
      return "stall";
    case FaultKind::storm:
      return "storm";
    case FaultKind::restart:
      return "restart";
  }
  return "kill";
}

const char* cloud_mode_name(CloudMode m) {
  switch (m) {
    case CloudMode::off:
      return "off";
    case CloudMode::active:
      return "active";
    case CloudMode::observe:
      return "observe";
  }
  return "off";
}

}  // namespace lampi::fleet
