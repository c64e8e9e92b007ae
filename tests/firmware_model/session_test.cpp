// Synthetic people: replayable from the seed, and shaped as each profile promises.
#include <doctest/doctest.h>

#include "tests/firmware_model/harness.hpp"

using namespace lampi::model;
using namespace lampi::model::test;

namespace {

constexpr Profile kProfiles[] = {Profile::idle, Profile::seed_worst_case, Profile::touch_drag,
                                 Profile::bluetooth};
constexpr Duration kFrame{16666};  // 1/60 s in whole microseconds

std::vector<RemoteAction> run_lamp(Profile profile, std::uint64_t seed, Duration length) {
  Harness h(ModelConfig{}, profile, seed);
  h.power_on();
  h.remote_up();
  h.run_for(length);
  return h.remote;
}

std::vector<RemoteAction> changed_by(const std::vector<RemoteAction>& remote,
                                     std::string_view client) {
  const std::string suffix = "\"client\": \"" + std::string(client) + "\"}";
  std::vector<RemoteAction> out;
  for (const auto& a : remote)
    if (a.topic == Topic::changed && a.payload.ends_with(suffix)) out.push_back(a);
  return out;
}

// Splits messages into interactions wherever more than `gap` passes between two.
std::vector<std::vector<RemoteAction>> interactions(const std::vector<RemoteAction>& msgs,
                                                    Duration gap) {
  std::vector<std::vector<RemoteAction>> out;
  for (const auto& m : msgs) {
    if (out.empty() || m.scheduled - out.back().back().scheduled > gap) out.emplace_back();
    out.back().push_back(m);
  }
  return out;
}

}  // namespace

TEST_CASE("the same seed replays the same remote actions for every profile") {
  for (Profile p : kProfiles) {
    CAPTURE(int(p));
    auto a = run_lamp(p, 42, std::chrono::seconds(60));
    auto b = run_lamp(p, 42, std::chrono::seconds(60));
    CHECK(a.size() == b.size());
    CHECK(a == b);
  }
}

TEST_CASE("different seeds give different remote actions for every profile") {
  for (Profile p : kProfiles) {
    CAPTURE(int(p));
    auto a = run_lamp(p, 1, std::chrono::seconds(60));
    auto b = run_lamp(p, 2, std::chrono::seconds(60));
    CHECK_FALSE(a == b);
  }
}

TEST_CASE("seeds derived for a fleet differ per lamp and are stable") {
  CHECK(Rng::derive(7, 0) == Rng::derive(7, 0));
  CHECK(Rng::derive(7, 0) != Rng::derive(7, 1));
  CHECK(Rng::derive(7, 0) != Rng::derive(8, 0));
  auto a = run_lamp(Profile::touch_drag, Rng::derive(7, 3), std::chrono::seconds(30));
  auto b = run_lamp(Profile::touch_drag, Rng::derive(7, 3), std::chrono::seconds(30));
  CHECK(a == b);
}

TEST_CASE("idle lamps only boot: nothing after the services are up") {
  auto remote = run_lamp(Profile::idle, 3, std::chrono::seconds(60));
  for (const auto& a : remote) CHECK(a.scheduled < at_ms(3000));
  CHECK(remote_topic(Topic::changed, kId) == "devices/1e0000000000/lamp/changed");
  CHECK(changed_by(remote, "lamp_ui").empty());
}

TEST_CASE("seed_worst_case: exactly 10 lamp/changed per interaction, 1-2 s apart") {
  for (std::uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    Harness h(pinned_config(), Profile::seed_worst_case, seed);
    h.power_on();
    h.remote_up();
    h.run_for(std::chrono::seconds(60));
    auto msgs = changed_by(h.remote, "lamp_ui");
    for (const auto& m : msgs) {
      CHECK(m.qos == 1);
      CHECK(m.retain);
    }
    auto groups = interactions(msgs, ms(500));
    groups.pop_back();  // may have been cut off at 60 s
    REQUIRE(groups.size() >= 20);
    // lamp_ui starts at 2 s and waits 1-2 s; each message follows its frame by 10 ms.
    CHECK(groups[0][0].scheduled >= at_ms(3010));
    CHECK(groups[0][0].scheduled <= at_ms(4010));
    for (std::size_t g = 0; g < groups.size(); ++g) {
      CAPTURE(g);
      CHECK(groups[g].size() == 10);
      for (std::size_t i = 1; i < groups[g].size(); ++i)
        CHECK(groups[g][i].scheduled - groups[g][i - 1].scheduled == kFrame);
      if (g + 1 < groups.size()) {
        const Duration think = groups[g + 1].front().scheduled - groups[g].back().scheduled;
        CHECK(think >= std::chrono::seconds(1));
        CHECK(think <= std::chrono::seconds(2));
      }
    }
  }
}

