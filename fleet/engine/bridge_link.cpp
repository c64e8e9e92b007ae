#include "fleet/engine/bridge_link.hpp"

#include <openssl/ssl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>

#include "fleet/engine/link_end.hpp"
#include "fleet/engine/socketpair_refusal.hpp"

namespace lampi::fleet {

namespace asio = boost::asio;

namespace {
// Marks the link as inside a libmosquitto callback while it lives.
class InCallback {
 public:
  explicit InCallback(int& depth) : depth_(depth) { ++depth_; }
  ~InCallback() { --depth_; }
  InCallback(const InCallback&) = delete;
  InCallback& operator=(const InCallback&) = delete;

 private:
  int& depth_;
};

// One loop_read handles about one packet; bound the work per wake-up so one chatty
// link cannot starve the others on its thread.
constexpr int kMaxReadsPerWake = 64;

// Reset, refused or shut both ways: nothing more can arrive on the socket.
bool peer_gone(int fd) {
  pollfd p{fd, POLLIN | POLLOUT, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

int pending_socket_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return 0;
  return err;
}
}  // namespace

BridgeLink::BridgeLink(asio::io_context& io, LinkEvents& events, std::uint32_t lamp_slot)
    : events_(events), socket_(io), lamp_slot_(lamp_slot) {}

BridgeLink::~BridgeLink() {
  release_socket();
  if (mosq_) mosquitto_destroy(mosq_);
}

bool BridgeLink::create(const LinkSettings& s, const std::string& client_id,
                        const std::string& will_topic) {
  {
    SocketpairRefusal no_socketpair;
    mosq_ = mosquitto_new(client_id.c_str(), s.clean_session, this);
  }
  if (!mosq_) return false;
  if (s.mqtt5) mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  // Without it, Nagle holds the SUBSCRIBEs behind the first PUBLISH's delayed ACK.
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  if (!will_topic.empty()) mosquitto_will_set(mosq_, will_topic.c_str(), 1, "0", 1, true);
  if (!s.username.empty())
    mosquitto_username_pw_set(mosq_, s.username.c_str(),
                              s.password.empty() ? nullptr : s.password.c_str());
  if (s.ssl_ctx) {
    mosquitto_int_option(mosq_, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
    mosquitto_void_option(mosq_, MOSQ_OPT_SSL_CTX, s.ssl_ctx);
    // Packets wait for our flush() instead of being written inside the call that made
    // them, so a CONNECT is not written before we read what the broker already said.
    mosquitto_threaded_set(mosq_, true);
  }
  mosquitto_connect_with_flags_callback_set(mosq_, &BridgeLink::on_connect_cb);
  mosquitto_disconnect_callback_set(mosq_, &BridgeLink::on_disconnect_cb);
  mosquitto_publish_callback_set(mosq_, &BridgeLink::on_publish_cb);
  mosquitto_message_callback_set(mosq_, &BridgeLink::on_message_cb);
  return true;
}

bool BridgeLink::connect(const LinkSettings& s, const std::string& client_id,
                         const std::string& will_topic, const char* bind_address,
                         TlsPeer* tls_peer) {
  // The handshake starts inside the connect call below; the certificate request may even
  // be answered before it returns. From here on, whatever fails is this attempt's.
  TlsConnectScope scope(tls_peer);
  if (state_ != State::idle || socket_.is_open()) return false;
  if (!mosq_ && !create(s, client_id, will_topic)) return false;
  errno = 0;
  int rc = configured_ ? mosquitto_reconnect_async(mosq_)
                       : mosquitto_connect_bind_async(mosq_, s.host.c_str(), s.port,
                                                      s.keepalive_seconds, bind_address);
  // On loopback a refused connect fails inside the call (MOSQ_ERR_ERRNO); with TLS the
  // ClientHello written inside it may meet the refusal, which OpenSSL then hides as
  // "try again" and the next I/O sees only EPIPE. Either way errno still holds why.
  last_errno_ = connect_error_reason(errno) ? errno : 0;
  if (rc != MOSQ_ERR_SUCCESS) {
    // A failed first attempt leaves nothing stored to reconnect with.
    return false;
  }
  configured_ = true;
  state_ = State::connecting;
  attach_socket();
  if (!socket_.is_open()) {
    state_ = State::idle;
    return false;
  }
  flush();
  return true;
}

void BridgeLink::attach_socket() {
  int fd = mosquitto_socket(mosq_);
  if (fd < 0) return;
  boost::system::error_code ec;
  socket_.assign(fd, ec);
  if (ec) return;
  arm_read();
}

void BridgeLink::release_socket() {
  // libmosquitto closes the fd itself; Asio must only forget it (a close here could
  // hit a new socket that reused the number).
  if (socket_.is_open()) socket_.release();
  ++generation_;
  reading_ = writing_ = false;
}

void BridgeLink::arm_read() {
  if (reading_ || paused_ || !socket_.is_open()) return;
  reading_ = true;
  socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [this, gen = generation_](const boost::system::error_code& ec) {
                       if (gen != generation_) return;
                       reading_ = false;
                       if (ec || paused_) return;
                       events_.on_link_woke(*this);
                       pump_reads();
                       if (gen != generation_) return;
                       arm_read();
                       flush();
                     });
}

void BridgeLink::arm_write() {
  if (writing_ || !socket_.is_open()) return;
  writing_ = true;
  socket_.async_wait(asio::posix::stream_descriptor::wait_write,
                     [this, gen = generation_](const boost::system::error_code& ec) {
                       if (gen != generation_) return;
                       writing_ = false;
                       if (ec) return;
                       events_.on_link_woke(*this);
                       if (state_ == State::connecting && mosquitto_ssl_get(mosq_)) {
                         // Read first while TLS sets up: a handshake waiting to write
                         // moves on only in loop_read (loop_write skips it), and a broker
                         // that refused the certificate after TLS 1.3 finished on our
                         // side has its alert waiting ahead of the reset that would fail
                         // the write and hide why.
                         pump_reads();
                         if (gen != generation_) return;
                       }
                       if (!handshaking()) mosquitto_loop_write(mosq_, 1);
                       if (gen != generation_) return;
                       flush();
                     });
}

void BridgeLink::flush() {
  if (!mosq_ || !socket_.is_open()) return;
  // libmosquitto runs its callbacks holding its callback mutex, and writing a QoS 0
  // PUBLISH calls on_publish under that same mutex: a loop_write from inside a callback
  // (a CONNACK's subscribes and queued messages, a set_config's answer) would deadlock the
  // shard. Every handler that lets libmosquitto call back flushes once it returns.
  if (in_callback_ > 0) return;
  if (SSL* ssl = handshaking()) {
    // mosquitto_want_write stays true once OpenSSL asked to write, and loop_write does
    // nothing until the handshake is done: waiting on it would spin. OpenSSL knows.
    if (SSL_want_write(ssl)) arm_write();
    return;
  }
  if (!mosquitto_want_write(mosq_)) return;
  // The socket is almost always writable: try at once and only ask the reactor to watch
  // for writability when the kernel buffer is full (saves an epoll_ctl per message).
  if (!writing_ && state_ == State::connected) {
    std::uint32_t gen = generation_;
    mosquitto_loop_write(mosq_, 1);
    if (gen != generation_ || !socket_.is_open() || !mosquitto_want_write(mosq_)) return;
  }
  arm_write();
}

void BridgeLink::pump_reads() {
  std::uint32_t gen = generation_;
  SSL* ssl = static_cast<SSL*>(mosquitto_ssl_get(mosq_));
  for (int i = 0; i < kMaxReadsPerWake; ++i) {
    errno = 0;  // so what it holds after the read is that read's
    int rc = mosquitto_loop_read(mosq_, 1);
    int read_errno = errno;
    if (gen != generation_) return;  // the connection ended inside that read
    if (rc != MOSQ_ERR_SUCCESS && lost_unannounced(rc)) return;
    int pending = 0;
    if (ioctl(socket_.native_handle(), FIONREAD, &pending) != 0) pending = 0;
    if (pending > 0 || (ssl && SSL_pending(ssl) > 0)) continue;
    if (ssl && handshaking() && peer_gone(socket_.native_handle())) {
      // The refusal is the socket's pending error, unless the read just took it.
      int socket_error = pending_socket_error(socket_.native_handle());
      if (last_errno_ == 0) last_errno_ = socket_error != 0 ? socket_error : read_errno;
      abandon(MOSQ_ERR_CONN_LOST);
    }
    return;
  }
}

SSL* BridgeLink::handshaking() const {
  if (state_ != State::connecting) return nullptr;  // plain TCP's hot path stops here
  auto* ssl = static_cast<SSL*>(mosquitto_ssl_get(mosq_));
  return ssl && !SSL_is_init_finished(ssl) ? ssl : nullptr;
}

bool BridgeLink::lost_unannounced(int rc) {
  // A handshake that fails inside mosquitto_loop_read (libmosquitto 2.0.11) has its socket
  // closed with no on_disconnect: the lamp would sit in "connecting" for good, its dead fd
  // still registered. Report it as the library would have.
  if (mosquitto_socket(mosq_) >= 0 || !socket_.is_open()) return false;
  on_disconnect_cb(mosq_, this, rc);
  return true;
}

void BridgeLink::abandon(int rc) {
  // libmosquitto 2.0.11 takes a handshake's I/O error (SSL_ERROR_SYSCALL: a connect
  // refused or reset late, as over a real network) for "try again" and keeps the dead
  // socket, which then wakes us, and fails the same way, for a whole keepalive. No call
  // closes it from outside, so the client goes; the next connect creates a new one.
  release_socket();
  mosquitto_destroy(mosq_);
  mosq_ = nullptr;
  configured_ = false;
  state_ = State::idle;
  events_.on_link_lost(*this, rc);
}

int BridgeLink::publish(const std::string& topic, std::string_view payload, int qos, bool retain) {
  if (!mosq_ || state_ != State::connected) return -1;
  int mid = 0;
  int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), qos, retain);
  if (rc != MOSQ_ERR_SUCCESS) return -1;
  flush();
  return qos == 0 ? 0 : mid;
}

