// One worker thread: its own io_context, its own lamps (pinned for life), its own stats.
// Nothing on the per-message path is shared with another shard (Seastar's shard-per-core).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "firmware_model/lamp.hpp"
#include "firmware_model/lamp_storage.hpp"
#include "fleet/config/fleet_config.hpp"
#include "fleet/engine/bridge_link.hpp"
#include "fleet/engine/inflight_queue.hpp"
#include "fleet/engine/link_end.hpp"
#include "fleet/engine/tls_context.hpp"
#include "fleet/stats/cloud_accounting.hpp"
#include "fleet/stats/fleet_stats.hpp"

namespace lampi::fleet {

// Read-only for every shard of a run.
struct ShardContext {
  const FleetConfig* config = nullptr;
  LinkSettings link;
  std::vector<std::string> source_addresses;  // empty: let the kernel choose
  std::chrono::steady_clock::time_point epoch;
  std::size_t connects_in_flight_cap = 100;  // this shard's share of the fleet's cap
  std::size_t inflight_cap = 1000;           // unacknowledged publishes per lamp
  // Called on the shard's thread each time a lamp closes its bridged connection without
  // DISCONNECT (the broker then owes its will); must be thread-safe. Empty: nobody asks.
  std::function<void(std::uint64_t device_id, std::chrono::steady_clock::time_point)> on_own_drop;
};

class Shard final : public LinkEvents {
 public:
  Shard(unsigned index, const ShardContext& ctx);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // `stored`: what the lamp kept from a previous run (its state file), or null: a new lamp.
  void add_lamp(std::uint64_t fleet_index, model::DeviceId id, std::uint64_t seed,
                model::Profile profile, model::VirtualTime power_on_at,
                const model::StoredLamp* stored = nullptr);
  void start();
  // Thread-safe: every lamp powers off as `mode` says, then the thread ends within the
  // configured stop timeout.
  void request_stop(StopMode mode);
  // Thread-safe: the broker is about to be restarted for faults.events[event]. What its
  // lamps send until each is bridged again is the fleet's fault, as after a kill.
  void expect_broker_restart(std::size_t event);
  void join();
  bool done() const { return done_.load(std::memory_order_acquire); }
  // Thread-safe: what every lamp of this shard stores, read on the shard's own thread
  // while it runs (waiting at most `wait`; nothing when it did not answer in time) or at
  // once when it is not running.
  std::optional<model::StoredLamps> stored_lamps(std::chrono::milliseconds wait);

 private:
  model::StoredLamps collect_stored() const;
  model::StoredLamps final_stored_;  // at the end of run(), when there is a state file

 public:
  // Every lamp's side of the cloud accounting, once the shard has finished (empty when the
  // run has no cloud stand-in).
  const std::vector<LampLedger>& ledgers() const { return final_ledgers_; }

 private:
  std::vector<LampLedger> final_ledgers_;

 public:
  FleetStats& stats() { return stats_; }
  const FleetStats& stats() const { return stats_; }
  unsigned index() const { return index_; }

  std::size_t lamp_count() const { return lamps_.size(); }

 private:
  struct LampSlot {
    LampSlot(boost::asio::io_context& io, LinkEvents& events, std::uint32_t slot)
        : link(io, events, slot) {}
    model::Lamp lamp;
    BridgeLink link;
    InFlightQueue inflight;
    model::VirtualTime power_on_at{};
    model::VirtualTime queued_deadline = model::kNever;
    model::VirtualTime connect_requested{};
    std::uint64_t fleet_index = 0;
    LampPhase phase = LampPhase::off;
    bool holds_connect_slot = false;
    int connack_code = 0;  // CONNACK said no; the disconnect that follows says why
    bool ever_connected = false;
    std::uint8_t losses_in_a_row = 0;  // bridged, lost, straight back in: again and again
    bool counted_flapping = false;
    bool bridged_at_stop = false;
    bool injected_drop = false;  // faults.events closed this connection
    bool will_owed = false;      // this connection was closed without DISCONNECT: counted once
    bool cycling = false;        // powered off by faults.churn_per_hour, back at cycle_on_at
    model::VirtualTime cycle_on_at{};
    model::VirtualTime stalled_until = model::kNever;  // faults.events stall: socket unread
    bool offline_by_fault = false;  // an injected kill closed its connection; not back yet
    // Publishes scheduled before this waited in the bridge through an injected kill.
    model::VirtualTime fault_until{};
    // Kept only with a cloud stand-in (keeps_ledgers()).
    MessageTally acked;
    std::uint32_t unconfirmed = 0, unconfirmed_at_power_off = 0;
    std::uint32_t commands_received = 0, connects = 0, own_drops = 0;
  };
  struct Deadline {
    model::VirtualTime at;
    std::uint32_t slot;
    bool operator>(const Deadline& o) const { return at > o.at; }
  };

