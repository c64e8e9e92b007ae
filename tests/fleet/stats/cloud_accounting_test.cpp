// The cloud accounting: message digests and tallies, then reconcile() rule by rule on
// lamp ledgers and cloud lamps built by hand, and the failure line the verdict prints.
#include "fleet/stats/cloud_accounting.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

using namespace lampi::fleet;

namespace {

constexpr std::uint64_t kLampId = 0x1e0000000001ULL;
constexpr const char* kLampIdHex = "1e0000000001";

std::string changed_topic(std::uint64_t id) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "devices/%012llx/lamp/changed",
                static_cast<unsigned long long>(id));
  return buf;
}

std::string state_payload(double h, double b, bool on) {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                R"({"color": {"h": %.1f, "s": 1.0}, "brightness": %.1f, "on": %s, "client": ""})",
                h, b, on ? "true" : "false");
  return buf;
}

// Message i of a lamp: a distinct lamp/changed payload each time.
std::uint64_t message(std::uint64_t id, int i) {
  return message_digest(changed_topic(id),
                        state_payload(0.1 * (i % 10), 0.1 * (i / 10 % 10), i % 2 == 0));
}

// A lamp that had `n` messages acknowledged, connected once, bridged at the end, and the
// cloud side that received exactly them and saw its last state.
struct Pair {
  LampLedger lamp;
  CloudLamp cloud;
};

Pair consistent(std::uint64_t id, int n) {
  Pair p;
  p.lamp.device_id = id;
  p.cloud.device_id = id;
  for (int i = 0; i < n; ++i) {
    p.lamp.acked.add(message(id, i));
    p.cloud.received.add(message(id, i));
  }
  p.lamp.connects = 1;
  p.lamp.bridged_at_end = true;
  p.lamp.changed = state_payload(1.0, 1.0, true);
  p.cloud.last_changed = p.lamp.changed;
  return p;
}

CloudAccounting reconcile_one(const Pair& p, const CloudTotals& totals = {}) {
  return reconcile(CloudMode::active, {p.lamp}, {p.cloud}, totals);
}

}  // namespace

TEST_CASE("a message digest depends on where the topic ends and the payload begins") {
  CHECK(message_digest("a", "bc") != message_digest("ab", "c"));
  CHECK(message_digest("", "abc") != message_digest("abc", ""));
  const std::string topic = "devices/1e0000000001/lamp/changed";
  const std::string payload =
      R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": ""})";
  CHECK(message_digest(topic, payload) == message_digest(topic, payload));
  CHECK(message_digest(topic, payload) != message_digest(topic, payload + " "));
  CHECK(message_digest(topic, payload) !=
        message_digest("devices/1e0000000002/lamp/changed", payload));
}

TEST_CASE("a tally sums a multiset in any order but chains only the same sequence") {
  const auto a = message(kLampId, 1), b = message(kLampId, 2), c = message(kLampId, 3);
  MessageTally abc, cba, abc2;
  for (auto d : {a, b, c}) abc.add(d);
  for (auto d : {c, b, a}) cba.add(d);
  for (auto d : {a, b, c}) abc2.add(d);
  CHECK(abc.count == 3);
  CHECK(cba.count == 3);
  CHECK(abc.sum == cba.sum);
  CHECK(abc.sum == a + b + c);
  CHECK(abc.chain != cba.chain);
  CHECK(abc == abc2);
  CHECK_FALSE(abc == cba);
  CHECK(MessageTally{} == MessageTally{});
  MessageTally one;
  one.add(a);
  CHECK(one.count == 1);
  CHECK(one.sum == a);
  CHECK(one.chain != 0);
}

