// The lamp's own Mosquitto, watched through Effects::local_trace: who gets what, at
// which QoS, with which retain flag, and what stays retained.
#include <doctest/doctest.h>

#include "tests/firmware_model/harness.hpp"

using namespace lampi::model;
using namespace lampi::model::test;

namespace {

constexpr std::string_view kNotAssociated =
    R"({"associated": false, "code": "0123456789abcdef0123456789abcdef"})";

LocalDelivery to(LocalClient c, Topic t, std::uint8_t qos, bool retain, std::string payload) {
  return {c, t, qos, retain, std::move(payload)};
}

}  // namespace

TEST_CASE("a set_config from EC2 fans out: lamp_service, then its lamp/changed to three clients") {
  Harness h;
  h.boot();
  const std::string p = R"({"client": "web", "on": false})";
  const std::string c =
      R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": false, "client": "web"})";
  h.set_config_from_ec2(p);
  // Live deliveries reach v3.1.1 clients with retain cleared; the bridge's subscription
  // is retain-as-published.
  check_deliveries(h.trace, {
                                to(LocalClient::lamp_service, Topic::set_config, 1, false, p),
                                to(LocalClient::lamp_ui, Topic::changed, 1, false, c),
                                to(LocalClient::bt_peripheral, Topic::changed, 1, false, c),
                                to(LocalClient::bridge, Topic::changed, 1, true, c),
                            });
}

TEST_CASE("retained messages are stored with their QoS, set_config and bluetooth are not") {
  Harness h;
  h.boot();
  h.from_ec2(Topic::associated, kNotAssociated, 2, true);
  CHECK(h.retained(Topic::changed).present);
  CHECK(h.retained(Topic::changed).qos == 1);
  CHECK(h.retained(Topic::changed).payload == kDefaultChanged);
  for (Topic t : {Topic::state_lamp_service, Topic::state_lamp_ui, Topic::state_bt_peripheral}) {
    CAPTURE(index_of(t));
    CHECK(h.retained(t).present);
    CHECK(h.retained(t).qos == 2);
    CHECK(h.retained(t).payload == "1");
  }
  CHECK(h.retained(Topic::associated).payload == kNotAssociated);
  CHECK(h.retained(Topic::associated).qos == 2);
  CHECK(h.retained(Topic::bridge_state).payload == "1");
  CHECK(h.retained(Topic::bridge_state).qos == 1);
  h.set_config_from_ec2(R"({"client": "web"})");
  h.phone_connect();
  CHECK_FALSE(h.retained(Topic::set_config).present);
  CHECK_FALSE(h.retained(Topic::bluetooth).present);
}

TEST_CASE("a retained message replaces the previous one, an empty one clears the topic") {
  Harness h;
  h.boot();
  h.from_ec2(Topic::associated, kNotAssociated, 2, true);
  h.from_ec2(Topic::associated, R"({"associated": true})", 2, true);
  CHECK(h.retained(Topic::associated).payload == R"({"associated": true})");
  h.trace.clear();
  h.from_ec2(Topic::associated, "", 2, true);
  CHECK_FALSE(h.retained(Topic::associated).present);
  // The clearing message itself is still delivered live.
  check_deliveries(h.trace, {to(LocalClient::lamp_ui, Topic::associated, 2, false, "")});
  // A non-retained message does not touch the store.
  h.from_ec2(Topic::associated, kNotAssociated, 2, false);
  CHECK_FALSE(h.retained(Topic::associated).present);
}

TEST_CASE("subscribing delivers the retained messages, retain set, QoS capped by the grant") {
  Harness h;
  h.power_on();
  h.remote_up();
  h.from_ec2(Topic::associated, kNotAssociated, 2, true);
  h.run_until(at_ms(1999));
  h.trace.clear();
  h.run_until(at_ms(2000));  // lamp_ui starts
  check_deliveries(
      h.deliveries_to(LocalClient::lamp_ui),
      {
          to(LocalClient::lamp_ui, Topic::changed, 1, true, std::string(kDefaultChanged)),
          to(LocalClient::lamp_ui, Topic::associated, 2, true, std::string(kNotAssociated)),
          to(LocalClient::lamp_ui, Topic::bridge_state, 1, true, "1"),
      });
  // Its own "1" (QoS 2) reaches the bridge downgraded to the bridge's QoS 1.
  check_deliveries(h.deliveries_to(LocalClient::bridge),
                   {to(LocalClient::bridge, Topic::state_lamp_ui, 1, true, "1")});
}

