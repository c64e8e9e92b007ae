#include "fleet/engine/shard.hpp"

#include <time.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <future>

namespace lampi::fleet {

namespace asio = boost::asio;
using model::VirtualTime;

namespace {
constexpr auto kSecond = std::chrono::seconds(1);
constexpr auto kStopPoll = std::chrono::milliseconds(20);

// Bridged connections lost this many times in a row, each reconnect let straight in.
constexpr std::uint8_t kFlapsForDuplicate = 3;
}  // namespace

Shard::Shard(unsigned index, const ShardContext& ctx)
    : index_(index),
      ctx_(ctx),
      fault_rng_(model::Rng::derive(ctx.config->seed ^ 0xfa017,
                                    ctx.config->shard.index.value_or(0) * 4096 + index)) {
  // OpenSSL's decoders take about a megabyte once set up: only TLS fleets pay for them.
  if (ctx_.link.ssl_ctx) key_decoder_ = std::make_unique<PrivateKeyDecoder>();
}

Shard::~Shard() {
  if (thread_.joinable()) {
    request_stop(StopMode::power_loss);
    thread_.join();
  }
}

VirtualTime Shard::now() const {
  return model::at(
      std::chrono::duration_cast<model::Duration>(std::chrono::steady_clock::now() - ctx_.epoch));
}

void Shard::add_lamp(std::uint64_t fleet_index, model::DeviceId id, std::uint64_t seed,
                     model::Profile profile, VirtualTime power_on_at,
                     const model::StoredLamp* stored) {
  auto slot_index = static_cast<std::uint32_t>(lamps_.size());
  auto& slot = lamps_.emplace_back(io_, *this, slot_index);
  slot.lamp = model::make_lamp(id, seed, profile);
  if (stored) model::restore(slot.lamp, *stored);
  slot.power_on_at = power_on_at;
  const auto settled = power_on_at + std::chrono::seconds(kRampSettleSeconds);
  stats_.steady_from_us = std::max(stats_.steady_from_us, (settled - model::VirtualTime{}).count());
  slot.fleet_index = fleet_index;
  if (ctx_.link.ssl_ctx) tls_peers_.push_back({.id = id, .keys = key_decoder_.get()});
  stats_.lamps_by_phase[static_cast<std::size_t>(LampPhase::off)].fetch_add(1);
  push_deadline(power_on_at, slot_index);
}

model::StoredLamps Shard::collect_stored() const {
  model::StoredLamps out;
  for (const auto& slot : lamps_) out.emplace(slot.lamp.id.value, model::stored_part(slot.lamp));
  return out;
}

std::optional<model::StoredLamps> Shard::stored_lamps(std::chrono::milliseconds wait) {
  if (done()) return final_stored_;  // written before done_ was released
  if (!thread_.joinable()) return collect_stored();
  // Posted to the shard's loop, which owns the lamps; a loop that ends first never runs it.
  auto answer = std::make_shared<std::promise<model::StoredLamps>>();
  auto future = answer->get_future();
  asio::post(io_, [this, answer] { answer->set_value(collect_stored()); });
  if (future.wait_for(wait) != std::future_status::ready) return std::nullopt;
  return future.get();
}

void Shard::start() {
  thread_ = std::thread([this] { run(); });
}

void Shard::join() {
  if (thread_.joinable()) thread_.join();
}

void Shard::request_stop(StopMode mode) {
  asio::post(io_, [this, mode] { begin_stop(mode); });
}

void Shard::expect_broker_restart(std::size_t event) {
  asio::post(io_, [this, event] {
    if (stopping_) return;
    for (auto& slot : lamps_) {
      if (!slot.lamp.powered) continue;
      if (slot.phase == LampPhase::bridged) {
        bump(stats_.fault_lamps[event]);
        slot.injected_drop = true;  // the close that comes is the restart's
      }
      slot.offline_by_fault = true;
      slot.fault_until = model::kNever;  // until it is bridged again
      slot.inflight.mark_fault();
    }
  });
}

void Shard::run() {
  second_due_ = std::chrono::steady_clock::now() + kSecond;
  second_timer_.expires_at(second_due_);
  second_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_second();
  });
  arm_wake();
  io_.run();
  count_unacknowledged();
  // What the lamps keep outlives them, for the state file's last save.
  if (!ctx_.config->state_file.empty()) final_stored_ = collect_stored();
  if (keeps_ledgers()) collect_ledgers();
  // Destroy the libmosquitto clients on their own thread.
  lamps_.clear();
  done_.store(true, std::memory_order_release);
}

