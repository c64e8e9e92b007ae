// lamp_service inside a whole lamp: set_config from EC2 in, lamp/changed out, and what a
// crash looks like from EC2 (will "0", supervisor restart, "1", state again).
#include <doctest/doctest.h>

#include "tests/firmware_model/harness.hpp"
#include "tests/firmware_model/set_config_cases.hpp"

using namespace lampi::model;
using namespace lampi::model::test;

namespace {

Wire changed(std::string payload) {
  return publish(Topic::changed, 1, true, std::move(payload));
}
Wire service_state(const char* payload) {
  return publish(Topic::state_lamp_service, 1, true, payload);
}

}  // namespace

TEST_CASE("via the model: each golden set_config yields exactly one lamp/changed, QoS 1 retained") {
  for (const auto& g : kFaithfulGoldens) {
    CAPTURE(g.payload);
    Harness h;
    h.boot();
    h.set_config_from_ec2(g.payload);
    check_wires(h.wires(), {changed(std::string(g.changed))});
    CHECK(h.retained(Topic::changed).payload == g.changed);
    CHECK(h.observations.empty());
  }
}

TEST_CASE("via the model: strict goldens") {
  for (const auto& g : kStrictGoldens) {
    CAPTURE(g.payload);
    Harness h(pinned_config(ValidationMode::strict));
    h.boot();
    h.set_config_from_ec2(g.payload);
    check_wires(h.wires(), {changed(std::string(g.changed))});
  }
}

TEST_CASE("lamp_service publishes its state on start-up and after every set_config") {
  Harness h;
  h.power_on();
  h.remote_up();
  h.clear();
  h.run_until(at_ms(600));
  check_wires(h.wires(), {service_state("1"), changed(std::string(kDefaultChanged))});
  h.clear();
  // Same values twice: each set_config still produces its lamp/changed.
  h.set_config_from_ec2(R"({"client": "web", "brightness": 0.5})");
  h.set_config_from_ec2(R"({"client": "web", "brightness": 0.5})");
  const std::string want =
      R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.5, "on": true, "client": "web"})";
  check_wires(h.wires(), {changed(want), changed(want)});
}