TEST_CASE(
    "seed_worst_case: one set_config per frame from lamp_ui, each producing its lamp/changed") {
  Harness h(pinned_config(), Profile::seed_worst_case, 11);
  h.power_on();
  h.remote_up();
  h.run_for(std::chrono::seconds(30));
  std::size_t from_ui = 0;
  std::string previous;
  for (const auto& d : h.deliveries_on(Topic::set_config)) {
    CHECK(d.payload.ends_with(R"("client": "lamp_ui"})"));
    // Unrounded slider values: every frame moves the slider, so every publish differs.
    CHECK(d.payload != previous);
    previous = d.payload;
    ++from_ui;
  }
  CHECK(from_ui == changed_by(h.remote, "lamp_ui").size());
  CHECK(from_ui >= 100);
}

TEST_CASE("touch_drag: drags are 60 Hz frames for 0.3-2 s, taps flip the lamp") {
  std::size_t drags = 0;
  std::size_t taps = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    Harness h(pinned_config(), Profile::touch_drag, seed);
    h.power_on();
    h.remote_up();
    h.run_for(std::chrono::seconds(120));
    auto groups = interactions(changed_by(h.remote, "lamp_ui"), ms(1000));
    REQUIRE_FALSE(groups.empty());
    groups.pop_back();
    for (const auto& g : groups) {
      if (g.size() == 1) {
        ++taps;
        continue;
      }
      ++drags;
      CHECK(g.size() >= 18);   // lround(0.3 s * 60 Hz)
      CHECK(g.size() <= 120);  // lround(2.0 s * 60 Hz)
      for (std::size_t i = 1; i < g.size(); ++i)
        CHECK(g[i].scheduled - g[i - 1].scheduled == kFrame);
    }
    for (std::size_t i = 1; i < groups.size(); ++i)
      CHECK(groups[i].front().scheduled - groups[i - 1].back().scheduled >=
            std::chrono::seconds(2));
  }
  CHECK(drags >= 20);
  CHECK(taps >= 1);
}

TEST_CASE("touch_drag: a tap publishes the opposite on state") {
  // Find a tap in a seeded run and check it against the lamp/changed before it.
  bool seen = false;
  for (std::uint64_t seed = 1; seed <= 20 && !seen; ++seed) {
    Harness h(pinned_config(), Profile::touch_drag, seed);
    h.power_on();
    h.remote_up();
    h.run_for(std::chrono::seconds(120));
    auto groups = interactions(changed_by(h.remote, "lamp_ui"), ms(1000));
    for (std::size_t g = 1; g + 1 < groups.size(); ++g) {
      if (groups[g].size() != 1) continue;
      const auto& before = groups[g - 1].back().payload;
      const auto& after = groups[g][0].payload;
      const bool was_on = before.find("\"on\": true") != std::string::npos;
      CHECK(after.find(was_on ? "\"on\": false" : "\"on\": true") != std::string::npos);
      seen = true;
    }
  }
  CHECK(seen);
}

TEST_CASE("bluetooth profile: phone sessions with BLE writes only while connected") {
  for (std::uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    Harness h(pinned_config(), Profile::bluetooth, seed);
    h.power_on();
    h.remote_up();
    h.run_for(std::chrono::seconds(300));
    bool connected = false;
    VirtualTime last_write = at(Duration{-1});  // none yet
    std::size_t writes = 0;
    std::size_t sessions = 0;
    for (const auto& a : h.remote) {
      if (a.topic == Topic::bluetooth && a.payload.starts_with(R"({"state": "connected")")) {
        CHECK_FALSE(connected);
        connected = true;
        ++sessions;
        last_write = at(Duration{-1});
      } else if (a.topic == Topic::bluetooth &&
                 a.payload.starts_with(R"({"state": "disconnected")")) {
        CHECK(connected);
        connected = false;
      } else if (a.topic == Topic::changed && a.payload.ends_with(R"("lamp_bt_peripheral"})")) {
        CHECK(connected);
        if (last_write >= VirtualTime{}) {
          CHECK(a.scheduled - last_write >= std::chrono::seconds(1));
          CHECK(a.scheduled - last_write <= std::chrono::seconds(5));
        }
        last_write = a.scheduled;
        ++writes;
      }
    }
    CHECK(sessions >= 2);
    CHECK(writes >= 10);
    CHECK(changed_by(h.remote, "lamp_ui").empty());
  }
}

TEST_CASE("sessions begin again after a power cycle") {
  Harness h(pinned_config(), Profile::seed_worst_case, 5);
  h.power_on();
  h.remote_up();
  h.run_for(std::chrono::seconds(10));
  h.power_off(PowerOff::graceful);
  h.power_on();
  h.remote_up();
  h.clear();
  const VirtualTime on_at = h.now;
  h.run_for(std::chrono::seconds(10));
  // lamp_service's start-up state still names lamp_ui as its last client: skip it.
  auto msgs = changed_by(h.remote, "lamp_ui");
  REQUIRE(msgs.size() >= 11);
  CHECK(msgs[0].scheduled == on_at + ms(500));
  msgs.erase(msgs.begin());
  // lamp_ui starts 2 s after power-on, then the user thinks for 1-2 s.
  CHECK(msgs[0].scheduled >= on_at + ms(3010));
  CHECK(msgs[0].scheduled <= on_at + ms(4010));
}
