// A shard that falls behind calls advance() once, several deadlines past due. The lamp
// must then do exactly what it would have done on time: every effect stamped with the
// time its cause was due (or latency is measured from the wrong moment: coordinated
// omission), and every timer chained from that time (or the whole schedule drifts).
#include <doctest/doctest.h>

#include <sstream>

#include "tests/firmware_model/harness.hpp"

using namespace lampi::model;
using namespace lampi::model::test;

namespace {

using std::chrono::seconds;

constexpr Duration kFrame{16666};  // 1/60 s in whole microseconds
constexpr Duration kUi = ms(10);   // _update_leds after a property change

constexpr Duration us(std::int64_t n) {
  return Duration{n};
}

// What an overloaded shard does: one advance() for everything due by `t`.
void advance_late(Harness& h, VirtualTime t) {
  h.now = t;
  advance(h.lamp, h.cfg, t, h.fx);
  h.collect();
}

// What an on-time shard does: one advance() per deadline, at that deadline. Returns
// how many deadlines there were.
std::size_t advance_on_time(Harness& h, VirtualTime t) {
  std::size_t deadlines = 0;
  for (auto due = next_deadline(h.lamp); due <= t; due = next_deadline(h.lamp)) {
    h.now = due;
    advance(h.lamp, h.cfg, due, h.fx);
    h.collect();
    ++deadlines;
  }
  h.now = t;
  return deadlines;
}

std::string show(const RemoteAction& a) {
  std::ostringstream os;
  os << wire(a) << " scheduled " << a.scheduled.time_since_epoch().count() << " us";
  return os.str();
}

// Element by element, stamps included; reports only the first difference.
void check_same_remote(const std::vector<RemoteAction>& late,
                       const std::vector<RemoteAction>& on_time) {
  CHECK(late.size() == on_time.size());
  for (std::size_t i = 0; i < std::min(late.size(), on_time.size()); ++i) {
    if (late[i] == on_time[i]) continue;
    CAPTURE(i);
    CHECK(show(late[i]) == show(on_time[i]));
    return;
  }
}

void check_same_timers(const Lamp& late, const Lamp& on_time) {
  for (std::size_t i = 0; i < kTimerCount; ++i) {
    CAPTURE(i);
    CHECK(late.timers[i].time_since_epoch().count() ==
          on_time.timers[i].time_since_epoch().count());
  }
}

bool from(const RemoteAction& a, std::string_view client) {
  return a.payload.ends_with("\"client\": \"" + std::string(client) + "\"}");
}
bool says_on(const std::string& payload) {
  return payload.find("\"on\": true") != std::string::npos;
}
bool starts(const RemoteAction& a, std::string_view prefix) {
  return a.topic == Topic::bluetooth && a.payload.starts_with(prefix);
}

// What the late calls covered, so the comparison is known to have exercised each kind.
struct Covered {
  std::size_t late_deadlines = 0;  // deadlines the on-time twin had inside the late calls
  std::size_t drag_frames = 0;
  std::size_t taps = 0;
  std::size_t ble_writes = 0;
  std::size_t connects = 0;
  std::size_t disconnects = 0;
  std::size_t rssi = 0;
};

void tally(Covered& c, const std::vector<RemoteAction>& remote, std::size_t from_index) {
  bool on = true;
  for (std::size_t i = 0; i < remote.size(); ++i) {
    const auto& a = remote[i];
    const bool counted = i >= from_index;
    if (a.topic == Topic::changed) {
      // A tap is the only thing lamp_ui does that flips `on`.
      if (counted && from(a, "lamp_ui")) {
        if (says_on(a.payload) != on)
          ++c.taps;
        else
          ++c.drag_frames;
      }
      if (counted && from(a, "lamp_bt_peripheral")) ++c.ble_writes;
      on = says_on(a.payload);
    }
    if (!counted) continue;
    if (starts(a, R"({"state": "connected")")) ++c.connects;
    if (starts(a, R"({"state": "disconnected")")) ++c.disconnects;
    if (a.topic == Topic::bluetooth && a.payload.find("\"rssi\"") != std::string::npos) ++c.rssi;
  }
}

struct Leg {
  Duration length;
  bool late;
};

// Runs one lamp on time throughout and its twin with the late legs in one advance() each;
// after every leg both must have sent the same actions and hold the same timers.
Covered replay(Profile profile, std::uint64_t seed, const std::vector<Leg>& legs) {
  Harness on_time(ModelConfig{}, profile, seed);
  Harness late(ModelConfig{}, profile, seed);
  for (Harness* h : {&on_time, &late}) {
    h->power_on();
    h->remote_up();
  }
  Covered covered;
  VirtualTime t{};
  for (const Leg& leg : legs) {
    t += leg.length;
    const std::size_t before = late.remote.size();
    const std::size_t deadlines = advance_on_time(on_time, t);
    if (leg.late) {
      advance_late(late, t);
      tally(covered, late.remote, before);
      covered.late_deadlines += deadlines;
    } else {
      advance_on_time(late, t);
    }
    CAPTURE(t.time_since_epoch().count());
    check_same_remote(late.remote, on_time.remote);
    CHECK(late.observations == on_time.observations);
    CHECK(late.trace == on_time.trace);
    check_same_timers(late.lamp, on_time.lamp);
  }
  // RSSI polls, computed independently: whole seconds after the connect they follow.
  VirtualTime connected_at{};
  for (const auto& a : late.remote) {
    if (starts(a, R"({"state": "connected")")) connected_at = a.scheduled;
    if (a.topic == Topic::bluetooth && a.payload.find("\"rssi\"") != std::string::npos)
      CHECK((a.scheduled - connected_at) % seconds(1) == Duration::zero());
  }
  return covered;
}

// Interactions of seed_worst_case with its think time pinned to 1 s: the i-th starts
// at 3 s (lamp_ui at 2 s, then 1 s) plus i times (10 frames' span + 1 s).
VirtualTime worst_case_start(int interaction) {
  return at_ms(3000) + interaction * (9 * kFrame + seconds(1));
}

std::vector<RemoteAction> changed_by(const Harness& h, std::string_view client) {
  std::vector<RemoteAction> out;
  for (const auto& a : h.remote)
    if (a.topic == Topic::changed && from(a, client)) out.push_back(a);
  return out;
}

}  // namespace