TEST_CASE("lamps that agree with the cloud in every respect pass") {
  std::vector<LampLedger> lamps;
  std::vector<CloudLamp> cloud;
  for (std::uint64_t k = 0; k < 3; ++k) {
    auto p = consistent(kLampId + k, 4 + static_cast<int>(k));
    p.lamp.commands_received = 2;
    p.cloud.commands_seen = 2;
    p.cloud.commands_sent = 1;
    p.cloud.commands_answered = 1;
    p.lamp.own_drops = 1;
    p.cloud.wills = 1;
    lamps.push_back(p.lamp);
    cloud.insert(cloud.begin(), p.cloud);  // any order
  }
  CloudTotals totals;
  totals.associations_started = 3;
  totals.associations_completed = 2;
  totals.settled = false;
  totals.round_trip.record(5);
  auto a = reconcile(CloudMode::observe, lamps, cloud, totals);
  CHECK(a.passed());
  CHECK(a.mode == CloudMode::observe);
  CHECK(a.lamps == 3);
  CHECK(a.lamps_consistent == 3);
  CHECK(a.acknowledged == 4 + 5 + 6);
  CHECK(a.received == 4 + 5 + 6);
  CHECK(a.lost == 0);
  CHECK(a.extra == 0);
  CHECK(a.altered == 0);
  CHECK(a.views_differ == 0);
  CHECK(a.commands_seen == 6);
  CHECK(a.commands_received == 6);
  CHECK(a.commands_lost == 0);
  CHECK(a.commands_sent == 3);
  CHECK(a.commands_answered == 3);
  CHECK(a.commands_unanswered == 0);
  CHECK(a.wills_expected == 3);
  CHECK(a.wills_seen == 3);
  CHECK(a.wills_missing == 0);
  CHECK(a.associations_started == 3);
  CHECK(a.associations_completed == 2);
  CHECK(a.cloud_disconnects == 0);
  CHECK_FALSE(a.settled);
  CHECK(a.round_trip.count() == 1);
  CHECK(a.differences.empty());
  CHECK(a.differences_total == 0);
  CHECK(a.unexplained == 0);
  CHECK(accounting_failure(a) == "");
}

TEST_CASE("acknowledged messages the cloud never received are lost and fail the run") {
  auto p = consistent(kLampId, 5);
  p.cloud.received = MessageTally{};
  for (int i = 0; i < 3; ++i) p.cloud.received.add(message(kLampId, i));
  auto a = reconcile_one(p);
  CHECK(a.acknowledged == 5);
  CHECK(a.received == 3);
  CHECK(a.lost == 2);
  CHECK(a.lamps_consistent == 0);
  REQUIRE(a.differences.size() == 1);
  CHECK(a.differences[0].lamp == kLampIdHex);
  CHECK(a.differences[0].what == "2 acknowledged messages never reached the cloud");
  CHECK_FALSE(a.differences[0].explained);
  CHECK(a.differences_total == 1);
  CHECK(a.unexplained == 1);
  CHECK_FALSE(a.passed());
  const auto failure = accounting_failure(a);
  CHECK_FALSE(failure.empty());
  CHECK(failure.find("lamp 1e0000000001") != std::string::npos);
  CHECK(failure.find("in all 2 acknowledged messages lost") != std::string::npos);
  CHECK(failure.find("1 of 1 lamps") != std::string::npos);
}

TEST_CASE("a lost message is explained when the broker forgot the cloud's session") {
  auto p = consistent(kLampId, 5);
  p.cloud.received = MessageTally{};
  for (int i = 0; i < 4; ++i) p.cloud.received.add(message(kLampId, i));
  CloudTotals totals;
  totals.disconnects = 1;
  totals.sessions_lost = 1;
  auto a = reconcile_one(p, totals);
  CHECK(a.lost == 1);
  CHECK(a.cloud_disconnects == 1);
  CHECK(a.cloud_sessions_lost == 1);
  REQUIRE(a.differences.size() == 1);
  CHECK(a.differences[0].what == "1 acknowledged message never reached the cloud");
  CHECK(a.differences[0].explained);
  CHECK(a.differences_total == 1);
  CHECK(a.unexplained == 0);
  CHECK(a.lamps_consistent == 0);
  CHECK(a.passed());
  CHECK(accounting_failure(a) == "");
}

TEST_CASE("a lost message is not explained by a reconnect that resumed the cloud's session") {
  // The broker kept the session: what it acknowledged to the lamp it still owed the cloud.
  auto p = consistent(kLampId, 5);
  p.cloud.received = MessageTally{};
  for (int i = 0; i < 4; ++i) p.cloud.received.add(message(kLampId, i));
  CloudTotals totals;
  totals.disconnects = 2;
  auto a = reconcile_one(p, totals);
  CHECK(a.lost == 1);
  CHECK(a.cloud_disconnects == 2);
  CHECK(a.cloud_sessions_lost == 0);
  CHECK(a.unexplained == 1);
  CHECK_FALSE(a.passed());
}