TEST_CASE("QoS is the lower of the message's and the subscription's") {
  Harness h;
  h.boot();
  SUBCASE("QoS 0 from the BLE peripheral stays 0 at lamp_service") {
    h.ble_on(false);
    auto d = h.deliveries_on(Topic::set_config);
    REQUIRE(d.size() == 1);
    CHECK(d[0].to == LocalClient::lamp_service);
    CHECK(d[0].qos == 0);
  }
  SUBCASE("QoS 2 lamp/associated reaches lamp_ui at 2, QoS 1 at 1") {
    h.from_ec2(Topic::associated, kNotAssociated, 2);
    h.from_ec2(Topic::associated, kNotAssociated, 1);
    check_deliveries(
        h.trace,
        {to(LocalClient::lamp_ui, Topic::associated, 2, false, std::string(kNotAssociated)),
         to(LocalClient::lamp_ui, Topic::associated, 1, false, std::string(kNotAssociated))});
  }
  SUBCASE("a QoS 2 set_config from EC2 is capped at the bridge's QoS 1 subscription") {
    h.from_ec2(Topic::set_config, R"({"client": "web"})", 2, true);
    CHECK(h.deliveries_on(Topic::set_config).at(0).qos == 1);
    // The bridge republishes it locally at the capped QoS, so that is what is retained.
    CHECK(h.retained(Topic::set_config).qos == 1);
  }
  SUBCASE("QoS 2 connection states reach the bridge at QoS 1") {
    h.set_config_from_ec2(R"({"client": "web", "brightness": "x"})");
    check_deliveries(h.deliveries_on(Topic::state_lamp_service),
                     {to(LocalClient::bridge, Topic::state_lamp_service, 1, true, "0")});
  }
}

TEST_CASE("wills: a service that dies leaves \"0\" retained and the bridge forwards it") {
  Harness h;
  h.boot();
  h.set_config_from_ec2(R"({"client": "x", "color": null})");
  CHECK(h.retained(Topic::state_lamp_service).payload == "0");
  CHECK(h.retained(Topic::state_lamp_service).qos == 2);
  check_deliveries(h.trace, {
                                to(LocalClient::lamp_service, Topic::set_config, 1, false,
                                   R"({"client": "x", "color": null})"),
                                to(LocalClient::bridge, Topic::state_lamp_service, 1, true, "0"),
                            });
}

TEST_CASE("graceful power-off fires each service's will, bt_central has none") {
  Harness h;
  h.boot();
  h.power_off(PowerOff::graceful);
  check_deliveries(h.trace, {
                                to(LocalClient::bridge, Topic::state_lamp_ui, 1, true, "0"),
                                to(LocalClient::bridge, Topic::state_bt_peripheral, 1, true, "0"),
                                to(LocalClient::bridge, Topic::state_lamp_service, 1, true, "0"),
                            });
  for (Topic t : {Topic::state_lamp_service, Topic::state_lamp_ui, Topic::state_bt_peripheral})
    CHECK(h.retained(t).payload == "0");
}

TEST_CASE("clean sessions: nothing is queued for a client that is not connected") {
  Harness h;
  h.boot();
  h.set_config_from_ec2(R"({"client": "x", "on": "maybe", "brightness": []})");
  h.set_config_from_ec2(R"({"client": "x", "brightness": []})");  // kills it
  REQUIRE_FALSE(is_connected(h.lamp, LocalClient::lamp_service));
  h.trace.clear();
  h.set_config_from_ec2(R"({"client": "lost", "on": false})");
  CHECK(h.trace.empty());
  h.run_for(std::chrono::seconds(2));
  CHECK(h.deliveries_on(Topic::set_config).empty());
  CHECK(h.retained(Topic::changed).payload ==
        R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "x"})");
}

TEST_CASE("clients are connected in start order and the bridge first") {
  Harness h;
  h.power_on();
  CHECK(is_connected(h.lamp, LocalClient::bridge));
  CHECK_FALSE(is_connected(h.lamp, LocalClient::lamp_service));
  h.run_until(at_ms(500));
  CHECK(is_connected(h.lamp, LocalClient::lamp_service));
  CHECK_FALSE(is_connected(h.lamp, LocalClient::bt_peripheral));
  h.run_until(at_ms(1200));
  CHECK(is_connected(h.lamp, LocalClient::bt_peripheral));
  CHECK(is_connected(h.lamp, LocalClient::bt_central));
  CHECK_FALSE(is_connected(h.lamp, LocalClient::lamp_ui));
  h.run_until(at_ms(2000));
  CHECK(is_connected(h.lamp, LocalClient::lamp_ui));
}

TEST_CASE("the model runs without a local trace") {
  ModelConfig cfg = pinned_config();
  Lamp lamp = make_lamp(kId, 7, Profile::idle);
  Effects fx;
  power_on(lamp, cfg, VirtualTime{}, fx);
  on_remote_connected(lamp, cfg, VirtualTime{}, fx);
  advance(lamp, cfg, at_ms(5000), fx);
  on_remote_message(lamp, cfg, at_ms(5000), "devices/1e0000000000/lamp/set_config",
                    R"({"client": "web"})", 1, false, fx);
  CHECK(fx.pending.empty());
  REQUIRE_FALSE(fx.remote.empty());
  CHECK(fx.remote.back().payload ==
        R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "web"})");
}