TEST_CASE("late advance: every profile sends what it sends on time, stamped as on time") {
  const std::vector<Leg> legs = {{seconds(20), false}, {ms(300), true},     {seconds(10), false},
                                 {seconds(7), true},   {seconds(5), false}, {seconds(60), true},
                                 {seconds(30), false}};
  for (Profile p : {Profile::seed_worst_case, Profile::touch_drag, Profile::bluetooth}) {
    CAPTURE(int(p));
    Covered all;
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
      CAPTURE(seed);
      Covered c = replay(p, seed, legs);
      all.late_deadlines += c.late_deadlines;
      all.drag_frames += c.drag_frames;
      all.taps += c.taps;
      all.ble_writes += c.ble_writes;
      all.connects += c.connects;
      all.disconnects += c.disconnects;
      all.rssi += c.rssi;
    }
    // The late calls were many deadlines behind and covered what each profile does.
    CHECK(all.late_deadlines >= 8 * 20);
    if (p == Profile::bluetooth) {
      CHECK(all.connects >= 2);
      CHECK(all.disconnects >= 2);
      CHECK(all.ble_writes >= 20);
      CHECK(all.rssi >= 20);
    } else {
      CHECK(all.drag_frames >= 100);
      if (p == Profile::touch_drag) CHECK(all.taps >= 2);
    }
  }
}

TEST_CASE("late advance: a lamp far behind from power-on boots and runs as on time") {
  for (Profile p :
       {Profile::idle, Profile::seed_worst_case, Profile::touch_drag, Profile::bluetooth}) {
    CAPTURE(int(p));
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      CAPTURE(seed);
      replay(p, seed, {{seconds(90), true}, {seconds(30), false}});
    }
  }
}

TEST_CASE("late advance: seed_worst_case drags keep their frame times (hand-computed)") {
  ModelConfig cfg = pinned_config();
  cfg.sessions.worst_case_think = {seconds(1), seconds(1)};
  Harness h(cfg, Profile::seed_worst_case, 3);
  h.power_on();
  h.remote_up();
  // Interactions 0-5 end by 8.91 s; interaction 6 is due at 9.899964 s.
  advance_late(h, at_ms(9500));
  auto msgs = changed_by(h, "lamp_ui");
  REQUIRE(msgs.size() == 60);
  for (int i = 0; i < 6; ++i) {
    for (int frame = 0; frame < 10; ++frame) {
      CAPTURE(i);
      CAPTURE(frame);
      // Each frame's touch is published by _update_leds 10 ms later.
      const VirtualTime want = worst_case_start(i) + frame * kFrame + kUi;
      CHECK(msgs[static_cast<std::size_t>(i * 10 + frame)].scheduled == want);
    }
  }
  CHECK(worst_case_start(6) == at(us(9899964)));
  // The schedule did not drift: the next drag is due when it would be on time.
  CHECK(next_deadline(h.lamp) == worst_case_start(6));
  CHECK(h.lamp.timers[static_cast<std::size_t>(TimerSlot::session)] == worst_case_start(6));
  advance_late(h, at_ms(12000));
  msgs = changed_by(h, "lamp_ui");
  REQUIRE(msgs.size() >= 61);
  CHECK(msgs[60].scheduled == worst_case_start(6) + kUi);
}

