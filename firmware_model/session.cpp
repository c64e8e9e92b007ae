// Synthetic people: seeded, replayable touch sessions and phone sessions.
#include <algorithm>
#include <cmath>

#include "firmware_model/step.hpp"

namespace lampi::model::detail {

namespace {

double slider_value(const LampUiState& ui, Slider slider) {
  switch (slider) {
    case Slider::hue:
      return ui.hue;
    case Slider::saturation:
      return ui.saturation;
    case Slider::brightness:
      return ui.brightness;
  }
  return ui.hue;
}

Duration frame_period(const SessionConfig& c) {
  return seconds_to_duration(1.0 / c.frame_rate_hz);
}

// A finger accelerates and decelerates: an ease-in-out curve between the end points.
double smoothstep(double x) {
  return x * x * (3.0 - 2.0 * x);
}

// The person starts thinking when the last action was due, so a late step does not
// push the rest of the session later.
void wait(Step& s, DurationRange think) {
  s.set_timer(TimerSlot::session, s.scheduled + s.sample(think));
}

void start_drag(Step& s, int frames) {
  auto& session = s.lamp.session;
  auto& rng = s.lamp.rng;
  session.slider = static_cast<Slider>(rng.between(std::int64_t{0}, std::int64_t{2}));
  double from = slider_value(s.lamp.ui, session.slider);
  double to = rng.unit();
  // Every frame must move the slider, or Kivy sends nothing for it.
  if (std::abs(to - from) < 0.05) to = from > 0.5 ? from - 0.5 : from + 0.5;
  session.from = static_cast<float>(from);
  session.to = static_cast<float>(to);
  session.frame = 0;
  session.frames = static_cast<std::uint16_t>(std::clamp(frames, 1, 60000));
  session.phase = SessionPhase::dragging;
}

void drag_frame(Step& s) {
  auto& session = s.lamp.session;
  const auto& cfg = s.cfg.sessions;
  ++session.frame;
  double x = smoothstep(static_cast<double>(session.frame) / session.frames);
  double value = session.from + (session.to - session.from) * x;
  touch_slider(s, session.slider, value);
  if (session.frame < session.frames) {
    // Frames follow the schedule, not the moment this one ran.
    s.set_timer(TimerSlot::session, s.scheduled + frame_period(cfg));
    return;
  }
  session.phase = SessionPhase::waiting;
  wait(s, s.lamp.profile == Profile::seed_worst_case ? cfg.worst_case_think : cfg.think_time);
}

void touch_tick(Step& s) {
  const auto& cfg = s.cfg.sessions;
  if (s.lamp.session.phase == SessionPhase::dragging) {
    drag_frame(s);
    return;
  }
  if (s.lamp.profile == Profile::seed_worst_case) {
    start_drag(s, cfg.worst_case_messages);
  } else if (s.lamp.rng.chance(cfg.tap_probability)) {
    tap_power(s);
    wait(s, cfg.think_time);
    return;
  } else {
    double seconds = std::chrono::duration<double>(s.sample(cfg.drag_duration)).count();
    start_drag(s, static_cast<int>(std::lround(seconds * cfg.frame_rate_hz)));
  }
  drag_frame(s);
}

void phone_tick(Step& s) {
  auto& lamp = s.lamp;
  const auto& cfg = s.cfg.sessions;
  if (lamp.session.phase != SessionPhase::phone_connected) {
    phone_connect(s);
    lamp.session.phase = SessionPhase::phone_connected;
    lamp.session.phone_leaves = s.scheduled + s.sample(cfg.phone_session);
    wait(s, cfg.phone_write_interval);
    return;
  }
  // The person decides at the time this tick was due, whenever it actually ran.
  if (s.scheduled >= lamp.session.phone_leaves) {
    phone_disconnect(s);
    lamp.session.phase = SessionPhase::phone_away;
    wait(s, cfg.phone_idle);
    return;
  }
  auto byte = [&] {
    return static_cast<std::uint8_t>(lamp.rng.between(std::int64_t{0}, std::int64_t{255}));
  };
  switch (lamp.rng.between(std::int64_t{0}, std::int64_t{2})) {
    case 0:
      ble_write_brightness(s, byte());
      break;
    case 1:
      ble_write_on(s, !is_on(lamp.state.on));
      break;
    default: {
      auto h = byte();
      ble_write_color(s, h, byte());
    }
  }
  wait(s, cfg.phone_write_interval);
}

}  // namespace

void session_begin(Step& s) {
  auto& session = s.lamp.session;
  session = SessionState{};
  const auto& cfg = s.cfg.sessions;
  switch (s.lamp.profile) {
    case Profile::idle:
      return;
    case Profile::seed_worst_case:
      wait(s, cfg.worst_case_think);
      return;
    case Profile::touch_drag:
      wait(s, cfg.think_time);
      return;
    case Profile::bluetooth:
      session.phase = SessionPhase::phone_away;
      wait(s, cfg.phone_idle);
      return;
  }
}

void session_tick(Step& s) {
  switch (s.lamp.profile) {
    case Profile::idle:
      return;
    case Profile::seed_worst_case:
    case Profile::touch_drag:
      touch_tick(s);
      return;
    case Profile::bluetooth:
      phone_tick(s);
      return;
  }
}

}  // namespace lampi::model::detail
