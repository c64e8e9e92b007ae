// The cloud stand-in against a real mosquitto with a real fleet: what it sends (watched by
// an independent observer), and the end-of-run accounting of both sides of every lamp.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "fleet/broker/mosquitto_process.hpp"
#include "fleet/cloud/cloud_stand_in.hpp"
#include "fleet/engine/fleet_engine.hpp"
#include "tests/support/broker_files.hpp"
#include "tests/support/mqtt_observer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace lampi;
using namespace std::chrono_literals;
using fleet::CloudMode;
using fleet::FleetConfig;
using testing::MqttObserver;
using testing::ObservedMessage;

namespace {

std::string id_of(std::size_t i) {
  return model::device_id_at(model::kDefaultDeviceIdBase, i).str();
}

fleet::MosquittoProcess start_broker(std::vector<std::string> extra = {}) {
  fleet::MosquittoOptions o;
  // The observer and the stand-in take every lamp's messages; the default queue of 1000
  // per client must not be what a test measures.
  o.extra_config_lines = {"max_queued_messages 0"};
  o.extra_config_lines.insert(o.extra_config_lines.end(), extra.begin(), extra.end());
  return fleet::MosquittoProcess::start(o);
}

FleetConfig fleet_config(std::size_t lamps, const fleet::MosquittoProcess& broker, CloudMode mode,
                         model::Profile profile) {
  FleetConfig c;
  c.lamps = lamps;
  c.broker = fleet::BrokerTarget{false, broker.address(), broker.port()};
  c.hatch_rate = 200;
  c.threads = 2;
  c.profiles = {{profile, 100.0}};
  c.stop_timeout = fleet::Seconds(5);
  c.cloud.mode = mode;
  c.cloud.association_delay = fleet::Seconds(0.5);
  c.cloud.web_sessions_per_second = 10;
  c.cloud.web_drag = {model::seconds_to_duration(0.3), model::seconds_to_duration(0.6)};
  return c;
}

// A run as run_command drives it: the stand-in up first, the lamps for `seconds`, web users
// let go, the lamps powered off, the broker's last deliveries awaited, both sides compared.
fleet::CloudAccounting run_with_cloud(const FleetConfig& c, const fleet::MosquittoProcess& broker,
                                      std::chrono::milliseconds run_for,
                                      const std::function<void()>& mid_run = {}) {
  fleet::CloudStandIn cloud(c.cloud, fleet::cloud_link({broker.address(), broker.port()}, c),
                            {.first_id = c.device_id_base, .count = c.lamps}, c.seed, "test-cloud");
  REQUIRE(cloud.start(10s));
  fleet::FleetEngine engine(c, {broker.address(), broker.port()});
  engine.start();
  std::this_thread::sleep_for(run_for);
  if (mid_run) mid_run();
  cloud.stop_commands();
  for (int i = 0; i < 100 && cloud.commands_pending() > 0; ++i) std::this_thread::sleep_for(20ms);
  engine.request_stop(fleet::StopMode::graceful);
  engine.join();
  auto ledgers = engine.lamp_ledgers();
  REQUIRE(ledgers.size() == c.lamps);
  std::unordered_map<std::uint64_t, std::uint64_t> wills;
  for (const auto& l : ledgers)
    if (l.own_drops) wills.emplace(l.device_id, l.own_drops);
  CHECK(cloud.settle(wills, 30s));
  cloud.stop();
  return fleet::reconcile(c.cloud.mode, ledgers, cloud.lamps(), cloud.totals());
}

std::vector<ObservedMessage> on_topic_ending(const std::vector<ObservedMessage>& all,
                                             std::string_view suffix) {
  std::vector<ObservedMessage> out;
  for (const auto& m : all)
    if (m.topic.ends_with(suffix)) out.push_back(m);
  return out;
}

}  // namespace

