// An MQTT client for tests that is independent of the fleet's own MQTT code: it
// runs libmosquitto's threaded loop, so a bug in the fleet's event loop cannot hide
// itself from the test that observes it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace lampi::testing {

struct ObservedMessage {
  std::string topic;
  std::string payload;  // bytes as received, may contain NULs
  int qos = 0;
  bool retain = false;
  std::chrono::steady_clock::time_point received;
};

struct ObserverOptions {
  bool clean_session = true;
  int keepalive_seconds = 60;
  // Bounds the waits inside connect(), subscribe() and publish(). disconnect() may
  // wait out one reconnect pause (1 s).
  std::chrono::milliseconds timeout{5000};
};

// After an unexpected disconnect the library loop reconnects by itself (every
// second) and the observer re-subscribes all filters before it counts as connected
// again. libmosquitto's loop uses select(): the observer refuses to connect if its
// sockets would land at fd >= FD_SETSIZE (1024), so create and connect it before a
// test opens thousands of sockets. An automatic reconnect cannot check that, and a
// loop that meets such an fd ends quietly: do not rely on reconnects while the test
// holds ~1000 fds.
class MqttObserver {
 public:
  MqttObserver();
  ~MqttObserver();
  MqttObserver(const MqttObserver&) = delete;
  MqttObserver& operator=(const MqttObserver&) = delete;
  MqttObserver(MqttObserver&&) = delete;
  MqttObserver& operator=(MqttObserver&&) = delete;

  // Starts a new session (dropping any previous connection and its filters; the
  // recorded messages stay). Returns after CONNACK; throws std::runtime_error on
  // refusal, connection failure or timeout.
  void connect(const std::string& host, std::uint16_t port, const std::string& client_id,
               ObserverOptions options = {});
  // Returns after SUBACK; throws if the broker rejects the filter or on timeout.
  void subscribe(const std::string& filter, int qos = 1);
  // QoS 0 returns once queued; QoS 1/2 return after PUBACK/PUBCOMP. Throws when
  // libmosquitto refuses the publish (e.g. while disconnected) or on timeout.
  void publish(const std::string& topic, std::string_view payload, int qos = 0,
               bool retain = false);
  // Clean MQTT DISCONNECT (no will), stops the loop thread. Safe to call repeatedly.
  void disconnect();

  std::vector<ObservedMessage> messages() const;
  void clear();
  // Waits until pred(all messages so far) holds. pred runs under the observer's lock:
  // it must not call the observer.
  bool wait_for(const std::function<bool(const std::vector<ObservedMessage>&)>& pred,
                std::chrono::milliseconds timeout);
  // The first message on exactly `topic` (already received or arriving in time).
  std::optional<ObservedMessage> wait_for_topic(std::string_view topic,
                                                std::chrono::milliseconds timeout);

  // Connected and every filter (re)subscribed.
  bool connected() const;
  bool wait_connected(std::chrono::milliseconds timeout);
  bool wait_disconnected(std::chrono::milliseconds timeout);
  // CONNACKs accepted since connect(), automatic reconnects included.
  int connect_count() const;

 private:
  static void on_connect(mosquitto* m, void* self, int rc);
  static void on_disconnect(mosquitto* m, void* self, int rc);
  static void on_subscribe(mosquitto* m, void* self, int mid, int count, const int* granted);
  static void on_publish(mosquitto* m, void* self, int mid);
  static void on_message(mosquitto* m, void* self, const mosquitto_message* msg);

  // Waits for the ack of `mid` (SUBACK: granted QoS, PUBACK/PUBCOMP: 0); on timeout
  // the late ack is dropped when it arrives.
  std::optional<int> wait_ack(int mid);
  void forget_ack(std::unique_lock<std::mutex>& lock, int mid);
  void require_client(const char* what) const;

  mosquitto* client_ = nullptr;  // touched by the test thread only
  std::string endpoint_;
  ObserverOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ObservedMessage> messages_;
  std::vector<std::pair<std::string, int>> filters_;
  std::map<int, int> acked_;     // mid -> granted QoS (0 for publishes), not yet claimed
  std::set<int> unwanted_acks_;  // mids whose acks nobody waits for
  std::set<int> resubscribing_;  // SUBACKs pending after a reconnect
  bool session_up_ = false;      // CONNACK accepted, not yet disconnected
  bool ready_ = false;           // session_up_ and resubscribed
  int connack_rc_ = 0;
  int connects_ = 0;
  int disconnects_ = 0;
};

}  // namespace lampi::testing