void Shard::collect_ledgers() {
  final_ledgers_.reserve(lamps_.size());
  for (const auto& slot : lamps_)
    final_ledgers_.push_back({.device_id = slot.lamp.id.value,
                              .acked = slot.acked,
                              .unconfirmed = slot.unconfirmed,
                              .unconfirmed_at_power_off = slot.unconfirmed_at_power_off,
                              .commands_received = slot.commands_received,
                              .connects = slot.connects,
                              .own_drops = slot.own_drops,
                              .bridged_at_end = slot.bridged_at_stop,
                              .changed = model::render_changed(slot.lamp.state)});
}

void Shard::push_deadline(VirtualTime at, std::uint32_t slot) {
  deadlines_.push({at, slot});
}

void Shard::schedule(LampSlot& slot) {
  VirtualTime next = model::next_deadline(slot.lamp);
  if (next == model::kNever || next == slot.queued_deadline) return;
  slot.queued_deadline = next;
  push_deadline(next, slot.link.lamp_slot());
  if (!in_wake_ && next < wake_armed_at_) arm_wake();
}

void Shard::arm_wake() {
  if (deadlines_.empty()) {
    wake_armed_at_ = model::kNever;
    return;
  }
  // Wake on whole milliseconds: under load many lamps fall due in the same millisecond
  // and one wake-up (one timerfd update) serves them all. Being up to 1 ms late shows
  // in the schedule lag, as it should.
  VirtualTime at = std::chrono::ceil<std::chrono::milliseconds>(deadlines_.top().at);
  if (at == wake_armed_at_) return;
  wake_armed_at_ = at;
  wake_timer_.expires_at(ctx_.epoch + at.time_since_epoch());
  wake_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_wake();
  });
}

void Shard::on_wake() {
  wake_armed_at_ = model::kNever;
  in_wake_ = true;
  VirtualTime t = now();
  while (!deadlines_.empty() && deadlines_.top().at <= t) {
    auto [at, index] = deadlines_.top();
    deadlines_.pop();
    LampSlot& slot = lamps_[index];
    if (slot.queued_deadline == at) slot.queued_deadline = model::kNever;
    if (slot.phase == LampPhase::off) {
      if (stopping_) continue;
      set_phase(slot, LampPhase::booting);
      fx_.clear();
      // Powered on when the hatch plan said, even if this wake ran late, so the
      // lamp's whole schedule keeps to the plan rather than to our lag.
      model::power_on(slot.lamp, ctx_.config->model, at, fx_);
      execute(slot, t);
      schedule(slot);
      continue;
    }
    if (model::next_deadline(slot.lamp) <= t) service(slot, t);
  }
  in_wake_ = false;
  arm_wake();
}

void Shard::service(LampSlot& slot, VirtualTime t) {
  // The generator's own lag: how late this lamp's timer ran. (A message that waited in
  // the bridge queue while the link was down is late because of the link, not us.)
  auto lag = (t - model::next_deadline(slot.lamp)).count();
  stats_.schedule_lag.record(lag);
  bool ramping = (t - model::VirtualTime{}).count() < stats_.steady_from_us;
  (ramping ? stats_.schedule_lag_ramp : stats_.schedule_lag_steady).record(lag);
  stats_.schedule_lag_exported.record(lag);
  interval_.schedule_lag.record(lag);
  fx_.clear();
  model::advance(slot.lamp, ctx_.config->model, t, fx_);
  execute(slot, t);
  schedule(slot);
}