TEST_CASE("active cloud: every lamp associated, web users' commands answered, all accounted for") {
  auto broker = start_broker();
  MqttObserver observer;
  observer.connect(broker.address(), broker.port(), "test-observer");
  observer.subscribe("devices/+/lamp/associated", 2);
  observer.subscribe("devices/+/lamp/set_config", 1);
  const std::size_t lamps = 30;
  auto c = fleet_config(lamps, broker, CloudMode::active, model::Profile::touch_drag);
  auto a = run_with_cloud(c, broker, 6s);

  CAPTURE(a.differences_total);
  for (const auto& d : a.differences)
    MESSAGE(d.lamp << ": " << d.what
                   << (d.explained ? std::string(" (explained)") : std::string()));
  CHECK(a.passed());
  CHECK(a.lamps == lamps);
  CHECK(a.lamps_consistent == lamps);
  CHECK(a.lost == 0);
  CHECK(a.views_differ == 0);
  CHECK(a.acknowledged > lamps * 5);  // boot messages and the lamps' own drags
  CHECK(a.associations_started == lamps);
  CHECK(a.associations_completed == lamps);
  CHECK(a.commands_sent > 0);
  CHECK(a.commands_answered == a.commands_sent);
  CHECK(a.commands_received == a.commands_seen);
  CHECK(a.round_trip.count() == a.commands_answered);
  CHECK(a.wills_expected == lamps);  // each lamp's power-off at the stop
  CHECK(a.wills_seen >= lamps);

  // What the broker carried, as an independent client saw it: mqtt-daemon's code, then
  // Django's association, for every lamp, and the web page's exact format.
  auto seen = observer.messages();
  auto associated = on_topic_ending(seen, "/lamp/associated");
  const std::regex code(R"(\{"associated": false, "code": "[0-9a-f]{32}"\})");
  for (std::size_t i = 0; i < lamps; ++i) {
    CAPTURE(id_of(i));
    std::vector<std::string> payloads;
    for (const auto& m : associated)
      if (m.topic == "devices/" + id_of(i) + "/lamp/associated") payloads.push_back(m.payload);
    REQUIRE(payloads.size() == 2);
    CHECK(std::regex_match(payloads[0], code));
    CHECK(payloads[1] == R"({"associated": true})");
  }
  const std::regex web(
      R"(\{"color":\{"h":(0|1|0\.\d+),"s":(0|1|0\.\d+)\},"brightness":(0|1|0\.\d+),"on":(true|false),"client":"0\.\d+_web_client"\})");
  auto commands = on_topic_ending(seen, "/lamp/set_config");
  CHECK(commands.size() == a.commands_sent);
  for (const auto& m : commands) {
    CAPTURE(m.payload);
    CHECK(std::regex_match(m.payload, web));
    CHECK(m.qos == 1);
  }
}

TEST_CASE("observe-only cloud publishes nothing and counts the commands another cloud sends") {
  auto broker = start_broker();
  MqttObserver observer;
  observer.connect(broker.address(), broker.port(), "test-observer");
  observer.subscribe("devices/#", 2);
  const std::size_t lamps = 12;
  auto c = fleet_config(lamps, broker, CloudMode::observe, model::Profile::idle);
  // The "real" EC2 side here is this test: six commands to six lamps once they are up.
  auto send_commands = [&] {
    for (std::size_t i = 0; i < 6; ++i)
      observer.publish("devices/" + id_of(i) + "/lamp/set_config",
                       R"({"on": false, "client": "real_web_client"})", 1);
    std::this_thread::sleep_for(1s);
  };
  auto a = run_with_cloud(c, broker, 4s, send_commands);

  for (const auto& d : a.differences)
    MESSAGE(d.lamp << ": " << d.what
                   << (d.explained ? std::string(" (explained)") : std::string()));
  CHECK(a.passed());
  CHECK(a.lamps_consistent == lamps);
  CHECK(a.associations_started == 0);
  CHECK(a.commands_sent == 0);
  CHECK(a.commands_seen == 6);
  CHECK(a.commands_received == 6);
  auto seen = observer.messages();
  CHECK(on_topic_ending(seen, "/lamp/associated").empty());
  CHECK(on_topic_ending(seen, "/lamp/set_config").size() == 6);
  // The lamps took the commands: the cloud's last view of each is off, from that client.
  CHECK(a.views_differ == 0);
}

TEST_CASE("a broker that acknowledges publishes it never delivers is caught, lamp by lamp") {
  // MQTT 3.1.1 acknowledges a publish its ACL denies: PUBACK latency alone says all is well.
  testing::TempDir dir;
  auto acl = dir.path / "acl";
  std::ofstream(acl) << "topic readwrite #\ntopic readwrite $SYS/#\n"
                     << "topic deny devices/" << id_of(3) << "/#\n";
  testing::open_to_broker(dir.path);
  auto broker = start_broker({"allow_anonymous true", "acl_file " + acl.string()});
  const std::size_t lamps = 8;
  auto c = fleet_config(lamps, broker, CloudMode::observe, model::Profile::idle);
  auto a = run_with_cloud(c, broker, 4s);

  for (const auto& d : a.differences)
    MESSAGE(d.lamp << ": " << d.what
                   << (d.explained ? std::string(" (explained)") : std::string()));
  CHECK_FALSE(a.passed());
  CHECK(a.lamps_consistent == lamps - 1);
  CHECK(a.lost > 0);
  REQUIRE_FALSE(a.differences.empty());
  std::set<std::string> lamps_differing;
  for (const auto& d : a.differences) lamps_differing.insert(d.lamp);
  CHECK(lamps_differing == std::set<std::string>{id_of(3)});
  CHECK(a.differences.front().what.find("acknowledged message") != std::string::npos);
  CHECK_FALSE(a.differences.front().explained);
  auto why = fleet::accounting_failure(a);
  CHECK(why.find("first lamp " + id_of(3) + ": ") != std::string::npos);
  CHECK(why.find("never reached the cloud") != std::string::npos);
}
