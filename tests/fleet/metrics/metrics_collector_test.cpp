// The Prometheus collector over a view of hand-filled shards: no engine, no sockets.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fleet/metrics/metrics_collector.hpp"
#include "tests/support/hand_filled_fleet.hpp"

using namespace lampi::fleet;
using lampi::testing::HandFilledFleet;
using prometheus::ClientMetric;
using prometheus::MetricFamily;

namespace {

const MetricFamily& family(const std::vector<MetricFamily>& all, const std::string& name) {
  for (const auto& f : all)
    if (f.name == name) return f;
  FAIL("no family " << name);
  return all.front();
}

std::string label(const ClientMetric& m, const std::string& name) {
  for (const auto& l : m.label)
    if (l.name == name) return l.value;
  return "";
}

}  // namespace

TEST_CASE("the collector labels each worker thread by its place in the view") {
  HandFilledFleet fleet(2);
  fleet.config.lamps = 12;
  bump(fleet.shard(0).connects, 3);
  bump(fleet.shard(1).connects, 8);
  fleet.shard(1).lamps_by_phase[static_cast<std::size_t>(LampPhase::bridged)].store(5);
  for (std::int64_t us : {200, 3000, 70'000})
    fleet.shard(1).latency[lampi::model::index_of(lampi::model::Topic::changed)].exported.record(
        us);
  FleetCollector collector(fleet.view(), {});
  auto all = collector.Collect();

  const auto& connects = family(all, "lampi_fleet_connects_total");
  REQUIRE(connects.metric.size() == 2);
  CHECK(label(connects.metric[0], "thread") == "0");
  CHECK(connects.metric[0].counter.value == 3.0);
  CHECK(label(connects.metric[1], "thread") == "1");
  CHECK(connects.metric[1].counter.value == 8.0);

  CHECK(family(all, "lampi_fleet_lamps_configured").metric.at(0).gauge.value == 12.0);
  double bridged = 0;
  for (const auto& m : family(all, "lampi_fleet_lamps").metric)
    if (label(m, "state") == "bridged") bridged += m.gauge.value;
  CHECK(bridged == 5.0);

  std::uint64_t responses = 0;
  for (const auto& m : family(all, "lampi_fleet_response_time_seconds").metric) {
    CHECK(m.histogram.sample_count == m.histogram.bucket.back().cumulative_count);
    responses += m.histogram.sample_count;
  }
  CHECK(responses == 3);
}

TEST_CASE("every series carries the fleet shard's index, and lamps_configured is the shard's slice") {
  for (std::size_t index : {0u, 2u}) {
    CAPTURE(index);
    HandFilledFleet fleet(2);
    fleet.config.lamps = 10;
    fleet.config.shard = {.index = index, .count = 3};
    FleetCollector collector(fleet.view(), {});
    std::size_t series = 0;
    for (const auto& f : collector.Collect())
      for (const auto& m : f.metric) {
        CAPTURE(f.name);
        CHECK(label(m, "shard") == std::to_string(index));
        ++series;
      }
    CHECK(series > 50);
    // 10 lamps over 3 shards: 4, 3, 3.
    CHECK(family(collector.Collect(), "lampi_fleet_lamps_configured").metric.at(0).gauge.value ==
          (index == 0 ? 4.0 : 3.0));
  }
}

TEST_CASE("the generator gauge follows the run loop's flag at each scrape") {
  HandFilledFleet fleet(1);
  FleetCollector collector(fleet.view(), {});
  auto gauge = [&] {
    return family(collector.Collect(), "lampi_fleet_generator_saturated").metric.at(0).gauge.value;
  };
  CHECK(gauge() == 0.0);
  fleet.generator_saturated = true;
  CHECK(gauge() == 1.0);
}

TEST_CASE("lampi_fleet_build_info says which lampi-fleet is running") {
  HandFilledFleet fleet(1);
  FleetCollector collector(fleet.view(), {"0.1.0", "abc123def456", "Release"});
  auto all = collector.Collect();
  const auto& info = family(all, "lampi_fleet_build_info");
  REQUIRE(info.metric.size() == 1);
  CHECK(info.metric[0].gauge.value == 1.0);
  CHECK(label(info.metric[0], "version") == "0.1.0");
  CHECK(label(info.metric[0], "revision") == "abc123def456");
  CHECK(label(info.metric[0], "build_type") == "Release");
}
