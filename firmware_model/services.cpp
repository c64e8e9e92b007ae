// lamp_service, lamp_ui and the two Bluetooth clients as local MQTT clients.
#include <algorithm>
#include <cmath>

#include "firmware_model/python_json.hpp"
#include "firmware_model/set_config.hpp"
#include "firmware_model/step.hpp"

namespace lampi::model::detail {

namespace {

constexpr std::string_view kUiClientSuffix = "\"client\": \"lamp_ui\"}";

void lamp_service_publish_state(Step& s) {
  publish_local(s, LocalClient::lamp_service, Topic::changed, 1, true,
                render_changed(s.lamp.state));
}

void lamp_service_on_set_config(Step& s, const std::string& payload) {
  auto r = apply_set_config(s.lamp.state, payload, s.cfg.mode, s.cfg.max_json_depth);
  auto why = static_cast<std::uint8_t>(r.why);
  switch (r.outcome) {
    case SetConfigOutcome::applied:
      lamp_service_publish_state(s);
      return;
    case SetConfigOutcome::ignored:
      s.observe(ObservationKind::set_config_ignored, why);
      return;
    case SetConfigOutcome::rejected:
      s.observe(ObservationKind::set_config_rejected, why);
      return;
    case SetConfigOutcome::crashed:
      // An uncaught exception: the process dies, Mosquitto publishes its will, and
      // supervisor starts it again.
      s.observe(ObservationKind::service_crashed, why);
      s.lamp.service_crashed = true;
      drop_local(s, LocalClient::lamp_service, true);
      // From the crash, i.e. when the fatal message was due: a late step must not
      // push the restart (and every crash after it) later.
      s.set_timer(TimerSlot::start_lamp_service, s.scheduled + s.cfg.service_restart_delay);
      return;
  }
}

void ui_take_changed(Step& s, const std::string& payload) {
  auto& ui = s.lamp.ui;
  // Its own echoes are ignored, except the first after start-up that syncs the sliders.
  if (ui.synced && std::string_view(payload).ends_with(kUiClientSuffix)) return;
  auto parsed = python_json_loads(payload, s.cfg.max_json_depth);
  if (!parsed || !parsed->is_object()) return;
  const Json& v = *parsed;
  auto number = [](const Json& j, double fallback) {
    return j.is_number() ? j.get<double>() : fallback;
  };
  if (auto c = v.find("color"); c != v.end() && c->is_object()) {
    ui.hue = number(c->value("h", Json{}), ui.hue);
    ui.saturation = number(c->value("s", Json{}), ui.saturation);
  }
  ui.brightness = number(v.value("brightness", Json{}), ui.brightness);
  if (auto on = v.find("on"); on != v.end())
    ui.on = on->is_boolean() ? on->get<bool>() : (on->is_number() && on->get<double>() != 0.0);
  ui.synced = true;
}

void ui_take_associated(Step& s, const std::string& payload) {
  auto& ui = s.lamp.ui;
  auto parsed = python_json_loads(payload, s.cfg.max_json_depth);
  if (!parsed || !parsed->is_object()) return;
  const Json& v = *parsed;
  auto associated = v.find("associated");
  if (associated == v.end() || !associated->is_boolean()) return;
  if (associated->get<bool>()) {
    ui.popup_shown = false;
    return;
  }
  auto code = v.find("code");
  if (code == v.end() || !code->is_string()) return;
  const auto& text = code->get_ref<const std::string&>();
  ui.popup_code.fill('\0');
  std::copy_n(text.begin(), std::min<std::size_t>(6, text.size()), ui.popup_code.begin());
  ui.popup_shown = true;
}

}  // namespace

void on_client_connected(Step& s, LocalClient client) {
  switch (client) {
    case LocalClient::lamp_service:
      // on_connect publishes "1", subscribes and publishes its state in one go; what the
      // subscription brings (a retained set_config) reaches the Python callback only
      // after on_connect has returned, so it is handled after the state is out.
      publish_local(s, client, Topic::state_lamp_service, 2, true, "1");
      lamp_service_publish_state(s);
      subscribe_local(s, client);
      return;
    case LocalClient::lamp_ui:
      publish_local(s, client, Topic::state_lamp_ui, 2, true, "1");
      subscribe_local(s, client);
      return;
    case LocalClient::bt_peripheral:
      publish_local(s, client, Topic::state_bt_peripheral, 2, true, "1");
      subscribe_local(s, client);
      return;
    case LocalClient::bt_central:  // no will, no state topic, no subscriptions
    case LocalClient::bridge:
      return;
  }
}

void on_local_message(Step& s, LocalClient to, Topic topic, std::uint8_t qos, bool retain,
                      const std::string& payload) {
  switch (to) {
    case LocalClient::lamp_service:
      if (topic == Topic::set_config) lamp_service_on_set_config(s, payload);
      return;
    case LocalClient::lamp_ui:
      if (topic == Topic::changed)
        ui_take_changed(s, payload);
      else if (topic == Topic::associated)
        ui_take_associated(s, payload);
      else if (topic == Topic::bridge_state)
        s.lamp.ui.bridged = payload == "1";
      return;
    case LocalClient::bt_peripheral:  // updates its GATT values for the phone: nothing on MQTT
    case LocalClient::bt_central:
      return;
    case LocalClient::bridge:
      bridge_forward(s, topic, qos, retain, payload);
      return;
  }
}

void ui_property_changed(Step& s) {
  // Kivy: every property change schedules one _update_leds() unless one is pending,
  // ui_update_delay after the change: after the touch's due time, not after a late step.
  if (!s.timer_pending(TimerSlot::ui_update_leds))
    s.set_timer(TimerSlot::ui_update_leds, s.scheduled + s.cfg.ui_update_delay);
}

void ui_publish_state(Step& s) {
  if (!is_connected(s.lamp, LocalClient::lamp_ui)) return;
  const auto& ui = s.lamp.ui;
  std::string msg = "{\"color\": {\"h\": ";
  append_python_float(msg, ui.hue);
  msg += ", \"s\": ";
  append_python_float(msg, ui.saturation);
  msg += "}, \"brightness\": ";
  append_python_float(msg, ui.brightness);
  msg += ui.on ? ", \"on\": true, " : ", \"on\": false, ";
  msg += kUiClientSuffix;
  publish_local(s, LocalClient::lamp_ui, Topic::set_config, 1, false, std::move(msg));
}

void rssi_poll(Step& s) {
  auto& bt = s.lamp.bt;
  if (!bt.phone_connected) return;
  // Polls chain from the schedule, one a second since the connect, not from a late run.
  s.set_timer(TimerSlot::rssi_poll, s.scheduled + std::chrono::seconds(1));
  int step = s.cfg.sessions.rssi_step_dbm;
  int next =
      bt.rssi + static_cast<int>(s.lamp.rng.between(std::int64_t{-step}, std::int64_t{step}));
  bt.rssi = static_cast<std::int8_t>(std::clamp(next, -100, -30));
  if (std::abs(bt.rssi - bt.last_reported_rssi) <= 2) return;
  bt.last_reported_rssi = bt.rssi;
  if (!is_connected(s.lamp, LocalClient::bt_central)) return;
  std::string msg = "{\"client\": \"" + phone_address_text(bt) + "\", \"rssi\": ";
  msg += std::to_string(bt.rssi);
  msg += '}';
  publish_local(s, LocalClient::bt_central, Topic::bluetooth, 0, false, std::move(msg));
}

}  // namespace lampi::model::detail
