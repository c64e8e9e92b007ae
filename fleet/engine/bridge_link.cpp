#include "fleet/engine/bridge_link.hpp"

#include <openssl/ssl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "fleet/engine/socketpair_refusal.hpp"

namespace lampi::fleet {

namespace asio = boost::asio;

namespace {
// One loop_read handles about one packet; bound the work per wake-up so one chatty
// link cannot starve the others on its thread.
constexpr int kMaxReadsPerWake = 64;
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
  mosquitto_will_set(mosq_, will_topic.c_str(), 1, "0", 1, true);
  if (!s.username.empty())
    mosquitto_username_pw_set(mosq_, s.username.c_str(),
                              s.password.empty() ? nullptr : s.password.c_str());
  if (s.ssl_ctx) {
    mosquitto_int_option(mosq_, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
    mosquitto_void_option(mosq_, MOSQ_OPT_SSL_CTX, s.ssl_ctx);
  }
  mosquitto_connect_callback_set(mosq_, &BridgeLink::on_connect_cb);
  mosquitto_disconnect_callback_set(mosq_, &BridgeLink::on_disconnect_cb);
  mosquitto_publish_callback_set(mosq_, &BridgeLink::on_publish_cb);
  mosquitto_message_callback_set(mosq_, &BridgeLink::on_message_cb);
  return true;
}

bool BridgeLink::connect(const LinkSettings& s, const std::string& client_id,
                         const std::string& will_topic, const char* bind_address) {
  if (state_ != State::idle || socket_.is_open()) return false;
  if (!mosq_ && !create(s, client_id, will_topic)) return false;
  int rc = configured_ ? mosquitto_reconnect_async(mosq_)
                       : mosquitto_connect_bind_async(mosq_, s.host.c_str(), s.port,
                                                      s.keepalive_seconds, bind_address);
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
  if (reading_ || !socket_.is_open()) return;
  reading_ = true;
  socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [this, gen = generation_](const boost::system::error_code& ec) {
                       if (gen != generation_) return;
                       reading_ = false;
                       if (ec) return;
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
                       mosquitto_loop_write(mosq_, 1);
                       if (gen != generation_) return;
                       flush();
                     });
}

void BridgeLink::flush() {
  if (!mosq_ || !socket_.is_open() || !mosquitto_want_write(mosq_)) return;
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
    mosquitto_loop_read(mosq_, 1);
    if (gen != generation_) return;  // the connection ended inside that read
    int pending = 0;
    if (ioctl(socket_.native_handle(), FIONREAD, &pending) != 0) pending = 0;
    if (pending <= 0 && !(ssl && SSL_pending(ssl) > 0)) return;
  }
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
}

void BridgeLink::tick() {
  if (mosq_ && socket_.is_open()) {
    std::uint32_t gen = generation_;
    mosquitto_loop_misc(mosq_);
    if (gen == generation_) flush();
  }
}

void BridgeLink::on_connect_cb(mosquitto*, void* self, int rc) {
  auto* link = static_cast<BridgeLink*>(self);
  if (rc == 0) {
    link->state_ = State::connected;
    link->events_.on_link_connected(*link);
  } else {
    link->events_.on_link_refused(*link, rc);
  }
}

void BridgeLink::on_disconnect_cb(mosquitto*, void* self, int rc) {
  auto* link = static_cast<BridgeLink*>(self);
  link->release_socket();
  link->state_ = State::idle;
  link->events_.on_link_lost(*link, rc);
}

void BridgeLink::on_publish_cb(mosquitto*, void* self, int mid) {
  auto* link = static_cast<BridgeLink*>(self);
  link->events_.on_link_acked(*link, mid);
}

void BridgeLink::on_message_cb(mosquitto*, void* self, const mosquitto_message* msg) {
  auto* link = static_cast<BridgeLink*>(self);
  link->events_.on_link_message(*link, *msg);
}

}  // namespace lampi::fleet
