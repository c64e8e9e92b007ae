#include "fleet/cloud/cloud_stand_in.hpp"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <charconv>
#include <nlohmann/json.hpp>

#include "firmware_model/topic.hpp"

namespace lampi::fleet {

namespace asio = boost::asio;

namespace {

constexpr auto kTick = std::chrono::milliseconds(100);
// The web page sends at most one set_config per 100 ms while a slider moves.
constexpr auto kWebInterval = std::chrono::milliseconds(100);
constexpr auto kReconnectPause = std::chrono::seconds(1);

constexpr std::string_view kDevices = "devices/";
constexpr std::string_view kSysPrefix = "$SYS/broker/connection/";
constexpr std::string_view kSysSuffix = "_broker/state";

// The 12 lowercase hex digits of a device id, or nullopt.
std::optional<std::uint64_t> parse_id(std::string_view hex) {
  if (hex.size() != 12) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
  return v;
}

std::string hex_code(model::Rng& rng) {
  return fmt::format("{:016x}{:016x}", rng.next(), rng.next());  // uuid4().hex's 32 digits
}

}  // namespace

LinkSettings cloud_link(const ResolvedBroker& at, const FleetConfig& config) {
  LinkSettings link;
  link.host = at.numeric_host;
  link.port = at.port;
  link.keepalive_seconds = 60;
  link.clean_session = false;
  link.username = config.username;
  link.password = config.password;
  return link;
}

CloudStandIn::CloudStandIn(const CloudConfig& config, LinkSettings link, CloudScope scope,
                           std::uint64_t seed, std::string client_id)
    : config_(config),
      settings_(std::move(link)),
      scope_(scope),
      client_id_(std::move(client_id)),
      flush_topic_("lampi-fleet/cloud/" + client_id_ + "/flush"),
      rng_(model::Rng::derive(seed, 0xc10d)) {}

CloudStandIn::~CloudStandIn() {
  stop();
}

bool CloudStandIn::start(std::chrono::milliseconds wait) {
  ready_promise_ = std::make_shared<std::promise<bool>>();
  auto ready = ready_promise_->get_future();
  thread_ = std::thread([this] { run(); });
  return ready.wait_for(wait) == std::future_status::ready && ready.get();
}

void CloudStandIn::run() {
  last_tick_ = Clock::now();
  forget_session();
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
  io_.run();
}

void CloudStandIn::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    const bool reachable = link_.state() == BridgeLink::State::connected;
    link_.drop();
    // Cut off, it cannot forget its session now; the next run's start will.
    if (!reachable) {
      io_.stop();
      return;
    }
    phase_ = Phase::closing;
    closing_deadline_ = Clock::now() + std::chrono::seconds(3);
    forget_session();
  });
  thread_.join();
}

void CloudStandIn::expect_will(std::uint64_t id, std::chrono::steady_clock::time_point dropped) {
  asio::post(io_, [this, id, dropped] {
    if (!scope_.contains(id)) return;
    Lamp& l = lamp(id);
    // The drop's news can come after its will (another thread told us): a will that came
    // just before is this drop's.
    if (l.unmatched_will != Clock::time_point{} &&
        l.unmatched_will >= dropped - std::chrono::milliseconds(100)) {
      time_will(l, std::max(Clock::duration::zero(), l.unmatched_will - dropped));
      l.unmatched_will = {};
      return;
    }
    l.wills_owed.push_back(dropped);
  });
}

void CloudStandIn::time_will(Lamp& l, Clock::duration delay) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(delay).count();
  totals_.will_delay.record(us);
  counters_.will_delay.record(us);
  if (delay > will_bound_) ++l.seen.wills_late;
}

void CloudStandIn::stop_commands() {
  stop_commands_.store(true, std::memory_order_relaxed);
}

std::uint64_t CloudStandIn::commands_pending() const {
  return pending_.load(std::memory_order_relaxed);
}