void Shard::execute(LampSlot& slot, VirtualTime t, bool from_command) {
  for (const auto& obs : fx_.observations) {
    switch (obs.kind) {
      case model::ObservationKind::set_config_ignored:
      case model::ObservationKind::set_config_rejected:
        bump(stats_.set_config_invalid[obs.detail]);
        break;
      case model::ObservationKind::service_crashed:
        bump(stats_.set_config_invalid[obs.detail]);
        bump(stats_.service_crashes);
        break;
      case model::ObservationKind::service_restarted:
        bump(stats_.service_restarts);
        break;
      case model::ObservationKind::bridge_dropped:
        bump(stats_.bridge_dropped);
        break;
      case model::ObservationKind::bridge_queued:
        bump(stats_.bridge_queued);
        break;
      case model::ObservationKind::message_too_large:
        bump(stats_.set_config_invalid[static_cast<std::size_t>(model::InvalidClass::too_large)]);
        break;
    }
  }
  for (const auto& a : fx_.remote) {
    switch (a.kind) {
      case model::RemoteKind::connect:
        slot.connect_requested = t;
        request_connect(slot);
        break;
      case model::RemoteKind::publish:
        publish(slot, a, from_command);
        break;
      case model::RemoteKind::subscribe:
        slot.link.subscribe(model::remote_topic(a.topic, slot.lamp.id), a.qos);
        break;
      case model::RemoteKind::disconnect:
        drop_link(slot);
        break;
    }
  }
  fx_.clear();
}

void Shard::publish(LampSlot& slot, const model::RemoteAction& a, bool from_command) {
  auto& topic = stats_.topics[model::index_of(a.topic)];
  bump(topic.requests);
  if (a.qos > 0 && slot.inflight.size() >= ctx_.inflight_cap) {
    // libmosquitto would queue without bound: the lamp's own cap decides instead.
    bump(stats_.inflight_dropped);
    count_failure(topic, FailureReason::inflight_cap);
    ++slot.unconfirmed;
    return;
  }
  const std::string remote = model::remote_topic(a.topic, slot.lamp.id);
  int mid = slot.link.publish(remote, a.payload, a.qos, a.retain);
  if (mid < 0) {
    count_failure(topic, FailureReason::not_sent);
    if (a.qos > 0) ++slot.unconfirmed;
    return;
  }
  if (a.qos > 0) {
    slot.inflight.push(
        {.mid = mid,
         .topic = a.topic,
         .scheduled = a.scheduled,
         .from_command = from_command && a.topic == model::Topic::changed,
         .digest = keeps_ledgers() ? message_digest(remote, a.payload) : 0,
         .fault = slot.stalled_until != model::kNever || a.scheduled < slot.fault_until});
    stats_.inflight.fetch_add(1, std::memory_order_relaxed);
  } else {
    bump(topic.acked);
  }
}

void Shard::request_connect(LampSlot& slot) {
  if (stopping_) return;
  if (connects_in_flight_ < ctx_.connects_in_flight_cap) {
    start_connect(slot);
    return;
  }
  connect_queue_.push_back(slot.link.lamp_slot());
}

void Shard::start_connect(LampSlot& slot) {
  set_phase(slot, LampPhase::connecting);
  bump(stats_.connect_attempts);
  const char* bind = nullptr;
  if (!ctx_.source_addresses.empty())
    bind = ctx_.source_addresses[slot.fleet_index % ctx_.source_addresses.size()].c_str();
  auto id = slot.lamp.id;
  slot.holds_connect_slot = true;
  ++connects_in_flight_;
  if (slot.link.connect(ctx_.link, model::bridge_client_id(id),
                        model::remote_topic(model::Topic::bridge_state, id), bind, tls_peer(slot)))
    return;
  // Failed at once (e.g. no route, or a handshake that failed inside the call): treat it
  // as a connection lost before CONNACK.
  release_connect_slot(slot);
  count_link_end(slot, MOSQ_ERR_ERRNO);
  set_phase(slot, LampPhase::backing_off);
  fx_.clear();
  model::on_remote_disconnected(slot.lamp, ctx_.config->model, now(), fx_);
  schedule(slot);
}

