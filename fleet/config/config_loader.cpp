// Walks the YAML tree into FleetConfig. Only types and formats are checked here; ranges
// and cross-field rules live in validate(), which also serves command-line overrides, and
// its errors are pointed back at the line their key was written on.
#include "fleet/config/config_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <type_traits>

#include "fleet/config/config_internal.hpp"

namespace lampi::fleet {

namespace {

using detail::in_quotes;

struct Where {
  int line = 0;  // 1-based; 0: not in the file
  int column = 0;
};

Where where_of(const YAML::Mark& m) {
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

// Remembers where each key path was written so validate()'s errors can point there.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& key, const YAML::Mark& at,
                         const std::string& problem) const {
    auto w = where_of(at);
    throw ConfigError(source_, key, problem, w.line, w.column);
  }
  void remember(const std::string& key, const YAML::Mark& at) { marks_.emplace(key, where_of(at)); }

  // A check on a key the file did not set may still be caused by its section, e.g. the
  // profile shares' sum: fall back to the nearest enclosing key that was written.
  Where where(std::string key) const {
    while (true) {
      if (auto it = marks_.find(key); it != marks_.end()) return it->second;
      auto cut = key.find_last_of(".[");
      if (cut == std::string::npos) return {};
      key.resize(cut);
    }
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::map<std::string, Where> marks_;
};

struct Field {
  YAML::Node node;
  std::string key;  // full path, e.g. broker.tls.ca_file
  YAML::Mark mark;  // of the key: a null value's own mark is on the next line
};

std::string child_key(const std::string& parent, std::string_view name) {
  return parent.empty() ? std::string(name) : parent + "." + std::string(name);
}

using UnknownProblem = std::string (*)(std::string_view name);

// One YAML mapping whose keys must all be known. Null stands for an empty mapping, so
// a section whose keys are all commented out means "defaults".
class Section {
 public:
  Section(Reader& r, const Field& at, std::span<const std::string_view> known,
          UnknownProblem unknown = nullptr) {
    if (!at.node.IsDefined() || at.node.IsNull()) return;
    if (!at.node.IsMap())
      r.fail(at.key, at.mark,
             at.key.empty() ? "the file must be a mapping of keys, e.g. lamps: 1000"
                            : "expected a mapping of keys (key: value)");
    // By value: yaml-cpp's iterators hand out temporaries.
    for (auto item : at.node) {
      const YAML::Node k = item.first;
      if (!k.IsScalar()) r.fail(at.key, k.Mark(), "keys must be plain names");
      std::string name = k.Scalar();
      std::string key = child_key(at.key, name);
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        if (unknown != nullptr) r.fail(key, k.Mark(), unknown(name));
        std::string problem = "unknown key";
        if (name == "<<") problem += " (YAML merge keys are not supported)";
        problem += "; expected one of " + detail::join(known);
        if (auto near = closest_match(name, known); !near.empty())
          problem += "; did you mean " + near + "?";
        r.fail(key, k.Mark(), problem);
      }
      for (const auto& f : fields_)
        if (f.key == key)
          r.fail(
              key, k.Mark(),
              "duplicate key; it is already set at line " + std::to_string(where_of(f.mark).line));
      r.remember(key, k.Mark());
      names_.push_back(name);
      fields_.push_back({item.second, key, k.Mark()});
    }
  }

  const Field* get(std::string_view name) const {
    for (std::size_t i = 0; i < names_.size(); ++i)
      if (names_[i] == name) return &fields_[i];
    return nullptr;
  }
  // In document order, with the key names as written.
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<Field>& fields() const { return fields_; }

