// The course's EC2 side, for a fleet that has none: one MQTT client, on its own thread and
// io_context, that does what mqtt-daemon and the web page do (lampi-protocol.md, section 7)
// and keeps the cloud's view of every lamp for the end-of-run accounting.
//
// - Association: a lamp bridging with no association on record gets
//   {"associated": false, "code": "<32 hex>"} (QoS 2, retained), and `association_delay`
//   later, as if its user typed the code, {"associated": true}.
// - Web users: slider drags started at `web_sessions_per_second` across the fleet, each a
//   full-state set_config every 100 ms from "<random>_web_client", timed until the
//   lamp/changed that echoes that client reaches the cloud.
// - Observe mode does neither: it only listens (a real EC2 stack sends the commands).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "firmware_model/rng.hpp"
#include "fleet/cloud/web_page.hpp"
#include "fleet/config/fleet_config.hpp"
#include "fleet/engine/bridge_link.hpp"
#include "fleet/engine/fleet_engine.hpp"
#include "fleet/stats/cloud_accounting.hpp"
#include "fleet/stats/fleet_stats.hpp"

namespace lampi::fleet {

// Device IDs [first, first + count) are the stand-in's to act on and account for (this
// process's lamps); count 0: every lamp it hears of.
struct CloudScope {
  std::uint64_t first_id = 0;
  std::uint64_t count = 0;
  bool contains(std::uint64_t id) const {
    return count == 0 || (id >= first_id && id - first_id < count);
  }
};

// How the stand-in connects: to `at`, with the fleet's user name and password, and a
// persistent session taking the lamps' messages at QoS 1, so that a broker restart that
// keeps its sessions (persistence) loses nothing it owes the cloud. The stand-in forgets
// that session before its first connect (what an earlier run left is not this run's) and
// after its last (nothing stays queued for it on the user's broker).
LinkSettings cloud_link(const ResolvedBroker& at, const FleetConfig& config);

class CloudStandIn final : public LinkEvents {
 public:
  CloudStandIn(const CloudConfig& config, LinkSettings link, CloudScope scope, std::uint64_t seed,
               std::string client_id);
  ~CloudStandIn();
  CloudStandIn(const CloudStandIn&) = delete;
  CloudStandIn& operator=(const CloudStandIn&) = delete;

  // Starts the thread and connects; true once its subscriptions are in place (the broker
  // echoed a message sent after them), false when that did not happen within `wait`.
  bool start(std::chrono::milliseconds wait);
  // Before start(): a will later than this after its drop counts as late (the broker's
  // bound is 1.5 keepalives when the close never reached it; a margin on top).
  void set_will_bound(std::chrono::milliseconds bound) { will_bound_ = bound; }
  // Thread-safe: lamp `id` closed its connection without DISCONNECT at `dropped`; its will
  // is timed from then.
  void expect_will(std::uint64_t id, std::chrono::steady_clock::time_point dropped);
  // Thread-safe: no new web commands from now on; those in flight may still be answered.
  void stop_commands();
  std::uint64_t commands_pending() const;
  // Thread-safe, after the lamps have stopped: waits until the broker has delivered
  // everything it took before now (a message of our own, echoed) and every expected will
  // (lamp id -> wills it owes) has come, or until `wait` passes. True if both came; false
  // at once when the stand-in is not connected then.
  bool settle(std::unordered_map<std::uint64_t, std::uint64_t> expected_wills,
              std::chrono::milliseconds wait);
  // Thread-safe: its connection to the broker is up.
  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  // Ends the thread; what it kept can then be read.
  void stop();

  std::vector<CloudLamp> lamps() const;  // after stop()
  CloudTotals totals() const;            // after stop()
  const CloudCounters& counters() const { return counters_; }
  const std::string& client_id() const { return client_id_; }