TEST_CASE("late advance: taps keep their times, and the _update_leds 10 ms after each") {
  ModelConfig cfg = pinned_config();
  cfg.sessions.tap_probability = 1.0;
  cfg.sessions.think_time = {seconds(2), seconds(2)};
  Harness h(cfg, Profile::touch_drag, 1);
  h.power_on();
  h.remote_up();
  // lamp_ui starts at 2 s and thinks 2 s: taps at 4, 6, 8 and 10 s.
  advance_late(h, at_ms(11000));
  auto taps = changed_by(h, "lamp_ui");
  REQUIRE(taps.size() == 4);
  for (std::size_t i = 0; i < taps.size(); ++i) {
    CAPTURE(i);
    CHECK(taps[i].scheduled == at_ms(4000 + 2000 * static_cast<std::int64_t>(i)) + kUi);
    CHECK(says_on(taps[i].payload) == (i % 2 == 1));
  }
  CHECK(taps[0].payload ==
        R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": false, "client": "lamp_ui"})");
  CHECK(next_deadline(h.lamp) == at_ms(12000));
}

TEST_CASE("late advance: a phone session keeps its connect, writes, polls and disconnect") {
  ModelConfig cfg = pinned_config();
  cfg.sessions.phone_idle = {seconds(5), seconds(5)};
  cfg.sessions.phone_session = {seconds(10), seconds(10)};
  cfg.sessions.phone_write_interval = {seconds(1), seconds(1)};
  cfg.sessions.rssi_step_dbm = 0;  // a steady -60 dBm: reported on the first poll only
  Harness h(cfg, Profile::bluetooth, 2);
  h.power_on();
  h.remote_up();
  // lamp_ui starts at 2 s; the phone comes 5 s later, writes each second from 8 s and
  // leaves 10 s after connecting; it is back 5 s after that, at 22 s.
  advance_late(h, at_ms(20000));
  const std::string address = phone_address_text(h.lamp.bt);
  std::vector<std::pair<std::string, VirtualTime>> bluetooth;
  for (const auto& a : h.remote)
    if (a.topic == Topic::bluetooth) bluetooth.emplace_back(a.payload, a.scheduled);
  CHECK(bluetooth ==
        std::vector<std::pair<std::string, VirtualTime>>{
            {R"({"state": "connected", "client": ")" + address + "\"}", at_ms(7000)},
            {R"({"client": ")" + address + R"(", "rssi": -60})", at_ms(8000)},
            {R"({"state": "disconnected", "client": ")" + address + "\"}", at_ms(17000)},
        });
  auto writes = changed_by(h, "lamp_bt_peripheral");
  REQUIRE(writes.size() == 9);
  for (std::size_t i = 0; i < writes.size(); ++i) {
    CAPTURE(i);
    CHECK(writes[i].scheduled == at_ms(8000 + 1000 * static_cast<std::int64_t>(i)));
  }
  CHECK(next_deadline(h.lamp) == at_ms(22000));
  // The next session is on schedule too, and so are its writes and polls.
  const std::size_t before = h.remote.size();
  advance_late(h, at_ms(24500));
  REQUIRE(h.remote.size() > before);
  CHECK(h.remote[before].payload ==
        R"({"state": "connected", "client": ")" + phone_address_text(h.lamp.bt) + "\"}");
  CHECK(h.remote[before].scheduled == at_ms(22000));
  CHECK(h.remote.back().scheduled == at_ms(24000));  // the second write
  CHECK(h.lamp.timers[static_cast<std::size_t>(TimerSlot::rssi_poll)] == at_ms(25000));
}

TEST_CASE("late advance: supervisor restarts stay one restart delay after each crash") {
  Harness h;
  h.boot();
  const VirtualTime t0 = h.now;
  // A retained poison set_config: lamp_service dies again on every restart.
  h.from_ec2(Topic::set_config, R"({"client": "x", "color": 3})", 1, true);
  h.clear();
  advance_late(h, t0 + ms(3500));
  CHECK(count(h.observations, ObservationKind::service_restarted) == 3);
  CHECK(count(h.observations, ObservationKind::service_crashed) == 3);
  // Each restart sends "1", the state and the will "0", all at the restart's due time.
  REQUIRE(h.remote.size() == 9);
  for (std::size_t i = 0; i < h.remote.size(); ++i) {
    CAPTURE(i);
    CHECK(h.remote[i].scheduled == t0 + seconds(1 + static_cast<std::int64_t>(i / 3)));
  }
  CHECK(next_deadline(h.lamp) == t0 + seconds(4));
}

TEST_CASE("entry points called from outside a step happen at the time they are given") {
  Harness h;
  h.boot();
  const VirtualTime t0 = h.now;
  h.ble_brightness(128);
  REQUIRE(h.remote.size() == 1);
  CHECK(h.remote[0].scheduled == t0);
  h.clear();
  h.touch(Slider::hue, 0.5);
  // The shell gets round to the _update_leds timer late; it still publishes at t0 + 10 ms.
  advance_late(h, t0 + ms(700));
  REQUIRE(h.remote.size() == 1);
  CHECK(h.remote[0].scheduled == t0 + kUi);
  h.clear();
  h.phone_connect();
  REQUIRE(h.remote.size() == 1);
  CHECK(h.remote[0].scheduled == t0 + ms(700));
  CHECK(next_deadline(h.lamp) == t0 + ms(1700));
}