 private:
  std::vector<std::string> names_;
  std::vector<Field> fields_;
};

// ---- Scalars ----

std::string scalar(const Reader& r, const Field& f, std::string_view expected) {
  if (f.node.IsNull()) r.fail(f.key, f.mark, "no value; expected " + std::string(expected));
  if (!f.node.IsScalar())
    r.fail(f.key, f.mark,
           std::string(f.node.IsMap() ? "a mapping" : "a list") + "; expected " +
               std::string(expected));
  return f.node.Scalar();
}

// Null reads as "": a key left empty means nothing, as it would for a path.
std::string as_string(const Reader& r, const Field& f) {
  if (f.node.IsNull()) return {};
  return scalar(r, f, "a string");
}

bool as_bool(const Reader& r, const Field& f) {
  std::string s = scalar(r, f, "true or false");
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // YAML 1.1 spellings too: people write "verify: no".
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  r.fail(f.key, f.mark, "expected true or false; got " + in_quotes(f.node.Scalar()));
}

double as_number(const Reader& r, const Field& f) {
  std::string s = scalar(r, f, "a number");
  double v = 0;
  const char* begin = s.data() + (s.starts_with('+') ? 1 : 0);
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  bool plain = std::all_of(s.begin(), s.end(),
                           [](char c) { return std::strchr("0123456789+-.eE", c) != nullptr; });
  if (s.empty() || !plain || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v))
    r.fail(f.key, f.mark, "expected a number; got " + in_quotes(s));
  return v;
}

// Whole numbers are read wide and narrowed here, so a negative never wraps around in
// an unsigned field; validate() then applies each key's own limits.
template <class T>
T as_whole(const Reader& r, const Field& f) {
  std::string s = scalar(r, f, "a whole number");
  auto fail_type = [&] { r.fail(f.key, f.mark, "expected a whole number; got " + in_quotes(s)); };
  const char* begin = s.data() + (s.starts_with('+') ? 1 : 0);
  const char* end = s.data() + s.size();
  if (s.starts_with('-')) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc{} || p != end) fail_type();
    if constexpr (std::is_unsigned_v<T>) {
      r.fail(f.key, f.mark, "must not be negative; got " + s);
    } else {
      if (v < std::numeric_limits<T>::min()) r.fail(f.key, f.mark, "too small; got " + s);
      return static_cast<T>(v);
    }
  }
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(begin, end, v);
  if (ec == std::errc::result_out_of_range) r.fail(f.key, f.mark, "too large; got " + s);
  if (ec != std::errc{} || p != end || begin == end) fail_type();
  if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
    r.fail(f.key, f.mark,
           "too large; got " + s + ", at most " + std::to_string(std::numeric_limits<T>::max()));
  return static_cast<T>(v);
}

Seconds as_duration(const Reader& r, const Field& f) {
  std::string s = scalar(r, f, "a duration such as 500ms, 2.5s, 10m or 1h30m");
  try {
    return parse_duration(s);
  } catch (const ConfigError& e) {
    r.fail(f.key, f.mark, e.problem());
  }
}

model::Duration to_model(Seconds s) {
  return std::chrono::round<model::Duration>(s);
}

model::DurationRange as_range(Reader& r, const Field& f) {
  const std::string expected = "[min, max], e.g. [300ms, 2s], or one duration";
  if (f.node.IsSequence()) {
    if (f.node.size() != 2)
      r.fail(f.key, f.mark,
             "a list of " + std::to_string(f.node.size()) + "; expected " + expected);
    Field lo{f.node[0], f.key + "[0]", f.node[0].Mark()};
    Field hi{f.node[1], f.key + "[1]", f.node[1].Mark()};
    r.remember(lo.key, lo.mark);
    r.remember(hi.key, hi.mark);
    return {to_model(as_duration(r, lo)), to_model(as_duration(r, hi))};
  }
  auto d = to_model(as_duration(r, Field{f.node, f.key, f.mark}));
  return {d, d};
}

template <class Enum, std::size_t N>
Enum as_choice(const Reader& r, const Field& f,
               const std::array<std::pair<std::string_view, Enum>, N>& choices) {
  std::array<std::string_view, N> names{};
  for (std::size_t i = 0; i < N; ++i) names[i] = choices[i].first;
  std::string expected = "one of " + detail::join(names);
  std::string s = scalar(r, f, expected);
  for (const auto& [name, value] : choices)
    if (s == name) return value;
  std::string problem = "unknown value " + in_quotes(s) + "; expected " + expected;
  if (auto near = closest_match(s, names); !near.empty()) problem += "; did you mean " + near + "?";
  r.fail(f.key, f.mark, problem);
}