bool BridgeLink::subscribe(const std::string& topic, int qos) {
  if (!mosq_ || state_ != State::connected) return false;
  bool ok = mosquitto_subscribe(mosq_, nullptr, topic.c_str(), qos) == MOSQ_ERR_SUCCESS;
  flush();
  return ok;
}

void BridgeLink::drop() {
  if (!socket_.is_open()) {
    state_ = State::idle;
    return;
  }
  // FIN after whatever is already written; the read side then sees the close and
  // libmosquitto cleans up through the usual path.
  ::shutdown(socket_.native_handle(), SHUT_RDWR);
  pause_reading(false);
}

void BridgeLink::pause_reading(bool paused) {
  paused_ = paused;
  if (!paused_) arm_read();
}

void BridgeLink::tick() {
  if (mosq_ && socket_.is_open()) {
    std::uint32_t gen = generation_;
    // Also the bound on a handshake that stalls: libmosquitto drops a connection that
    // has heard nothing for a keepalive (MOSQ_ERR_KEEPALIVE), CONNACK or not.
    int rc = mosquitto_loop_misc(mosq_);
    if (gen != generation_) return;
    // NO_CONN: the socket was closed behind our back on some other path; end it here,
    // within a second, rather than never.
    if (rc == MOSQ_ERR_NO_CONN && lost_unannounced(rc)) return;
    flush();
  }
}