TEST_CASE("a lost message is explained when the cloud was cut off at the end") {
  auto p = consistent(kLampId, 5);
  p.cloud.received = MessageTally{};
  for (int i = 0; i < 4; ++i) p.cloud.received.add(message(kLampId, i));
  CloudTotals totals;
  totals.disconnects = 1;
  totals.reachable_at_end = false;
  auto a = reconcile_one(p, totals);
  CHECK(a.cloud_sessions_lost == 1);
  CHECK(a.unexplained == 0);
  CHECK(a.passed());
}

TEST_CASE("a will later than the broker's bound is a difference nothing explains") {
  auto p = consistent(kLampId, 3);
  p.lamp.own_drops = 2;
  p.cloud.wills = 2;
  p.cloud.wills_late = 1;
  auto a = reconcile_one(p);
  CHECK(a.wills_missing == 0);
  CHECK(a.wills_late == 1);
  REQUIRE(a.differences.size() == 1);
  CHECK(a.differences[0].what ==
        "1 will came later than 1.5 keepalives and a margin after the drop");
  CHECK_FALSE(a.passed());
}

TEST_CASE("a will owed when the broker went away is explained if it never comes") {
  auto p = consistent(kLampId, 3);
  p.lamp.own_drops = 2;
  p.cloud.wills = 1;
  p.cloud.wills_cut_off = 1;
  auto a = reconcile_one(p);
  CHECK(a.wills_missing == 1);
  REQUIRE(a.differences.size() == 1);
  CHECK(a.differences[0].explained);
  CHECK(a.passed());
  p.cloud.wills_cut_off = 0;  // the stand-in was there: the broker owed it
  CHECK_FALSE(reconcile_one(p).passed());
}

TEST_CASE("the cloud receiving more than was acknowledged counts extra and still passes") {
  auto p = consistent(kLampId, 3);
  p.cloud.received.add(message(kLampId, 2));  // a resent duplicate
  p.cloud.received.add(message(kLampId, 3));  // one whose PUBACK never came
  auto a = reconcile_one(p);
  CHECK(a.acknowledged == 3);
  CHECK(a.received == 5);
  CHECK(a.extra == 2);
  CHECK(a.lost == 0);
  CHECK(a.altered == 0);
  CHECK(a.differences.empty());
  CHECK(a.differences_total == 0);
  CHECK(a.lamps_consistent == 1);
  CHECK(a.passed());
}

TEST_CASE("the same number of messages with other content is altered") {
  auto p = consistent(kLampId, 3);
  p.cloud.received = MessageTally{};
  p.cloud.received.add(message(kLampId, 0));
  p.cloud.received.add(message(kLampId, 1));
  p.cloud.received.add(message_digest(changed_topic(kLampId), state_payload(0.5, 0.5, false)));

  SUBCASE("unexplained when every publish was confirmed") {
    auto a = reconcile_one(p);
    CHECK(a.altered == 1);
    CHECK(a.lost == 0);
    CHECK(a.extra == 0);
    REQUIRE(a.differences.size() == 1);
    CHECK(a.differences[0].lamp == kLampIdHex);
    CHECK(a.differences[0].what ==
          "the cloud received other messages than the broker acknowledged");
    CHECK_FALSE(a.differences[0].explained);
    CHECK(a.unexplained == 1);
    CHECK_FALSE(a.passed());
    CHECK(accounting_failure(a).find("lamp 1e0000000001: the cloud received other messages") !=
          std::string::npos);
  }
  SUBCASE("explained when some publish was never confirmed") {
    p.lamp.unconfirmed = 1;
    auto a = reconcile_one(p);
    CHECK(a.altered == 1);
    REQUIRE(a.differences.size() == 1);
    CHECK(a.differences[0].explained);
    CHECK(a.unexplained == 0);
    CHECK(a.lamps_consistent == 0);
    CHECK(a.passed());
  }
}