// Device IDs are hex, so is this: digits-only text is hex too, like the IDs in topics.
std::uint64_t as_device_id(const Reader& r, const Field& f) {
  std::string s = scalar(r, f, "up to 12 hex digits");
  std::string_view digits = s;
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  auto id = model::parse_device_id(digits);
  if (!id)
    r.fail(f.key, f.mark,
           "expected up to 12 hex digits (48 bits), e.g. \"1e0000000000\", 0x "
           "prefix optional; got " +
               in_quotes(s));
  return id->value;
}

// ---- Sections ----

void read_broker(Reader& r, const Field& at, FleetConfig& c) {
  static constexpr std::array<std::string_view, 8> kKeys{
      "url", "username", "password", "protocol", "keepalive", "clean_session", "reconnect", "tls"};
  Section s(r, at, kKeys);
  if (auto f = s.get("url")) {
    try {
      c.broker = parse_broker_url(as_string(r, *f));
    } catch (const ConfigError& e) {
      r.fail(f->key, f->mark, e.problem());
    }
  }
  if (auto f = s.get("username")) c.username = as_string(r, *f);
  if (auto f = s.get("password")) c.password = as_string(r, *f);
  if (auto f = s.get("protocol")) {
    static constexpr std::array<std::pair<std::string_view, MqttVersion>, 2> kVersions{
        {{"3.1.1", MqttVersion::v311}, {"5", MqttVersion::v5}}};
    c.mqtt_version = as_choice(r, *f, kVersions);
  }
  if (auto f = s.get("keepalive")) c.model.keepalive = to_model(as_duration(r, *f));
  if (auto f = s.get("clean_session")) c.model.clean_session = as_bool(r, *f);
  if (auto f = s.get("reconnect")) {
    static constexpr std::array<std::string_view, 2> kReconnect{"base", "cap"};
    Section rs(r, *f, kReconnect);
    if (auto g = rs.get("base")) c.model.reconnect_base = to_model(as_duration(r, *g));
    if (auto g = rs.get("cap")) c.model.reconnect_cap = to_model(as_duration(r, *g));
  }
  if (auto f = s.get("tls")) {
    static constexpr std::array<std::string_view, 4> kTls{"ca_file", "cert_file", "key_file",
                                                          "verify"};
    Section ts(r, *f, kTls);
    if (auto g = ts.get("ca_file")) c.tls.ca_file = as_string(r, *g);
    if (auto g = ts.get("cert_file")) c.tls.cert_file = as_string(r, *g);
    if (auto g = ts.get("key_file")) c.tls.key_file = as_string(r, *g);
    if (auto g = ts.get("verify")) c.tls.verify = as_bool(r, *g);
  }
}

void read_connect(Reader& r, const Field& at, FleetConfig& c) {
  static constexpr std::array<std::string_view, 3> kKeys{"hatch_rate", "max_in_flight",
                                                         "source_addresses"};
  Section s(r, at, kKeys);
  if (auto f = s.get("hatch_rate")) c.hatch_rate = as_number(r, *f);
  if (auto f = s.get("max_in_flight")) c.max_connects_in_flight = as_whole<std::size_t>(r, *f);
  if (auto f = s.get("source_addresses")) {
    std::vector<Field> entries;
    if (f->node.IsSequence()) {
      for (std::size_t i = 0; i < f->node.size(); ++i)
        entries.push_back({f->node[i], f->key + "[" + std::to_string(i) + "]", f->node[i].Mark()});
    } else if (!f->node.IsNull()) {
      entries.push_back(*f);  // one address or range needs no list around it
    }
    c.source_addresses.clear();
    for (const auto& e : entries) {
      r.remember(e.key, e.mark);
      try {
        auto expanded = expand_source_addresses({scalar(r, e, "an IPv4 address or range")});
        c.source_addresses.insert(c.source_addresses.end(), expanded.begin(), expanded.end());
      } catch (const ConfigError& err) {
        if (!err.source().empty()) throw;
        r.fail(e.key, e.mark, err.problem());
      }
    }
  }
}

