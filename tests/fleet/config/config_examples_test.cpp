// The shipped example configs and the schema doc stay in step with the loader.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "fleet/config/config_loader.hpp"

using namespace lampi::fleet;
using lampi::model::Profile;
namespace fs = std::filesystem;
using S = std::chrono::duration<double>;

TEST_CASE("every example in config/ loads cleanly") {
  const fs::path config_dir = fs::path(LAMPI_SOURCE_DIR) / "config";
  std::size_t examples = 0;
  for (const auto& entry : fs::directory_iterator(config_dir)) {
    if (entry.path().extension() != ".yaml") continue;
    CAPTURE(entry.path().string());
    CHECK_NOTHROW(load_config(entry.path()));
    ++examples;
  }
  CHECK(examples >= 3);

  auto local = load_config(config_dir / "local.yaml");
  CHECK_FALSE(local.broker.has_value());
  CHECK(local.lamps == 200);
  CHECK(local.duration == S(30));
  CHECK(local.profiles.front().profile == Profile::touch_drag);

  auto seed = load_config(config_dir / "seed-mqtt-test.yaml");
  CHECK(seed.lamps == 1000);
  CHECK(format_broker_url(*seed.broker) == "mqtt://127.0.0.1:1883");
  CHECK(seed.hatch_rate == 100.0);
  CHECK(seed.response_timeout == S(0.5));
  REQUIRE(seed.profiles.size() == 1);
  CHECK(seed.profiles[0].profile == Profile::seed_worst_case);
  CHECK(seed.model.sessions.worst_case_messages == 10);

  auto soak = load_config(config_dir / "ec2-soak-tls.yaml");
  CHECK(soak.lamps == 5000);
  CHECK(format_broker_url(*soak.broker) == "mqtts://lampi.example.com:8883");
  CHECK(soak.duration == S(8 * 3600));
  CHECK(soak.tls.cert_file.find("{id}") != std::string::npos);
  CHECK(soak.metrics_listen == "0.0.0.0:9464");
  CHECK(soak.profiles.size() > 1);
  CHECK(soak.slo.p95_response_seconds.has_value());
}

TEST_CASE("docs/config.md documents every key and override") {
  std::ifstream in(fs::path(LAMPI_SOURCE_DIR) / "docs" / "config.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  for (auto key : {"lamps",
                   "device_id_base",
                   "broker.url",
                   "broker.username",
                   "broker.password",
                   "broker.protocol",
                   "broker.keepalive",
                   "broker.clean_session",
                   "broker.reconnect.base",
                   "broker.reconnect.cap",
                   "broker.tls.ca_file",
                   "broker.tls.cert_file",
                   "broker.tls.key_file",
                   "broker.tls.verify",
                   "connect.hatch_rate",
                   "connect.max_in_flight",
                   "connect.source_addresses",
                   "run.duration",
                   "run.threads",
                   "run.seed",
                   "run.stop",
                   "run.stop_timeout",
                   "workload.profiles",
                   "workload.response_timeout",
                   "workload.validation",
                   "workload.sessions.frame_rate",
                   "workload.sessions.drag_duration",
                   "workload.sessions.think_time",
                   "workload.sessions.tap_probability",
                   "workload.sessions.worst_case_messages",
                   "workload.sessions.worst_case_think",
                   "workload.sessions.phone_session",
                   "workload.sessions.phone_idle",
                   "workload.sessions.phone_write_interval",
                   "lamp.service_restart_delay",
                   "lamp.ui_update_delay",
                   "lamp.bridge_queue_limit",
                   "lamp.service_start.lamp_service",
                   "lamp.service_start.lamp_ui",
                   "lamp.service_start.bt_peripheral",
                   "lamp.service_start.bt_central",
                   "metrics.listen",
                   "report.summary_json",
                   "report.html",
                   "slo.p95_response_time",
                   "slo.max_failure_ratio",
                   "slo.min_bridged_ratio",
                   "--lamps",
                   "--broker",
                   "--duration",
                   "--hatch-rate",
                   "--profile",
                   "--threads",
                   "--seed",
                   "--metrics-listen",
                   "--summary-json",
                   "--report",
                   "--power-loss"}) {
    CAPTURE(std::string(key));
    CHECK(doc.find("`" + std::string(key) + "`") != std::string::npos);
  }
  // The complete example there must itself be a valid config.
  auto start = doc.find("```yaml\n", doc.find("## A complete config"));
  REQUIRE(start != std::string::npos);
  start += 8;
  auto end = doc.find("```", start);
  REQUIRE(end != std::string::npos);
  auto c = parse_config(doc.substr(start, end - start), "docs/config.md");
  CHECK(c.tls.cert_file == "certs/{id}_broker.crt");
  CHECK(c.model.service_start[1].max == std::chrono::seconds(3));
}