TEST_CASE("the same messages in another order are altered, explained only after a reconnect") {
  auto p = consistent(kLampId, 0);
  for (int i : {0, 1, 2}) p.lamp.acked.add(message(kLampId, i));
  for (int i : {0, 2, 1}) p.cloud.received.add(message(kLampId, i));
  REQUIRE(p.lamp.acked.sum == p.cloud.received.sum);

  SUBCASE("one connection keeps a client's order, so this is unexplained") {
    p.lamp.connects = 1;
    auto a = reconcile_one(p);
    CHECK(a.altered == 1);
    REQUIRE(a.differences.size() == 1);
    CHECK(a.differences[0].what == "the cloud received the lamp's messages out of order");
    CHECK_FALSE(a.differences[0].explained);
    CHECK(a.unexplained == 1);
    CHECK_FALSE(a.passed());
  }
  SUBCASE("resent publishes may overtake each other after a reconnect") {
    p.lamp.connects = 2;
    auto a = reconcile_one(p);
    CHECK(a.altered == 1);
    REQUIRE(a.differences.size() == 1);
    CHECK(a.differences[0].explained);
    CHECK(a.unexplained == 0);
    CHECK(a.passed());
  }
}

TEST_CASE("the cloud's last view differing from the lamp's state is counted") {
  auto p = consistent(kLampId, 2);
  p.cloud.last_changed = state_payload(0.5, 1.0, true);

  SUBCASE("unexplained for a connected lamp that confirmed everything") {
    auto a = reconcile_one(p);
    CHECK(a.views_differ == 1);
    REQUIRE(a.differences.size() == 1);
    CHECK(a.differences[0].what ==
          "the cloud's last view " + p.cloud.last_changed + " is not the lamp's " + p.lamp.changed);
    CHECK_FALSE(a.differences[0].explained);
    CHECK(a.unexplained == 1);
    CHECK_FALSE(a.passed());
  }
  SUBCASE("explained when a publish was never confirmed") {
    p.lamp.unconfirmed = 2;
    auto a = reconcile_one(p);
    CHECK(a.views_differ == 1);
    REQUIRE(a.differences.size() == 1);
    CHECK(a.differences[0].explained);
    CHECK(a.unexplained == 0);
    CHECK(a.passed());
  }
  SUBCASE("explained for a lamp that never connected") {
    p.lamp.connects = 0;
    auto a = reconcile_one(p);
    CHECK(a.views_differ == 1);
    REQUIRE(a.differences.size() == 1);
    CHECK(a.differences[0].explained);
    CHECK(a.unexplained == 0);
    CHECK(a.passed());
  }
  SUBCASE("a cloud that never saw the state says so") {
    p.cloud.last_changed.clear();
    auto a = reconcile_one(p);
    CHECK(a.views_differ == 1);
    REQUIRE(a.differences.size() == 1);
    CHECK(a.differences[0].what == "the cloud never saw its state");
    CHECK_FALSE(a.differences[0].explained);
  }
}

TEST_CASE("commands the cloud saw that the lamp never received are lost") {
  auto p = consistent(kLampId, 1);
  p.cloud.commands_seen = 5;
  p.lamp.commands_received = 2;

  SUBCASE("unexplained for a lamp still bridged at the end") {
    p.lamp.bridged_at_end = true;
    auto a = reconcile_one(p);
    CHECK(a.commands_seen == 5);
    CHECK(a.commands_received == 2);
    CHECK(a.commands_lost == 3);
    REQUIRE(a.differences.size() == 1);
    CHECK(a.differences[0].what == "3 commands sent to it never arrived");
    CHECK_FALSE(a.differences[0].explained);
    CHECK(a.unexplained == 1);
    CHECK_FALSE(a.passed());
    CHECK(accounting_failure(a).find("3 commands lost") != std::string::npos);
  }
  SUBCASE("explained for a lamp away at the end: the broker keeps them") {
    p.lamp.bridged_at_end = false;
    auto a = reconcile_one(p);
    CHECK(a.commands_lost == 3);
    REQUIRE(a.differences.size() == 1);
    CHECK(a.differences[0].explained);
    CHECK(a.unexplained == 0);
    CHECK(a.passed());
  }
}

TEST_CASE("web commands with no lamp/changed in answer are unanswered") {
  auto p = consistent(kLampId, 1);
  p.cloud.commands_sent = 4;
  p.cloud.commands_answered = 3;
  p.cloud.commands_seen = 4;
  p.lamp.commands_received = 4;
  auto a = reconcile_one(p);
  CHECK(a.commands_sent == 4);
  CHECK(a.commands_answered == 3);
  CHECK(a.commands_unanswered == 1);
  CHECK(a.commands_lost == 0);
  REQUIRE(a.differences.size() == 1);
  CHECK(a.differences[0].what == "1 web command was never answered with lamp/changed");
  CHECK_FALSE(a.differences[0].explained);
  CHECK(a.unexplained == 1);
  CHECK_FALSE(a.passed());
}