void read_run(Reader& r, const Field& at, FleetConfig& c) {
  static constexpr std::array<std::string_view, 5> kKeys{"duration", "threads", "seed", "stop",
                                                         "stop_timeout"};
  Section s(r, at, kKeys);
  if (auto f = s.get("duration")) c.duration = as_duration(r, *f);
  if (auto f = s.get("threads")) c.threads = as_whole<unsigned>(r, *f);
  if (auto f = s.get("seed")) c.seed = as_whole<std::uint64_t>(r, *f);
  if (auto f = s.get("stop")) {
    static constexpr std::array<std::pair<std::string_view, StopMode>, 2> kModes{
        {{"graceful", StopMode::graceful}, {"power-loss", StopMode::power_loss}}};
    c.stop_mode = as_choice(r, *f, kModes);
  }
  if (auto f = s.get("stop_timeout")) c.stop_timeout = as_duration(r, *f);
}

void read_sessions(Reader& r, const Field& at, model::SessionConfig& c) {
  static constexpr std::array<std::string_view, 9> kKeys{
      "frame_rate",      "drag_duration",       "think_time",
      "tap_probability", "worst_case_messages", "worst_case_think",
      "phone_session",   "phone_idle",          "phone_write_interval"};
  Section s(r, at, kKeys);
  if (auto f = s.get("frame_rate")) c.frame_rate_hz = as_number(r, *f);
  if (auto f = s.get("drag_duration")) c.drag_duration = as_range(r, *f);
  if (auto f = s.get("think_time")) c.think_time = as_range(r, *f);
  if (auto f = s.get("tap_probability")) c.tap_probability = as_number(r, *f);
  if (auto f = s.get("worst_case_messages")) c.worst_case_messages = as_whole<int>(r, *f);
  if (auto f = s.get("worst_case_think")) c.worst_case_think = as_range(r, *f);
  if (auto f = s.get("phone_session")) c.phone_session = as_range(r, *f);
  if (auto f = s.get("phone_idle")) c.phone_idle = as_range(r, *f);
  if (auto f = s.get("phone_write_interval")) c.phone_write_interval = as_range(r, *f);
}

void read_workload(Reader& r, const Field& at, FleetConfig& c) {
  static constexpr std::array<std::string_view, 4> kKeys{"profiles", "response_timeout",
                                                         "validation", "sessions"};
  Section s(r, at, kKeys);
  if (auto f = s.get("profiles")) {
    Section ps(r, *f, detail::kProfileNames, &detail::unknown_profile_problem);
    c.profiles.clear();
    for (std::size_t i = 0; i < ps.fields().size(); ++i)
      c.profiles.push_back({parse_profile(ps.names()[i]), as_number(r, ps.fields()[i])});
  }
  if (auto f = s.get("response_timeout")) c.response_timeout = as_duration(r, *f);
  if (auto f = s.get("validation")) {
    static constexpr std::array<std::pair<std::string_view, model::ValidationMode>, 2> kModes{
        {{"faithful", model::ValidationMode::faithful}, {"strict", model::ValidationMode::strict}}};
    c.model.mode = as_choice(r, *f, kModes);
  }
  if (auto f = s.get("sessions")) read_sessions(r, *f, c.model.sessions);
}

