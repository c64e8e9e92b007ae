// effective_config(): every key the schema describes, each value in the file's own syntax,
// so the settings a run recorded load back as the same settings; the password never shown.
#include "fleet/config/effective_config.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

#include "fleet/config/config_loader.hpp"

using namespace lampi::fleet;
using Json = nlohmann::ordered_json;

namespace {

// "broker.tls.verify" -> c["broker"]["tls"]["verify"], or nullptr when a step is missing.
const Json* at_path(const Json& c, const std::string& key) {
  const Json* node = &c;
  std::size_t from = 0;
  while (true) {
    auto dot = key.find('.', from);
    auto name = key.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    if (!node->is_object() || !node->contains(name)) return nullptr;
    node = &(*node)[name];
    if (dot == std::string::npos) return node;
    from = dot + 1;
  }
}

void count_leaves(const Json& j, std::size_t& n) {
  for (const auto& [key, value] : j.items()) {
    // A section is an object; so is workload.profiles, a value.
    if (value.is_object() && key != "profiles")
      count_leaves(value, n);
    else
      ++n;
  }
}

// What effective_config() promises loads back: itself, less the unset (null) values.
Json without_nulls(const Json& j) {
  Json out = Json::object();
  for (const auto& [key, value] : j.items()) {
    if (value.is_null()) continue;
    out[key] = value.is_object() ? without_nulls(value) : value;
  }
  return out;
}

FleetConfig reloaded(const FleetConfig& c) {
  return parse_config(without_nulls(effective_config(c)).dump(), "effective config");
}

}  // namespace

TEST_CASE("every key of the schema, at its own path, and nothing else") {
  const Json c = effective_config(FleetConfig{});
  std::size_t keys = 0;
  for (const auto& k : describe_keys()) {
    CAPTURE(k.key);
    CHECK(at_path(c, k.key) != nullptr);
    ++keys;
  }
  std::size_t leaves = 0;
  count_leaves(c, leaves);
  CHECK(leaves == keys);
}

TEST_CASE("the defaults, written as the file would write them") {
  const Json c = effective_config(FleetConfig{});
  CHECK(c["lamps"] == 100);
  CHECK(c["device_id_base"] == "1e0000000000");
  CHECK(c["broker"]["url"] == nullptr);  // none: a local mosquitto
  CHECK(c["broker"]["protocol"] == "3.1.1");
  CHECK(c["broker"]["keepalive"] == "1m");
  CHECK(c["broker"]["reconnect"]["base"] == "5s");
  CHECK(c["broker"]["tls"]["verify"] == true);
  CHECK(c["connect"]["hatch_rate"] == 100.0);
  CHECK(c["connect"]["source_addresses"] == Json::array());
  CHECK(c["run"]["duration"] == "0s");
  CHECK(c["run"]["stop"] == "graceful");
  CHECK(c["workload"]["profiles"] == Json{{"touch-drag", 100.0}});
  CHECK(c["workload"]["response_timeout"] == "500ms");
  CHECK(c["workload"]["sessions"]["drag_duration"] == Json::array({"300ms", "2s"}));
  CHECK(c["lamp"]["service_start"]["lamp_ui"] == Json::array({"1.5s", "3s"}));
  CHECK(c["metrics"]["listen"] == "127.0.0.1:9464");
  CHECK(c["report"]["html"] == nullptr);  // unset: the default report, if it can be written
  CHECK(c["report"]["csv_prefix"] == "");
  CHECK(c["slo"]["p95_response_time"] == nullptr);
}

TEST_CASE("what a run recorded loads back as the same settings") {
  const std::string yaml = R"(
lamps: 250
device_id_base: "0000000abc00"
broker:
  url: mqtt://10.0.0.7:50001
  username: fleet
  protocol: "5"
  keepalive: 45s
  clean_session: true
  reconnect: {base: 2s, cap: 1m30s}
connect:
  hatch_rate: 12.5
  max_in_flight: 40
  source_addresses: ["127.0.0.2-127.0.0.9", "10.0.0.5"]
run: {duration: 1h30m, threads: 3, seed: 18446744073709551615, stop: power-loss, stop_timeout: 2s}
workload:
  profiles: {touch-drag: 70, idle: 20, bluetooth: 10}
  response_timeout: 250ms
  validation: strict
  sessions: {frame_rate: 30, drag_duration: 1s, tap_probability: 0.35, worst_case_messages: 7}
lamp: {service_restart_delay: 1500ms, ui_update_delay: 250us, bridge_queue_limit: 10,
       service_start: {bt_central: [1s, 2s]}}
metrics: {listen: ""}
report: {summary_json: out/s.json, html: "", csv_prefix: out/run}
slo: {p95_response_time: 150ms, max_failure_ratio: 0.02}
)";
  const FleetConfig given = parse_config(yaml, "given.yaml");
  const Json shown = effective_config(given);
  CHECK(shown["connect"]["source_addresses"] ==
        Json::array({"127.0.0.2-127.0.0.9", "10.0.0.5"}));  // ranges again, not 9 addresses
  CHECK(shown["run"]["seed"] == 18446744073709551615ULL);
  CHECK(shown["run"]["duration"] == "1h30m");
  CHECK(shown["lamp"]["ui_update_delay"] == "250us");
  CHECK(shown["slo"]["p95_response_time"] == "150ms");
  CHECK(shown["metrics"]["listen"] == "");
  CHECK(shown["workload"]["profiles"] ==
        Json{{"touch-drag", 70.0}, {"idle", 20.0}, {"bluetooth", 10.0}});

  const FleetConfig back = reloaded(given);
  CHECK(effective_config(back) == shown);
  CHECK(back.source_addresses.size() == 9);
  CHECK(back.seed == given.seed);
  CHECK(back.model.ui_update_delay == given.model.ui_update_delay);
  CHECK(back.slo.p95_response_seconds == given.slo.p95_response_seconds);
  CHECK_FALSE(back.slo.min_bridged_ratio.has_value());
  CHECK_FALSE(back.metrics_listen.has_value());

  // The shipped examples too, TLS and all.
  for (const char* name : {"local.yaml", "seed-mqtt-test.yaml", "ec2-soak-tls.yaml"}) {
    CAPTURE(std::string(name));
    auto example = load_config(std::filesystem::path(LAMPI_SOURCE_DIR) / "config" / name);
    CHECK(effective_config(reloaded(example)) == effective_config(example));
  }
}

TEST_CASE("the password is redacted, an empty one stays empty, the rest is shown") {
  FleetConfig c = parse_config(R"(
broker:
  url: mqtts://lampi.example.com
  username: u
  password: s3cret-pass-word
  tls: {ca_file: certs/ca.crt, cert_file: "certs/{id}.crt", key_file: "certs/{id}.key"}
)",
                               "secret.yaml");
  const Json shown = effective_config(c);
  CHECK(shown.dump().find("s3cret") == std::string::npos);
  CHECK(shown["broker"]["password"] == kRedacted);
  CHECK(shown["broker"]["username"] == "u");
  CHECK(shown["broker"]["tls"]["key_file"] == "certs/{id}.key");  // a path, not a secret
  c.password.clear();
  CHECK(effective_config(c)["broker"]["password"] == "");
}