TEST_CASE("faithful: an ignored or rejected set_config sends nothing and is observed") {
  Harness h;
  h.boot();
  h.set_config_from_ec2(R"({"on": false})");
  h.set_config_from_ec2(R"([1, 2])");
  h.set_config_from_ec2(R"({"client": "p1", "on": false, "brightness": 7})");
  CHECK(h.wires().empty());
  CHECK(h.observations ==
        std::vector<Observation>{
            {ObservationKind::set_config_ignored, detail_of(InvalidClass::missing_client)},
            {ObservationKind::set_config_ignored, detail_of(InvalidClass::not_object)},
            {ObservationKind::set_config_rejected, detail_of(InvalidClass::out_of_range)},
        });
  CHECK(is_connected(h.lamp, LocalClient::lamp_service));
  // The rejected message's client and `on` stayed applied: the next lamp/changed shows them.
  h.set_config_from_ec2(R"({"client": "web", "brightness": 0.5})");
  check_wires(
      h.wires(),
      {changed(
          R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.5, "on": false, "client": "web"})")});
}

TEST_CASE("faithful: a crash publishes the will, then supervisor restarts lamp_service") {
  Harness h;
  h.boot();
  const VirtualTime crash_at = h.now;
  h.set_config_from_ec2(
      R"({"client": "p3", "on": 0, "color": {"h": 0.25, "s": 0.75}, "brightness": "x"})");
  check_wires(h.wires(), {service_state("0")});
  CHECK(h.observations == std::vector<Observation>{{ObservationKind::service_crashed,
                                                    detail_of(InvalidClass::wrong_type)}});
  CHECK_FALSE(is_connected(h.lamp, LocalClient::lamp_service));
  CHECK(h.lamp.service_crashed);
  CHECK(h.retained(Topic::state_lamp_service).payload == "0");
  CHECK(next_deadline(h.lamp) == crash_at + h.cfg.service_restart_delay);

  h.clear();
  h.run_until(crash_at + h.cfg.service_restart_delay - ms(1));
  CHECK(h.wires().empty());
  h.run_until(crash_at + h.cfg.service_restart_delay);
  // The partly applied state (client, on, color) is what it republishes.
  check_wires(
      h.wires(),
      {service_state("1"),
       changed(
           R"({"color": {"h": 0.25, "s": 0.75}, "brightness": 1.0, "on": 0, "client": "p3"})")});
  CHECK(h.observations ==
        std::vector<Observation>{{ObservationKind::service_restarted,
                                  static_cast<std::uint8_t>(Service::lamp_service)}});
  CHECK(is_connected(h.lamp, LocalClient::lamp_service));
  CHECK_FALSE(h.lamp.service_crashed);
}

TEST_CASE("faithful: every crashing class kills lamp_service once, strict never does") {
  for (const auto& r : kFaithfulRefusals) {
    CAPTURE(r.payload);
    for (auto mode : {ValidationMode::faithful, ValidationMode::strict}) {
      CAPTURE(int(mode));
      Harness h(pinned_config(mode));
      h.boot();
      h.set_config_from_ec2(r.payload);
      const bool crash = mode == ValidationMode::faithful && r.outcome == SetConfigOutcome::crashed;
      CHECK(is_connected(h.lamp, LocalClient::lamp_service) == !crash);
      if (crash) {
        check_wires(h.wires(), {service_state("0")});
        CHECK(count(h.observations, ObservationKind::service_crashed, detail_of(r.why)) == 1);
      } else {
        CHECK(h.wires().empty());
        CHECK(h.observations.size() == 1);
        CHECK(count(h.observations, ObservationKind::service_crashed) == 0);
      }
    }
  }
}

TEST_CASE("the crash's will reaches EC2 even for payloads without a client") {
  Harness h;
  h.boot();
  h.set_config_from_ec2("42");
  check_wires(h.wires(), {service_state("0")});
  CHECK(h.observations == std::vector<Observation>{{ObservationKind::service_crashed,
                                                    detail_of(InvalidClass::not_object)}});
}

TEST_CASE("deep nesting from EC2: the process survives, lamp_service crashes or rejects") {
  const std::string payload(100000, '[');
  SUBCASE("faithful") {
    Harness h;
    h.boot();
    h.set_config_from_ec2(payload);
    check_wires(h.wires(), {service_state("0")});
    CHECK(count(h.observations, ObservationKind::service_crashed,
                detail_of(InvalidClass::not_json)) == 1);
  }
  SUBCASE("strict") {
    Harness h(pinned_config(ValidationMode::strict));
    h.boot();
    h.set_config_from_ec2(payload);
    CHECK(h.wires().empty());
    CHECK(h.observations == std::vector<Observation>{{ObservationKind::set_config_rejected,
                                                      detail_of(InvalidClass::not_json)}});
    CHECK(is_connected(h.lamp, LocalClient::lamp_service));
  }
}

TEST_CASE(
    "strict: a rejection leaves the state untouched, so the next lamp/changed shows none of it") {
  Harness h(pinned_config(ValidationMode::strict));
  h.boot();
  h.set_config_from_ec2(
      R"({"client": "x", "on": false, "color": {"h": 0.2, "s": 0.3}, "brightness": 7})");
  CHECK(h.wires().empty());
  CHECK(h.observations == std::vector<Observation>{{ObservationKind::set_config_rejected,
                                                    detail_of(InvalidClass::out_of_range)}});
  h.set_config_from_ec2(R"({"client": "y"})");
  check_wires(
      h.wires(),
      {changed(
          R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "y"})")});
}

TEST_CASE("clean session: set_config sent while lamp_service is dead is lost") {
  Harness h;
  h.boot();
  h.set_config_from_ec2(R"({"client": "x", "brightness": "boom"})");
  REQUIRE_FALSE(is_connected(h.lamp, LocalClient::lamp_service));
  h.clear();
  h.set_config_from_ec2(R"({"client": "missed", "brightness": 0.2})");
  CHECK(h.wires().empty());
  CHECK(h.deliveries_to(LocalClient::lamp_service).empty());
  h.run_for(h.cfg.service_restart_delay);
  check_wires(
      h.wires(),
      {service_state("1"),
       changed(
           R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "x"})")});
}

TEST_CASE("a retained poison set_config crashes lamp_service again on every restart") {
  Harness h;
  h.boot();
  h.from_ec2(Topic::set_config, R"({"client": "x", "color": 3})", 1, true);
  CHECK(h.retained(Topic::set_config).present);
  h.run_for(std::chrono::milliseconds(3500));
  // The first crash, then one per supervisor restart. The retained message reaches the
  // Python callback only after on_connect has published "1" and the state, so every
  // restart shows both before it dies again.
  const Wire state = changed(std::string(kClientX));
  check_wires(h.wires(), {service_state("0"), service_state("1"), state, service_state("0"),
                          service_state("1"), state, service_state("0"), service_state("1"), state,
                          service_state("0")});
  CHECK(count(h.observations, ObservationKind::service_crashed,
              detail_of(InvalidClass::wrong_type)) == 4);
  CHECK(count(h.observations, ObservationKind::service_restarted) == 3);
}