TEST_CASE("power-offs the broker's will did not follow are missing wills") {
  auto p = consistent(kLampId, 1);
  p.lamp.own_drops = 3;
  p.cloud.wills = 1;
  auto a = reconcile_one(p);
  CHECK(a.wills_expected == 3);
  CHECK(a.wills_seen == 1);
  CHECK(a.wills_missing == 2);
  REQUIRE(a.differences.size() == 1);
  CHECK(a.differences[0].what == "2 power-offs not followed by the will");
  CHECK_FALSE(a.differences[0].explained);
  CHECK(a.unexplained == 1);
  CHECK_FALSE(a.passed());
  CHECK(accounting_failure(a).find("2 wills missing") != std::string::npos);
}

TEST_CASE("a lamp the cloud never heard from has lost every acknowledged message") {
  auto heard = consistent(kLampId, 2);
  auto unheard = consistent(kLampId + 1, 3);
  auto a = reconcile(CloudMode::active, {heard.lamp, unheard.lamp}, {heard.cloud}, {});
  CHECK(a.lamps == 2);
  CHECK(a.lamps_consistent == 1);
  CHECK(a.acknowledged == 5);
  CHECK(a.received == 2);
  CHECK(a.lost == 3);
  CHECK(a.views_differ == 1);  // nor did it see its state
  REQUIRE(a.differences.size() == 2);
  CHECK(a.differences[0].lamp == "1e0000000002");
  CHECK(a.differences[0].what == "3 acknowledged messages never reached the cloud");
  CHECK_FALSE(a.differences[0].explained);
  CHECK(a.differences[1].what == "the cloud never saw its state");
  CHECK(a.unexplained == 2);
  CHECK_FALSE(a.passed());
  const auto failure = accounting_failure(a);
  CHECK(failure.find("1 of 2 lamps") != std::string::npos);
  CHECK(failure.find("lamp 1e0000000002: 3 acknowledged messages") != std::string::npos);
}

TEST_CASE("only the first differences are listed but all of them are counted") {
  const std::size_t n = kMaxListedDifferences + 7;
  std::vector<LampLedger> lamps;
  std::vector<CloudLamp> cloud;
  for (std::size_t k = 0; k < n; ++k) {
    auto p = consistent(kLampId + k, 2);
    p.cloud.received = MessageTally{};  // every lamp lost both
    lamps.push_back(p.lamp);
    cloud.push_back(p.cloud);
  }
  auto a = reconcile(CloudMode::active, lamps, cloud, {});
  CHECK(a.lamps == n);
  CHECK(a.lamps_consistent == 0);
  CHECK(a.lost == 2 * n);
  CHECK(a.differences.size() == kMaxListedDifferences);
  CHECK(a.differences_total == n);
  CHECK(a.unexplained == n);
  CHECK(a.differences.front().lamp == kLampIdHex);
  CHECK_FALSE(a.passed());
}

TEST_CASE(
    "publishes in flight at a lamp's power-off explain its last view, not unanswered commands") {
  auto p = consistent(kLampId, 3);
  p.lamp.unconfirmed_at_power_off = 3;  // every lamp closes with its services' last states
  p.cloud.last_changed = state_payload(0.5, 1.0, true);
  p.cloud.commands_sent = 2;
  p.cloud.commands_answered = 1;
  auto a = reconcile_one(p);
  CHECK(a.views_differ == 1);
  CHECK(a.commands_unanswered == 1);
  REQUIRE(a.differences.size() == 2);
  CHECK(a.differences[0].explained);  // its last lamp/changed may have been among them
  CHECK(a.differences[1].what == "1 web command was never answered with lamp/changed");
  CHECK_FALSE(a.differences[1].explained);
  CHECK(a.unexplained == 1);
  CHECK(a.first_unexplained ==
        "lamp " + std::string(kLampIdHex) + ": 1 web command was never answered with lamp/changed");
}