  model::VirtualTime now() const;
  bool keeps_ledgers() const { return ctx_.config->cloud.mode != CloudMode::off; }
  void collect_ledgers();
  void run();
  void schedule(LampSlot& slot);
  void push_deadline(model::VirtualTime at, std::uint32_t slot);
  void arm_wake();
  void on_wake();
  void on_second();
  void service(LampSlot& slot, model::VirtualTime t);
  // `from_command`: the actions answer a cloud set_config (for the round-trip histogram).
  void execute(LampSlot& slot, model::VirtualTime t, bool from_command = false);
  void publish(LampSlot& slot, const model::RemoteAction& a, bool from_command);
  void request_connect(LampSlot& slot);
  void start_connect(LampSlot& slot);
  void release_connect_slot(LampSlot& slot);
  void pump_connect_queue();
  void set_phase(LampSlot& slot, LampPhase phase);
  // Counts how the slot's connection ended (or failed to begin); the first few of each
  // reason also go to the log, in words.
  DisconnectReason count_link_end(LampSlot& slot, int mosquitto_rc);
  // This lamp's TLS record, or null on plain TCP.
  TlsPeer* tls_peer(const LampSlot& slot);
  void record_response(const InFlight& f, std::int64_t latency_us);
  void note_flapping(LampSlot& slot, DisconnectReason why);
  void count_unacknowledged();
  // faults: the churn's power cycles, the events due by `t`, the stalls that are over.
  void apply_faults(model::VirtualTime t);
  void inject(std::size_t event, model::VirtualTime t);
  void power_cycle(LampSlot& slot, model::VirtualTime t);
  void back_on_later(LampSlot& slot);
  // Closes the bridged connection without DISCONNECT; the broker then owes its will.
  void drop_link(LampSlot& slot);
  void begin_stop(StopMode mode);
  void check_stopped();

  void on_link_connected(BridgeLink& link) override;
  void on_link_refused(BridgeLink& link, int connack_code) override;
  void on_link_lost(BridgeLink& link, int reason) override;
  void on_link_message(BridgeLink& link, const mosquitto_message& msg) override;
  void on_link_acked(BridgeLink& link, int mid) override;
  void on_link_woke(BridgeLink&) override { bump(stats_.socket_wakeups); }

  unsigned index_;
  const ShardContext& ctx_;
  boost::asio::io_context io_{1};
  boost::asio::steady_timer wake_timer_{io_};
  boost::asio::steady_timer second_timer_{io_};
  model::VirtualTime wake_armed_at_ = model::kNever;
  std::chrono::steady_clock::time_point second_due_{};
  // With TLS only, one per lamp, by slot; filled before the thread starts, so the SSLs
  // can point into it. Declared before lamps_ so it outlives their SSLs.
  std::vector<TlsPeer> tls_peers_;
  std::unique_ptr<PrivateKeyDecoder> key_decoder_;  // TLS only: this thread's, for every handshake
  std::deque<LampSlot> lamps_;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  std::deque<std::uint32_t> connect_queue_;
  std::size_t connects_in_flight_ = 0;
  model::Effects fx_;
  FleetStats stats_;
  FleetStats::Interval interval_;
  bool stopping_ = false;
  model::Rng fault_rng_;
  double churn_credit_ = 0;
  std::size_t next_fault_ = 0;
  std::size_t stalled_ = 0;
  bool in_wake_ = false;  // on_wake re-arms once at its end
  model::VirtualTime stop_deadline_ = model::kNever;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace lampi::fleet
