// The shipped example configs and the schema doc stay in step with the loader.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
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
  CHECK(soak.metrics_listen == ListenAddress{"0.0.0.0", 9464});
  CHECK(soak.profiles.size() > 1);
  CHECK(soak.slo.p95_response_seconds.has_value());
}

namespace {

std::string config_doc() {
  std::ifstream in(fs::path(LAMPI_SOURCE_DIR) / "docs" / "config.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string row_of(const KeyDoc& k) {
  return "| `" + k.key + "` | " + std::string(k.type) + " | " + std::string(k.fallback) + " | " +
         std::string(k.meaning) + " |";
}

// The text between a heading and the next heading of the same level.
std::string chapter(const std::string& doc, const std::string& heading) {
  auto start = doc.find("\n" + heading + "\n");
  REQUIRE(start != std::string::npos);
  auto end = doc.find("\n## ", start + heading.size() + 2);
  return doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

// The key tables there are the schema's own description of each key, row for row: a key
// added, renamed or re-documented in config_schema.cpp fails here until the docs agree.
TEST_CASE("docs/config.md has the schema's row for every key, and no other") {
  const std::string keys = chapter(config_doc(), "## Keys");
  std::set<std::string> rows;
  for (const auto& k : describe_keys()) {
    auto row = row_of(k);
    CAPTURE(row);  // what docs/config.md should say
    CHECK(keys.find("\n" + row + "\n") != std::string::npos);
    rows.insert(row);
  }
  CHECK(rows.size() >= 40);
  std::istringstream lines(keys);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("| `")) continue;
    CAPTURE(line);  // a key the schema does not describe, or describes otherwise
    CHECK(rows.count(line) == 1);
  }
}

TEST_CASE("docs/config.md documents every override, and its complete config is one") {
  const std::string doc = config_doc();
  for (auto flag :
       {"--lamps", "--broker", "--duration", "--hatch-rate", "--profile", "--threads", "--seed",
        "--metrics-listen", "--summary-json", "--report", "--csv", "--ca-file", "--cert-template",
        "--key-template", "--tls-insecure", "--power-loss"}) {
    CAPTURE(std::string(flag));
    CHECK(doc.find("`" + std::string(flag) + "`") != std::string::npos);
  }
  // The complete example there must itself be a valid config, and set every key.
  auto start = doc.find("```yaml\n", doc.find("## A complete config"));
  REQUIRE(start != std::string::npos);
  start += 8;
  auto end = doc.find("```", start);
  REQUIRE(end != std::string::npos);
  const std::string example = doc.substr(start, end - start);
  auto c = parse_config(example, "docs/config.md");
  CHECK(c.tls.cert_file == "certs/{id}_broker.crt");
  CHECK(c.model.service_start[1].max == std::chrono::seconds(3));
  for (const auto& k : describe_keys()) {
    auto name = k.key.substr(k.key.rfind('.') + 1);  // npos + 1: a top-level key
    CAPTURE(k.key);
    CHECK(("\n" + example).find((k.key == name ? "\n" : " ") + name + ": ") != std::string::npos);
  }
}