void Shard::release_connect_slot(LampSlot& slot) {
  if (!slot.holds_connect_slot) return;
  slot.holds_connect_slot = false;
  --connects_in_flight_;
  if (!connect_queue_.empty()) asio::post(io_, [this] { pump_connect_queue(); });
}

void Shard::pump_connect_queue() {
  while (!stopping_ && !connect_queue_.empty() &&
         connects_in_flight_ < ctx_.connects_in_flight_cap) {
    LampSlot& slot = lamps_[connect_queue_.front()];
    connect_queue_.pop_front();
    if (slot.lamp.powered && slot.link.state() == BridgeLink::State::idle) start_connect(slot);
  }
}

TlsPeer* Shard::tls_peer(const LampSlot& slot) {
  return tls_peers_.empty() ? nullptr : &tls_peers_[slot.link.lamp_slot()];
}

DisconnectReason Shard::count_link_end(LampSlot& slot, int mosquitto_rc) {
  const TlsPeer* tls = tls_peer(slot);
  LinkEnd end{.powered = slot.lamp.powered,
              .had_bridged = slot.phase == LampPhase::bridged,
              .connack_code = slot.connack_code,
              .tls = tls ? tls->failure : TlsFailure::none,
              .tls_answered = tls && tls->answered,
              .sys_errno = slot.link.last_errno(),
              .mosquitto_rc = mosquitto_rc,
              .injected = slot.injected_drop};
  slot.connack_code = 0;
  slot.injected_drop = false;
  DisconnectReason why = classify(end);
  auto i = static_cast<std::size_t>(why);
  bump(stats_.disconnects[i]);
  if (is_failure(why) && read(stats_.disconnects[i]) <= kFailureNotesPerReason)
    interval_.failure_notes.push_back({why, slot.lamp.id.str(), describe(end)});
  note_flapping(slot, why);
  return why;
}

void Shard::set_phase(LampSlot& slot, LampPhase phase) {
  if (slot.phase == phase) return;
  stats_.move_phase(slot.phase, phase);
  slot.phase = phase;
}

void Shard::on_link_connected(BridgeLink& link) {
  LampSlot& slot = lamps_[link.lamp_slot()];
  release_connect_slot(slot);
  bump(stats_.connects);
  ++slot.connects;
  slot.will_owed = false;
  if (slot.offline_by_fault) {
    slot.offline_by_fault = false;
    slot.fault_until = now();  // what the bridge queued meanwhile goes out now
  }
  if (slot.ever_connected) bump(stats_.reconnects);
  slot.ever_connected = true;
  set_phase(slot, LampPhase::bridged);
  VirtualTime t = now();
  stats_.bridge_up.record((t - slot.connect_requested).count());
  fx_.clear();
  model::on_remote_connected(slot.lamp, ctx_.config->model, t, fx_);
  execute(slot, t);
  schedule(slot);
}

void Shard::on_link_refused(BridgeLink& link, int connack_code) {
  lamps_[link.lamp_slot()].connack_code = connack_code;
}

void Shard::on_link_lost(BridgeLink& link, int reason) {
  LampSlot& slot = lamps_[link.lamp_slot()];
  release_connect_slot(slot);
  if (count_link_end(slot, reason) == DisconnectReason::power_off) {
    // The lamp closed its own connection with these still unanswered (a real bridge's
    // power-off does the same): never known to have failed, never timed, counted apart.
    slot.inflight.drain([this, &slot](const InFlight&) {
      ++slot.unconfirmed_at_power_off;
      bump(stats_.unacked_at_power_off);
      stats_.inflight.fetch_sub(1, std::memory_order_relaxed);
    });
  }
  if (slot.stalled_until != model::kNever) {
    slot.stalled_until = model::kNever;
    --stalled_;
  }
  if (slot.cycling && !stopping_) {
    back_on_later(slot);
    return;
  }
  if (!slot.lamp.powered || stopping_) {
    set_phase(slot, LampPhase::stopped);
    return;
  }
  set_phase(slot, LampPhase::backing_off);
  fx_.clear();
  model::on_remote_disconnected(slot.lamp, ctx_.config->model, now(), fx_);
  fx_.clear();  // only timers change here
  schedule(slot);
}