bool CloudStandIn::settle(std::unordered_map<std::uint64_t, std::uint64_t> expected_wills,
                          std::chrono::milliseconds wait) {
  // Shared with the loop, which may answer after the caller has given up waiting.
  auto done = std::make_shared<std::promise<bool>>();
  auto future = done->get_future();
  asio::post(io_, [this, done, wills = std::move(expected_wills)]() mutable {
    // Cut off from the broker (it went away with the run), nothing more will come: no wait.
    if (link_.state() != BridgeLink::State::connected) {
      totals_.reachable_at_end = false;
      done->set_value(false);
      return;
    }
    expected_wills_ = std::move(wills);
    settled_promise_ = std::move(done);
    send_flush();
    settle_flush_ = flushes_sent_;
    check_settled();
  });
  bool ok = future.wait_for(wait) == std::future_status::ready && future.get();
  settled_ = ok;
  return ok;
}

void CloudStandIn::forget_session() {
  if (forgetter_.state() != BridgeLink::State::idle || forgetter_.has_socket()) return;
  LinkSettings clean = settings_;
  clean.clean_session = true;
  forgotten_ = false;
  if (!forgetter_.connect(clean, client_id_, "", nullptr))
    reconnect_at_ = Clock::now() + kReconnectPause;
}

void CloudStandIn::connect() {
  if (link_.state() != BridgeLink::State::idle || link_.has_socket()) return;
  if (!link_.connect(settings_, client_id_, "", nullptr))
    reconnect_at_ = Clock::now() + kReconnectPause;
}

void CloudStandIn::on_link_connected(BridgeLink& link) {
  if (&link == &forgetter_) {
    forgotten_ = true;
    asio::post(io_, [this] { forgetter_.drop(); });  // not from inside the callback
    return;
  }
  const bool resumed = link.session_present();
  // Back without the session it had: what the broker held for it meanwhile is gone.
  if (connected_once_ && !resumed) ++totals_.sessions_lost;
  connected_once_ = true;
  connected_.store(true, std::memory_order_relaxed);
  if (resumed) return;  // its subscriptions are in the session, and its queue is coming
  // The association store first: its retained messages then arrive before the bridge
  // states, so a lamp associated in an earlier run is not asked again. At QoS 1, so that
  // the broker keeps for the session what a broken connection or a restart interrupted.
  for (const char* filter :
       {"devices/+/lamp/associated", "$SYS/broker/connection/+/state", "devices/+/lamp/changed",
        "devices/+/lamp/connection/+/state", "devices/+/lamp/set_config"})
    link_.subscribe(filter, 1);
  link_.subscribe(flush_topic_, 1);
  send_flush();  // its echo proves the subscriptions are in place
}

void CloudStandIn::on_link_lost(BridgeLink& link, int) {
  if (&link == &forgetter_) {
    if (!std::exchange(forgotten_, false)) {
      reconnect_at_ = Clock::now() + kReconnectPause;  // never taken: try again
      return;
    }
    if (phase_ == Phase::forgetting) {
      phase_ = Phase::live;
      connect();
    } else if (phase_ == Phase::closing) {
      io_.stop();
    }
    return;
  }
  // A connect that failed (the broker still down) is no connection lost.
  const bool was_connected = connected_.exchange(false, std::memory_order_relaxed);
  reconnect_at_ = Clock::now() + kReconnectPause;
  if (phase_ == Phase::closing || !was_connected) return;
  bump(counters_.disconnects);
  // The broker went away with these wills owed: it may never publish them, and those it
  // does come untimed, after our own absence.
  for (auto& [id, l] : lamps_) {
    l.seen.wills_cut_off += l.wills_owed.size();
    l.wills_owed.clear();
  }
}

void CloudStandIn::send_flush() {
  ++flushes_sent_;
  publish(flush_topic_, std::to_string(flushes_sent_), 1, false);
}

void CloudStandIn::publish(const std::string& topic, const std::string& payload, int qos,
                           bool retain) {
  if (link_.state() != BridgeLink::State::connected) return;
  link_.publish(topic, payload, qos, retain);
}

