// One lamp's bridge connection to the cloud broker: a libmosquitto client driven by the
// shard's Boost.Asio loop through libmosquitto's external-loop API (never its own
// threads or select()).
#pragma once

#include <mosquitto.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "fleet/engine/tls_context.hpp"

namespace lampi::fleet {

class BridgeLink;

// What a link reports to its owner. Called on the shard's thread, possibly from inside
// a libmosquitto callback: implementations must not connect, destroy or drop the link.
class LinkEvents {
 public:
  virtual void on_link_connected(BridgeLink& link) = 0;
  virtual void on_link_refused(BridgeLink& link, int connack_code) = 0;
  virtual void on_link_lost(BridgeLink& link, int reason) = 0;
  virtual void on_link_message(BridgeLink& link, const mosquitto_message& msg) = 0;
  virtual void on_link_acked(BridgeLink& link, int mid) = 0;
  // The link's socket became readable or writable and woke the loop: a shard spinning on a
  // socket shows as thousands of these a second, a healthy one as a few per packet.
  virtual void on_link_woke(BridgeLink& link) = 0;

 protected:
  ~LinkEvents() = default;
};

// What every link of a fleet shares (read-only while running).
struct LinkSettings {
  std::string host;  // numeric, resolved once
  int port = 1883;
  int keepalive_seconds = 60;
  bool clean_session = false;
  bool mqtt5 = false;
  std::string username;
  std::string password;
  void* ssl_ctx = nullptr;  // a shared SSL_CTX, or null for plain TCP
};

class BridgeLink {
 public:
  enum class State : std::uint8_t { idle, connecting, connected };

  BridgeLink(boost::asio::io_context& io, LinkEvents& events, std::uint32_t lamp_slot);
  ~BridgeLink();
  BridgeLink(const BridgeLink&) = delete;
  BridgeLink& operator=(const BridgeLink&) = delete;
  BridgeLink(BridgeLink&&) = delete;

  // Starts a non-blocking connect. False when it failed at once (nothing to wait for).
  // An empty `will_topic` sets no will.
  // With TLS, `tls_peer` names the lamp to its handshakes and collects why one failed.
  bool connect(const LinkSettings& settings, const std::string& client_id,
               const std::string& will_topic, const char* bind_address,
               TlsPeer* tls_peer = nullptr);
  // Returns the message id (0 for QoS 0), or -1 when libmosquitto refused it.
  int publish(const std::string& topic, std::string_view payload, int qos, bool retain);
  bool subscribe(const std::string& topic, int qos);
  // Ends the connection without an MQTT DISCONNECT, so the broker fires the will.
  void drop();
  // Stops (true) or resumes reading the socket, as a hung lamp would: what the broker
  // sends waits in the kernel until then. A drop() resumes it, to see its own close.
  void pause_reading(bool paused);
  // Keepalive and CONNACK timeout; call about once a second.
  void tick();

  State state() const { return state_; }
  std::uint32_t lamp_slot() const { return lamp_slot_; }
  // True while a socket is open (a dropped link stays open until the close is seen).
  bool has_socket() const { return socket_.is_open(); }
  // The kernel's error for the current attempt's socket (e.g. ECONNREFUSED), or 0.
  int last_errno() const { return last_errno_; }
  // The last CONNACK said the broker kept this client's session (clean_session false).
  bool session_present() const { return session_present_; }

 private:
  static void on_connect_cb(mosquitto*, void* self, int rc, int flags);
  static void on_disconnect_cb(mosquitto*, void* self, int rc);
  static void on_publish_cb(mosquitto*, void* self, int mid);
  static void on_message_cb(mosquitto*, void* self, const mosquitto_message* msg);

  bool create(const LinkSettings& settings, const std::string& client_id,
              const std::string& will_topic);
  void attach_socket();
  void release_socket();
  void arm_read();
  void arm_write();
  void flush();
  void pump_reads();
  // The SSL while its handshake is under way, else null (always null for plain TCP).
  SSL* handshaking() const;
  // Reports a socket libmosquitto closed without on_disconnect; true if it did.
  bool lost_unannounced(int rc);
  // Ends a connection libmosquitto cannot end itself: destroys the client.
  void abandon(int rc);

  LinkEvents& events_;
  mosquitto* mosq_ = nullptr;
  boost::asio::posix::stream_descriptor socket_;
  std::uint32_t lamp_slot_;
  std::uint32_t generation_ = 0;  // bumped on every release, so stale handlers do nothing
  State state_ = State::idle;
  int last_errno_ = 0;
  int in_callback_ = 0;  // inside one of libmosquitto's callbacks (see flush())
  bool reading_ = false;
  bool paused_ = false;
  bool writing_ = false;
  bool session_present_ = false;
  bool configured_ = false;  // host and port stored in libmosquitto: reconnect may be used
};

}  // namespace lampi::fleet