void Shard::on_link_message(BridgeLink& link, const mosquitto_message& msg) {
  LampSlot& slot = lamps_[link.lamp_slot()];
  std::string_view topic_text = msg.topic ? msg.topic : "";
  if (auto topic = model::topic_from_remote(topic_text, slot.lamp.id)) {
    bump(stats_.topics[model::index_of(*topic)].received);
    if (*topic == model::Topic::set_config && !msg.retain) ++slot.commands_received;
  }
  std::string_view payload(static_cast<const char*>(msg.payload),
                           static_cast<std::size_t>(msg.payloadlen));
  VirtualTime t = now();
  fx_.clear();
  model::on_remote_message(slot.lamp, ctx_.config->model, t, topic_text, payload,
                           static_cast<std::uint8_t>(msg.qos), msg.retain, fx_);
  execute(slot, t, true);
  schedule(slot);
}

void Shard::on_link_acked(BridgeLink& link, int mid) {
  LampSlot& slot = lamps_[link.lamp_slot()];
  InFlight f{};
  if (!slot.inflight.take(mid, f)) return;  // QoS 0
  if (keeps_ledgers()) slot.acked.add(f.digest);
  auto latency = (now() - f.scheduled).count();
  auto& topic = stats_.topics[model::index_of(f.topic)];
  stats_.inflight.fetch_sub(1, std::memory_order_relaxed);
  auto timeout = std::chrono::duration_cast<model::Duration>(ctx_.config->response_timeout).count();
  if (f.fault) {
    // The fleet's own fault held it back: not a response time of the broker's.
    bump(stats_.fault_delayed);
    if (f.late) return;
    if (latency > timeout)
      count_failure(topic, FailureReason::fleet_fault);
    else
      bump(topic.acked);
    return;
  }
  record_response(f, latency);
  interval_.response.record(latency);
  if (f.late) {  // its failure was counted when the timeout passed
    bump(stats_.late_acks);
    return;
  }
  if (latency > timeout) {
    count_failure(topic, FailureReason::timeout);
    bump(stats_.timeouts);
  } else {
    bump(topic.acked);
  }
}

void Shard::note_flapping(LampSlot& slot, DisconnectReason why) {
  // Mosquitto closes the older of two connections with one client id; the other lamp's
  // reconnect then closes ours, and so on: the broker lets each straight back in, unlike
  // an outage, where reconnects are refused or time out.
  if (why == DisconnectReason::session_taken_over) {
    slot.losses_in_a_row = kFlapsForDuplicate;
  } else if (why == DisconnectReason::lost && slot.phase == LampPhase::bridged) {
    if (slot.losses_in_a_row < kFlapsForDuplicate) ++slot.losses_in_a_row;
  } else if (why != DisconnectReason::power_off) {
    slot.losses_in_a_row = 0;  // a refused or failed reconnect: the broker is in trouble
  }
  if (slot.losses_in_a_row >= kFlapsForDuplicate && !slot.counted_flapping) {
    slot.counted_flapping = true;
    bump(stats_.lamps_flapping);
  }
}

void Shard::record_response(const InFlight& f, std::int64_t latency_us) {
  auto& latency = stats_.latency[model::index_of(f.topic)];
  latency.response.record(latency_us);
  latency.exported.record(latency_us);
  if (f.from_command) stats_.command_round_trip.record(latency_us);
}