void CloudStandIn::on_tick() {
  auto now = Clock::now();
  if (phase_ == Phase::closing && now >= closing_deadline_) {
    io_.stop();
    return;
  }
  if (now - last_tick_ >= std::chrono::seconds(1)) {
    link_.tick();
    forgetter_.tick();
    last_tick_ = now;
  }
  if (now >= reconnect_at_) {
    // Each does nothing while its link is still up or closing.
    if (phase_ == Phase::live)
      connect();
    else
      forget_session();
  }
  if (commands_on_ && stop_commands_.load(std::memory_order_relaxed)) {
    commands_on_ = false;
    for (auto& s : sessions_) lamp(s.id).in_session = false;
    sessions_.clear();
    to_associate_.clear();
  }
  if (config_.mode == CloudMode::active) {
    while (!to_associate_.empty() && to_associate_.front().first <= now) {
      auto id = to_associate_.front().second;
      to_associate_.pop_front();
      publish(model::remote_topic(model::Topic::associated, model::DeviceId{id}),
              R"({"associated": true})", 2, true);
      ++totals_.associations_completed;
      bump(counters_.associations_completed);
    }
    if (commands_on_) drive_sessions(now);
  }
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
}

void CloudStandIn::drive_sessions(Clock::time_point now) {
  session_credit_ += config_.web_sessions_per_second * std::chrono::duration<double>(kTick).count();
  while (session_credit_ >= 1.0) {
    session_credit_ -= 1.0;
    // A page is opened on a lamp that is bridged, associated, not already being dragged, and
    // whose lamp_service is up: one still starting would drop the commands unheard.
    for (int attempt = 0; attempt < 8 && !known_.empty(); ++attempt) {
      auto id = known_[static_cast<std::size_t>(
          rng_.between(std::int64_t{0}, static_cast<std::int64_t>(known_.size()) - 1))];
      Lamp& l = lamp(id);
      if (!l.online || !l.service_up || l.association != Association::associated || l.in_session)
        continue;
      l.in_session = true;
      // The page opens on the lamp's last state.
      if (auto view = read_changed(l.seen.last_changed)) l.view = *view;
      auto length = rng_.between(std::chrono::duration<double>(config_.web_drag.min).count(),
                                 std::chrono::duration<double>(config_.web_drag.max).count());
      sessions_.push_back({id, static_cast<int>(rng_.between(std::int64_t{0}, std::int64_t{2})),
                           web_client_id(rng_), now,
                           now + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(length))});
      break;
    }
  }
  for (std::size_t i = 0; i < sessions_.size();) {
    Session& s = sessions_[i];
    Lamp& l = lamp(s.id);
    if (s.next <= now && s.next <= s.end) {
      s.next += kWebInterval;
      // The page blocks its controls while the lamp's bridge state is 0.
      if (l.online) {
        double& v = s.slider == 0   ? l.view.hue
                    : s.slider == 1 ? l.view.saturation
                                    : l.view.brightness;
        v = drag_step(v, rng_);
        publish(model::remote_topic(model::Topic::set_config, model::DeviceId{s.id}),
                render_web_set_config(l.view, s.client), 1, false);
        ++l.seen.commands_sent;
        l.pending.push_back({s.client, now});
        pending_.fetch_add(1, std::memory_order_relaxed);
        bump(counters_.commands_sent);
      }
    }
    if (now >= s.end) {
      l.in_session = false;
      sessions_[i] = std::move(sessions_.back());
      sessions_.pop_back();
    } else {
      ++i;
    }
  }
}

CloudStandIn::Lamp& CloudStandIn::lamp(std::uint64_t id) {
  auto [it, fresh] = lamps_.try_emplace(id);
  if (fresh) {
    it->second.seen.device_id = id;
    known_.push_back(id);
  }
  return it->second;
}

void CloudStandIn::on_link_message(BridgeLink&, const mosquitto_message& msg) {
  bump(counters_.messages);
  std::string_view topic = msg.topic ? msg.topic : "";
  std::string_view payload(static_cast<const char*>(msg.payload),
                           static_cast<std::size_t>(msg.payloadlen));
  on_message(topic, payload, msg.retain);
}