void BridgeLink::on_connect_cb(mosquitto*, void* self, int rc, int flags) {
  auto* link = static_cast<BridgeLink*>(self);
  InCallback inside(link->in_callback_);
  link->session_present_ = rc == 0 && (flags & 1) != 0;  // CONNACK's session-present bit
  if (rc == 0) {
    // The lamp's certificate and key did their work in the handshake, and nothing asks
    // for them again (no renegotiation, no post-handshake auth): free them (~5 kB a lamp).
    if (auto* ssl = static_cast<SSL*>(mosquitto_ssl_get(link->mosq_))) SSL_certs_clear(ssl);
    link->state_ = State::connected;
    link->events_.on_link_connected(*link);
  } else {
    link->events_.on_link_refused(*link, rc);
  }
}

void BridgeLink::on_disconnect_cb(mosquitto*, void* self, int rc) {
  // Called from inside the read or write that failed, so errno is still that call's.
  int err = errno;
  auto* link = static_cast<BridgeLink*>(self);
  if (rc == MOSQ_ERR_ERRNO && link->last_errno_ == 0) link->last_errno_ = err;
  link->release_socket();
  link->state_ = State::idle;
  link->events_.on_link_lost(*link, rc);
}

void BridgeLink::on_publish_cb(mosquitto*, void* self, int mid) {
  auto* link = static_cast<BridgeLink*>(self);
  InCallback inside(link->in_callback_);
  link->events_.on_link_acked(*link, mid);
}

void BridgeLink::on_message_cb(mosquitto*, void* self, const mosquitto_message* msg) {
  auto* link = static_cast<BridgeLink*>(self);
  InCallback inside(link->in_callback_);
  link->events_.on_link_message(*link, *msg);
}

}  // namespace lampi::fleet
