// The lamp's topics, their EC2 names, and MQTT 3.1.1 topic filter matching.
#include "firmware_model/topic.hpp"

#include <doctest/doctest.h>

using namespace lampi::model;

namespace {
constexpr DeviceId kId{0x1e0000000000};
constexpr DeviceId kOther{0xb827eb74663e};
}  // namespace

TEST_CASE("local topics are the course's names") {
  CHECK(local_topic(Topic::set_config, kId) == "lamp/set_config");
  CHECK(local_topic(Topic::changed, kId) == "lamp/changed");
  CHECK(local_topic(Topic::associated, kId) == "lamp/associated");
  CHECK(local_topic(Topic::bluetooth, kId) == "lamp/bluetooth");
  CHECK(local_topic(Topic::state_lamp_service, kId) == "lamp/connection/lamp_service/state");
  CHECK(local_topic(Topic::state_lamp_ui, kId) == "lamp/connection/lamp_ui/state");
  CHECK(local_topic(Topic::state_bt_peripheral, kId) == "lamp/connection/lamp_bt_peripheral/state");
  CHECK(local_topic(Topic::bridge_state, kId) ==
        "$SYS/broker/connection/1e0000000000_broker/state");
  CHECK(local_topic(Topic::bridge_state, kOther) ==
        "$SYS/broker/connection/b827eb74663e_broker/state");
}

TEST_CASE("remote topics carry devices/<id>/ except the bridge state") {
  CHECK(remote_topic(Topic::set_config, kId) == "devices/1e0000000000/lamp/set_config");
  CHECK(remote_topic(Topic::changed, kId) == "devices/1e0000000000/lamp/changed");
  CHECK(remote_topic(Topic::associated, kId) == "devices/1e0000000000/lamp/associated");
  CHECK(remote_topic(Topic::bluetooth, kId) == "devices/1e0000000000/lamp/bluetooth");
  CHECK(remote_topic(Topic::state_lamp_service, kId) ==
        "devices/1e0000000000/lamp/connection/lamp_service/state");
  CHECK(remote_topic(Topic::state_lamp_ui, kId) ==
        "devices/1e0000000000/lamp/connection/lamp_ui/state");
  CHECK(remote_topic(Topic::state_bt_peripheral, kId) ==
        "devices/1e0000000000/lamp/connection/lamp_bt_peripheral/state");
  CHECK(remote_topic(Topic::bridge_state, kId) ==
        "$SYS/broker/connection/1e0000000000_broker/state");
  CHECK(remote_topic(Topic::changed, kOther) == "devices/b827eb74663e/lamp/changed");
}

TEST_CASE("topic_from_remote maps every prefixed topic back") {
  for (std::size_t t = 0; t < kTopicCount; ++t) {
    auto topic = static_cast<Topic>(t);
    CAPTURE(t);
    if (topic == Topic::bridge_state) continue;
    CHECK(topic_from_remote(remote_topic(topic, kId), kId) == topic);
  }
}

TEST_CASE("topic_from_remote refuses topics that are not this lamp's") {
  CHECK_FALSE(topic_from_remote("devices/b827eb74663e/lamp/set_config", kId));
  CHECK_FALSE(topic_from_remote("devices/1E0000000000/lamp/set_config", kId));
  CHECK_FALSE(topic_from_remote("devices/1e0000000000/lamp/set_config/x", kId));
  CHECK_FALSE(topic_from_remote("devices/1e0000000000/lamp/unknown", kId));
  CHECK_FALSE(topic_from_remote("devices/1e0000000000/", kId));
  CHECK_FALSE(topic_from_remote("devices/1e0000000000", kId));
  CHECK_FALSE(topic_from_remote("lamp/set_config", kId));
  CHECK_FALSE(topic_from_remote("", kId));
  // The bridge state is not an in-topic and has no prefix to strip.
  CHECK_FALSE(topic_from_remote("$SYS/broker/connection/1e0000000000_broker/state", kId));
  CHECK_FALSE(topic_from_remote("devices/1e0000000000/", kId));
}

TEST_CASE("bridge_client_id is <id>_broker") {
  CHECK(bridge_client_id(kId) == "1e0000000000_broker");
  CHECK(bridge_client_id(DeviceId{1}) == "000000000001_broker");
}

TEST_CASE("topic_matches: exact topics") {
  CHECK(topic_matches("lamp/changed", "lamp/changed"));
  CHECK_FALSE(topic_matches("lamp/changed", "lamp/change"));
  CHECK_FALSE(topic_matches("lamp/changed", "lamp/changed/x"));
  CHECK_FALSE(topic_matches("lamp/changed/x", "lamp/changed"));
  CHECK_FALSE(topic_matches("Lamp/changed", "lamp/changed"));
  CHECK(topic_matches("", ""));
  CHECK(topic_matches("/", "/"));
  CHECK_FALSE(topic_matches("a", "a/"));
}

TEST_CASE("topic_matches: '+' is exactly one level, possibly empty") {
  CHECK(topic_matches("lamp/connection/+/state", "lamp/connection/lamp_ui/state"));
  CHECK(topic_matches("lamp/connection/+/state", "lamp/connection//state"));
  CHECK_FALSE(topic_matches("lamp/connection/+/state", "lamp/connection/a/b/state"));
  CHECK_FALSE(topic_matches("lamp/connection/+/state", "lamp/connection/state"));
  CHECK(topic_matches("+", "a"));
  CHECK_FALSE(topic_matches("+", "a/b"));
  CHECK(topic_matches("+/+", "/finance"));
  CHECK(topic_matches("/+", "/finance"));
  CHECK_FALSE(topic_matches("+", "/finance"));
  CHECK(topic_matches("a/+", "a/"));
  CHECK_FALSE(topic_matches("a/+", "a"));
  CHECK(topic_matches("+/b/+", "a/b/c"));
}

TEST_CASE("topic_matches: '#' is the rest, including the parent level") {
  CHECK(topic_matches("#", "a"));
  CHECK(topic_matches("#", "a/b/c"));
  CHECK(topic_matches("#", "/"));
  CHECK(topic_matches("a/#", "a"));
  CHECK(topic_matches("a/#", "a/b"));
  CHECK(topic_matches("a/#", "a/b/c"));
  CHECK(topic_matches("a/#", "a/"));
  CHECK_FALSE(topic_matches("a/#", "ab"));
  CHECK_FALSE(topic_matches("a/#", "b/a"));
  CHECK_FALSE(topic_matches("a/b/#", "a"));
  CHECK(topic_matches("+/#", "a"));
  CHECK(topic_matches("a/+/#", "a/b"));
  CHECK_FALSE(topic_matches("a/+/#", "a"));
}

TEST_CASE("topic_matches: wildcards at the first level never match $-topics") {
  const char* sys = "$SYS/broker/connection/1e0000000000_broker/state";
  CHECK_FALSE(topic_matches("#", sys));
  CHECK_FALSE(topic_matches("+/broker/connection/+/state", sys));
  CHECK_FALSE(topic_matches("+", "$SYS"));
  CHECK(topic_matches("$SYS/#", sys));
  CHECK(topic_matches("$SYS/broker/connection/+/state", sys));
  CHECK(topic_matches(sys, sys));
  CHECK(topic_matches("$SYS/#", "$SYS"));
  // Only a leading '$' is special.
  CHECK(topic_matches("#", "a/$SYS"));
  CHECK(topic_matches("a/+", "a/$x"));
}