void CloudStandIn::on_message(std::string_view topic, std::string_view payload, bool retained) {
  if (topic == flush_topic_) {
    std::uint64_t n = 0;
    std::from_chars(payload.data(), payload.data() + payload.size(), n);
    flushes_seen_ = std::max(flushes_seen_, n);
    if (ready_promise_) {
      ready_promise_->set_value(true);
      ready_promise_.reset();
    }
    check_settled();
    return;
  }
  std::optional<std::uint64_t> id;
  std::string_view rest;
  if (topic.starts_with(kSysPrefix) && topic.ends_with(kSysSuffix)) {
    id = parse_id(
        topic.substr(kSysPrefix.size(), topic.size() - kSysPrefix.size() - kSysSuffix.size()));
    rest = "$SYS";
  } else if (topic.starts_with(kDevices) && topic.size() > kDevices.size() + 13) {
    id = parse_id(topic.substr(kDevices.size(), 12));
    rest = topic.substr(kDevices.size() + 12);
  }
  if (!id || !scope_.contains(*id)) return;
  Lamp& l = lamp(*id);
  // What the broker's retained store replays is the past: it updates the view but is no
  // message of this run's (live messages reach a subscriber with the retain flag clear).
  auto tally = [&] {
    if (!retained) l.seen.received.add(message_digest(topic, payload));
  };
  if (rest == "$SYS") {
    if (payload != "0") tally();
    on_bridge_state(l, payload, retained);
  } else if (rest == "/lamp/changed") {
    tally();
    on_changed(l, payload, retained);
  } else if (rest.starts_with("/lamp/connection/")) {
    tally();
    if (rest == "/lamp/connection/lamp_service/state") l.service_up = payload == "1";
  } else if (rest == "/lamp/set_config") {
    if (!retained) ++l.seen.commands_seen;
  } else if (rest == "/lamp/associated") {
    auto j = nlohmann::json::parse(payload, nullptr, false);
    if (j.is_object() && j.contains("associated") && j["associated"].is_boolean())
      l.association =
          j["associated"].get<bool>() ? Association::associated : Association::code_sent;
  }
}

void CloudStandIn::on_bridge_state(Lamp& l, std::string_view payload, bool retained) {
  if (payload == "0") {
    l.online = false;
    if (!retained) {
      ++l.seen.wills;
      if (l.wills_owed.empty()) {
        l.unmatched_will = Clock::now();
      } else {
        time_will(l, Clock::now() - l.wills_owed.front());
        l.wills_owed.pop_front();
      }
      check_settled();
    }
    return;
  }
  if (payload != "1") return;
  l.online = true;
  if (config_.mode != CloudMode::active || !commands_on_ || l.association != Association::unknown)
    return;
  // mqtt-daemon: a lamp it does not know gets a code to type on the web site.
  auto id = model::DeviceId{l.seen.device_id};
  publish(model::remote_topic(model::Topic::associated, id),
          fmt::format(R"({{"associated": false, "code": "{}"}})", hex_code(rng_)), 2, true);
  l.association = Association::code_sent;
  ++totals_.associations_started;
  bump(counters_.associations_started);
  to_associate_.emplace_back(
      Clock::now() + std::chrono::duration_cast<Clock::duration>(config_.association_delay),
      l.seen.device_id);
}

void CloudStandIn::on_changed(Lamp& l, std::string_view payload, bool retained) {
  l.seen.last_changed.assign(payload);
  // Parsed only when a web command waits for its answer: most lamp/changed are the lamps'
  // own, and a JSON parse each would cost more than the rest of the stand-in's work.
  if (retained || l.pending.empty()) return;
  auto view = read_changed(payload);
  if (!view) return;
  l.view = *view;
  if (l.pending.front().client != view->client) return;
  auto rtt =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - l.pending.front().sent)
          .count();
  l.pending.pop_front();
  pending_.fetch_sub(1, std::memory_order_relaxed);
  ++l.seen.commands_answered;
  totals_.round_trip.record(rtt);
  counters_.round_trip.record(rtt);
  bump(counters_.commands_answered);
}

void CloudStandIn::check_settled() {
  if (settle_flush_ == 0 || flushes_seen_ < settle_flush_ || !settled_promise_) return;
  for (const auto& [id, owed] : expected_wills_) {
    auto it = lamps_.find(id);
    if ((it == lamps_.end() ? 0 : it->second.seen.wills) < owed) return;
  }
  settle_flush_ = 0;
  settled_promise_->set_value(true);
  settled_promise_.reset();
}

std::vector<CloudLamp> CloudStandIn::lamps() const {
  std::vector<CloudLamp> out;
  out.reserve(lamps_.size());
  for (const auto& [id, l] : lamps_) out.push_back(l.seen);
  return out;
}

CloudTotals CloudStandIn::totals() const {
  CloudTotals t = totals_;
  t.disconnects = read(counters_.disconnects);
  t.settled = settled_;
  return t;
}

}  // namespace lampi::fleet