 private:
  enum class Association : std::uint8_t { unknown, code_sent, associated };
  using Clock = std::chrono::steady_clock;
  struct Pending {
    std::string client;
    Clock::time_point sent;
  };
  struct Lamp {
    CloudLamp seen;
    Association association = Association::unknown;
    bool online = false;
    bool service_up = false;  // its lamp_service's connection state is 1
    bool in_session = false;
    WebLampView view;
    std::deque<Pending> pending;  // web commands awaiting their lamp/changed, in send order
    std::deque<Clock::time_point> wills_owed;  // drops whose will has not come, oldest first
    Clock::time_point unmatched_will{};        // a will that came before its drop was told
  };
  // A finger on one slider of one lamp's page.
  struct Session {
    std::uint64_t id;
    int slider;  // 0 hue, 1 saturation, 2 brightness
    std::string client;
    Clock::time_point next, end;
  };

  // The session's life: forgotten, then live, then forgotten again as the thread ends.
  enum class Phase : std::uint8_t { forgetting, live, closing };

  void run();
  void connect();
  // A clean-session connect under our client id, dropped once the broker has taken it: the
  // broker then holds no session of ours.
  void forget_session();
  void on_tick();
  void on_message(std::string_view topic, std::string_view payload, bool retained);
  void on_bridge_state(Lamp& lamp, std::string_view payload, bool retained);
  void on_changed(Lamp& lamp, std::string_view payload, bool retained);
  void drive_sessions(Clock::time_point now);
  void publish(const std::string& topic, const std::string& payload, int qos, bool retain);
  void send_flush();
  void check_settled();
  void time_will(Lamp& lamp, Clock::duration delay);
  Lamp& lamp(std::uint64_t id);

  void on_link_connected(BridgeLink& link) override;
  void on_link_refused(BridgeLink&, int) override {}
  void on_link_lost(BridgeLink& link, int reason) override;
  void on_link_message(BridgeLink& link, const mosquitto_message& msg) override;
  void on_link_acked(BridgeLink&, int) override {}
  void on_link_woke(BridgeLink&) override {}

  const CloudConfig config_;
  const LinkSettings settings_;
  const CloudScope scope_;
  const std::string client_id_;
  const std::string flush_topic_;
  model::Rng rng_;
  boost::asio::io_context io_{1};
  boost::asio::steady_timer tick_timer_{io_};
  BridgeLink link_{io_, *this, 0};
  BridgeLink forgetter_{io_, *this, 1};  // the clean-session connect of forget_session()
  Phase phase_ = Phase::forgetting;
  bool forgotten_ = false;  // the broker took forgetter_'s connect: drop it
  Clock::time_point closing_deadline_{};
  std::chrono::milliseconds will_bound_{std::chrono::seconds(95)};
  std::unordered_map<std::uint64_t, Lamp> lamps_;
  std::vector<std::uint64_t> known_;  // in scope, in the order first heard: sessions pick here
  std::vector<Session> sessions_;
  std::deque<std::pair<Clock::time_point, std::uint64_t>> to_associate_;  // due, lamp
  double session_credit_ = 0;
  Clock::time_point last_tick_{};
  Clock::time_point reconnect_at_{};
  bool commands_on_ = true;
  std::atomic<bool> stop_commands_{false};
  std::atomic<std::uint64_t> pending_{0};
  std::uint64_t flushes_sent_ = 0, flushes_seen_ = 0;
  // settle(): what it waits for, and whom to tell.
  std::unordered_map<std::uint64_t, std::uint64_t> expected_wills_;
  std::uint64_t settle_flush_ = 0;  // the flush number that settles; 0: not settling
  // Shared with the thread that waits, which may have stopped waiting.
  std::shared_ptr<std::promise<bool>> settled_promise_;
  std::shared_ptr<std::promise<bool>> ready_promise_;
  bool connected_once_ = false;
  std::atomic<bool> connected_{false};
  bool settled_ = true;
  CloudCounters counters_;
  CloudTotals totals_;
  std::thread thread_;
};

}  // namespace lampi::fleet