void read_lamp(Reader& r, const Field& at, model::ModelConfig& m) {
  static constexpr std::array<std::string_view, 4> kKeys{"service_restart_delay", "ui_update_delay",
                                                         "bridge_queue_limit", "service_start"};
  Section s(r, at, kKeys);
  if (auto f = s.get("service_restart_delay"))
    m.service_restart_delay = to_model(as_duration(r, *f));
  if (auto f = s.get("ui_update_delay")) m.ui_update_delay = to_model(as_duration(r, *f));
  if (auto f = s.get("bridge_queue_limit")) m.bridge_queue_limit = as_whole<std::size_t>(r, *f);
  if (auto f = s.get("service_start")) {
    Section ss(r, *f, detail::kServiceNames);
    for (std::size_t i = 0; i < detail::kServiceNames.size(); ++i)
      if (auto g = ss.get(detail::kServiceNames[i])) m.service_start[i] = as_range(r, *g);
  }
}

void read_root(Reader& r, const YAML::Node& root, FleetConfig& c) {
  static constexpr std::array<std::string_view, 10> kKeys{
      "lamps",    "device_id_base", "broker",  "connect", "run",
      "workload", "lamp",           "metrics", "report",  "slo"};
  Section s(r, Field{root, "", root.Mark()}, kKeys);
  if (auto f = s.get("lamps")) c.lamps = as_whole<std::size_t>(r, *f);
  if (auto f = s.get("device_id_base")) c.device_id_base = as_device_id(r, *f);
  if (auto f = s.get("broker")) read_broker(r, *f, c);
  if (auto f = s.get("connect")) read_connect(r, *f, c);
  if (auto f = s.get("run")) read_run(r, *f, c);
  if (auto f = s.get("workload")) read_workload(r, *f, c);
  if (auto f = s.get("lamp")) read_lamp(r, *f, c.model);
  if (auto f = s.get("metrics")) {
    static constexpr std::array<std::string_view, 1> kMetrics{"listen"};
    Section ms(r, *f, kMetrics);
    if (auto g = ms.get("listen")) c.metrics_listen = as_string(r, *g);
  }
  if (auto f = s.get("report")) {
    static constexpr std::array<std::string_view, 2> kReport{"summary_json", "html"};
    Section rs(r, *f, kReport);
    if (auto g = rs.get("summary_json")) c.summary_json = as_string(r, *g);
    if (auto g = rs.get("html")) c.report_html = as_string(r, *g);
  }
  if (auto f = s.get("slo")) {
    static constexpr std::array<std::string_view, 3> kSlo{"p95_response_time", "max_failure_ratio",
                                                          "min_bridged_ratio"};
    Section ss(r, *f, kSlo);
    // A key left empty means "no objective", as if it were not there.
    auto set = [](const Field* g, auto&& read) {
      return g && !g->node.IsNull() ? std::optional<double>(read(*g)) : std::nullopt;
    };
    c.slo.p95_response_seconds =
        set(ss.get("p95_response_time"), [&](const Field& g) { return as_duration(r, g).count(); });
    c.slo.max_failure_ratio =
        set(ss.get("max_failure_ratio"), [&](const Field& g) { return as_number(r, g); });
    c.slo.min_bridged_ratio =
        set(ss.get("min_bridged_ratio"), [&](const Field& g) { return as_number(r, g); });
  }
}

}  // namespace

FleetConfig parse_config(std::string_view yaml_text, std::string_view source_name) {
  Reader r(source_name);
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    auto w = where_of(e.mark);
    throw ConfigError(std::string(source_name), "", "YAML syntax error: " + e.msg, w.line,
                      w.column);
  }
  if (docs.size() > 1)
    r.fail("", docs[1].Mark(),
           "holds " + std::to_string(docs.size()) + " YAML documents (\"---\"); expected one");
  FleetConfig config;
  if (!docs.empty()) read_root(r, docs[0], config);
  try {
    validate(config);
  } catch (const ConfigError& e) {
    auto w = r.where(e.key());
    throw e.with_context(std::string(source_name), e.key(), w.line, w.column);
  }
  return config;
}

FleetConfig load_config(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(name, "", "is a directory; expected a YAML file such as config/local.yaml");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError(name, "", std::string("cannot open the file: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    throw ConfigError(name, "", std::string("cannot read the file: ") + std::strerror(errno));
  return parse_config(text.str(), name);
}

}  // namespace lampi::fleet