void Shard::on_second() {
  auto actual = std::chrono::steady_clock::now();
  stats_.loop_lag_us.store(
      std::chrono::duration_cast<std::chrono::microseconds>(actual - second_due_).count(),
      std::memory_order_relaxed);
  timespec cpu{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
    stats_.worker_cpu_us.store(cpu.tv_sec * 1000000 + cpu.tv_nsec / 1000,
                               std::memory_order_relaxed);
  VirtualTime t = now();
  auto timeout = std::chrono::duration_cast<model::Duration>(ctx_.config->response_timeout);
  std::int64_t queued = 0;
  for (auto& slot : lamps_) {
    slot.link.tick();
    slot.inflight.release_spare();
    queued += static_cast<std::int64_t>(slot.lamp.bridge.queue.size());
    // Publishes still unacknowledged past the timeout are failures, as in the seed's
    // Locust test; a PUBACK that comes later still gives its time to the percentiles.
    slot.inflight.expire(t, timeout, [this](const InFlight& f) {
      auto& topic = stats_.topics[model::index_of(f.topic)];
      if (f.fault) {
        count_failure(topic, FailureReason::fleet_fault);
        return;
      }
      count_failure(topic, FailureReason::timeout);
      bump(stats_.timeouts);
    });
  }
  apply_faults(t);
  stats_.bridge_queue_depth.store(queued, std::memory_order_relaxed);
  stats_.publish_interval(interval_);
  second_due_ += kSecond;
  second_timer_.expires_at(second_due_);
  second_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_second();
  });
}

void Shard::apply_faults(VirtualTime t) {
  if (stopping_) return;
  const FaultsConfig& f = ctx_.config->faults;
  if (f.churn_per_hour > 0) {
    churn_credit_ += f.churn_per_hour / 3600.0 * static_cast<double>(lamps_.size());
    while (churn_credit_ >= 1.0) {
      churn_credit_ -= 1.0;
      // A lamp that is up, at random; a few tries, then the cycle is skipped.
      for (int attempt = 0; attempt < 8; ++attempt) {
        auto i = static_cast<std::size_t>(
            fault_rng_.between(std::int64_t{0}, static_cast<std::int64_t>(lamps_.size()) - 1));
        if (lamps_[i].phase != LampPhase::bridged || lamps_[i].cycling) continue;
        power_cycle(lamps_[i], t);
        break;
      }
    }
  }
  const auto since_start = t - VirtualTime{};
  while (next_fault_ < f.events.size() &&
         since_start >= std::chrono::duration_cast<model::Duration>(f.events[next_fault_].at))
    inject(next_fault_++, t);
  if (stalled_ == 0) return;
  for (auto& slot : lamps_) {
    if (slot.stalled_until > t) continue;
    slot.stalled_until = model::kNever;
    --stalled_;
    slot.link.pause_reading(false);
  }
}

void Shard::inject(std::size_t event, VirtualTime t) {
  const FaultEvent& e = ctx_.config->faults.events[event];
  if (e.kind == FaultKind::restart) return;  // the run loop restarts the broker, and says so
  const double share = e.kind == FaultKind::storm ? 1.0 : e.share;
  for (auto& slot : lamps_) {
    if (slot.phase != LampPhase::bridged || slot.stalled_until != model::kNever) continue;
    if (share < 1.0 && !fault_rng_.chance(share)) continue;
    bump(stats_.fault_lamps[event]);
    if (e.kind == FaultKind::stall) {
      slot.stalled_until = t + std::chrono::duration_cast<model::Duration>(e.lasting);
      ++stalled_;
      slot.link.pause_reading(true);
      slot.inflight.mark_fault();  // their PUBACKs wait in the unread socket now
      continue;
    }
    // A dropped network, not a power-off: the lamp backs off and reconnects, and the
    // broker owes the cloud its will.
    slot.injected_drop = true;
    slot.offline_by_fault = true;
    slot.inflight.mark_fault();
    drop_link(slot);
  }
}

