// The report's configuration table: the config file's own keys, every one of them, with
// the values the run used, secrets redacted.
#include "fleet/report/config_rows.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace lampi::fleet;

namespace {

std::map<std::string, std::string> as_map(const ConfigRows& rows) {
  return {rows.begin(), rows.end()};
}

}  // namespace

TEST_CASE("the config table names every setting by its key in the config file") {
  FleetConfig c;
  c.lamps = 5000;
  c.hatch_rate = 250;
  c.broker = BrokerTarget{true, "broker.example", 8883};
  c.tls.verify = false;
  c.password = "hunter2";
  c.username = "lamp";
  auto rows = config_rows(c);
  auto kv = as_map(rows);
  CHECK(kv.size() == rows.size());  // no key twice
  CHECK(rows.front().first == "lamps");
  CHECK(kv.at("lamps") == "5000");
  CHECK(kv.at("connect.hatch_rate") == "250");
  CHECK(kv.at("broker.url") == "mqtts://broker.example:8883");
  CHECK(kv.at("broker.tls.verify") == "false");
  CHECK(kv.at("broker.username") == "lamp");
  CHECK(kv.at("broker.password") == "<redacted>");
  for (const auto& [k, v] : rows) CHECK(v.find("hunter2") == std::string::npos);
  CHECK(kv.at("slo.p95_response_time") == "unset");
  // A map-valued setting is one row, as the file writes it.
  CHECK(kv.at("workload.profiles").starts_with("{"));
  CHECK(kv.count("workload.profiles.touch-drag") == 0);
}

TEST_CASE("the table follows what the run was given, default or not") {
  FleetConfig defaults;
  FleetConfig changed;
  changed.seed = 42;
  auto a = as_map(config_rows(defaults));
  auto b = as_map(config_rows(changed));
  CHECK(a.size() == b.size());
  CHECK(a.at("run.seed") == "1");
  CHECK(b.at("run.seed") == "42");
  CHECK(a.at("broker.url") == "unset");  // no broker.url: the local mosquitto
}