void Shard::drop_link(LampSlot& slot) {
  // Once per connection, however many causes close it before the close is seen.
  if (slot.link.state() == BridgeLink::State::connected && !slot.will_owed) {
    slot.will_owed = true;
    ++slot.own_drops;
    if (ctx_.on_own_drop) ctx_.on_own_drop(slot.lamp.id.value, std::chrono::steady_clock::now());
  }
  slot.link.drop();
}

void Shard::power_cycle(LampSlot& slot, VirtualTime t) {
  const FaultsConfig& f = ctx_.config->faults;
  bump(stats_.lamps_cycled);
  slot.cycling = true;
  slot.cycle_on_at = t + model::Duration(fault_rng_.between(
                             static_cast<std::int64_t>(f.churn_off_time.min.count()),
                             static_cast<std::int64_t>(f.churn_off_time.max.count())));
  fx_.clear();
  model::power_off(slot.lamp, ctx_.config->model, t,
                   fault_rng_.chance(f.churn_power_loss) ? model::PowerOff::power_loss
                                                         : model::PowerOff::graceful,
                   fx_);
  execute(slot, t);
  if (!slot.link.has_socket()) back_on_later(slot);
}

void Shard::back_on_later(LampSlot& slot) {
  // Off until its time comes; on_wake then powers it on as at its first hatch.
  slot.cycling = false;
  set_phase(slot, LampPhase::off);
  push_deadline(slot.cycle_on_at, slot.link.lamp_slot());
  if (!in_wake_ && slot.cycle_on_at < wake_armed_at_) arm_wake();
}

void Shard::begin_stop(StopMode mode) {
  if (stopping_) return;
  stopping_ = true;
  connect_queue_.clear();
  VirtualTime t = now();
  stop_deadline_ = t + std::chrono::duration_cast<model::Duration>(ctx_.config->stop_timeout);
  auto how = mode == StopMode::graceful ? model::PowerOff::graceful : model::PowerOff::power_loss;
  std::uint64_t unsent = 0;
  for (auto& slot : lamps_) {
    unsent += slot.lamp.bridge.queue.size();
    slot.unconfirmed += static_cast<std::uint32_t>(slot.lamp.bridge.queue.size());
    slot.bridged_at_stop = slot.phase == LampPhase::bridged;
  }
  bump(stats_.unsent_at_stop, unsent);  // what powering off is about to discard
  for (auto& slot : lamps_) {
    if (slot.lamp.powered) {
      fx_.clear();
      model::power_off(slot.lamp, ctx_.config->model, t, how, fx_);
      execute(slot, t);
    }
    if (!slot.link.has_socket()) set_phase(slot, LampPhase::stopped);
  }
  check_stopped();
}

void Shard::count_unacknowledged() {
  // A publish never acknowledged is a failure (unless its timeout already made it one), and
  // it waited at least until now: that wait goes into the percentiles as a lower bound.
  VirtualTime t = now();
  for (auto& slot : lamps_) {
    slot.inflight.drain([&](const InFlight& f) {
      ++slot.unconfirmed;
      bump(stats_.unacked_at_end);
      if (f.fault) {
        if (!f.late)
          count_failure(stats_.topics[model::index_of(f.topic)], FailureReason::fleet_fault);
        stats_.inflight.fetch_sub(1, std::memory_order_relaxed);
        return;
      }
      record_response(f, (t - f.scheduled).count());
      if (!f.late)
        count_failure(stats_.topics[model::index_of(f.topic)], FailureReason::unacknowledged);
      stats_.inflight.fetch_sub(1, std::memory_order_relaxed);
    });
  }
}

void Shard::check_stopped() {
  bool open = false;
  for (auto& slot : lamps_) {
    if (slot.link.has_socket()) {
      open = true;
      break;
    }
  }
  if (!open || now() >= stop_deadline_) {
    io_.stop();
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(io_, kStopPoll);
  timer->async_wait([this, timer](const boost::system::error_code&) { check_stopped(); });
}

}  // namespace lampi::fleet
