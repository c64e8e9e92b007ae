#include "tests/support/mqtt_observer.hpp"

#include <fcntl.h>
#include <mosquitto.h>
#include <sys/select.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <stdexcept>
#include <system_error>

namespace lampi::testing {
namespace {

void lib_init_once() {
  static const int rc = mosquitto_lib_init();
  if (rc != MOSQ_ERR_SUCCESS) throw std::runtime_error("mosquitto_lib_init failed");
}

// Takes errno at once: for MOSQ_ERR_ERRNO it is the only detail there is.
std::string mosq_error(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::error_code(errno, std::system_category()).message();
  return mosquitto_strerror(rc);
}

// fds are handed out lowest first, so this predicts where the client's sockets go.
bool low_fds_available() {
  const int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (probe < 0) return false;
  ::close(probe);
  return probe < FD_SETSIZE - 8;
}

}  // namespace

MqttObserver::MqttObserver() {
  lib_init_once();
}

MqttObserver::~MqttObserver() {
  disconnect();
}

void MqttObserver::connect(const std::string& host, std::uint16_t port,
                           const std::string& client_id, ObserverOptions options) {
  disconnect();
  {
    std::lock_guard lock(mutex_);
    filters_.clear();
    acked_.clear();
    unwanted_acks_.clear();
    resubscribing_.clear();
    session_up_ = ready_ = false;
    connack_rc_ = 0;
    connects_ = disconnects_ = 0;
  }
  options_ = options;
  endpoint_ = host + ":" + std::to_string(port) + " as '" + client_id + "'";
  auto fail = [&](const std::string& why) {
    disconnect();
    return std::runtime_error("MqttObserver: connect to " + endpoint_ + ": " + why);
  };

  if (!low_fds_available()) {
    throw fail(
        "the lowest free fd is near FD_SETSIZE; libmosquitto's own loop cannot use it "
        "(connect the observer before opening many sockets)");
  }
  client_ = mosquitto_new(client_id.c_str(), options.clean_session, this);
  if (client_ == nullptr) throw fail("mosquitto_new: " + mosq_error(MOSQ_ERR_ERRNO));
  mosquitto_int_option(client_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(client_, &MqttObserver::on_connect);
  mosquitto_disconnect_callback_set(client_, &MqttObserver::on_disconnect);
  mosquitto_subscribe_callback_set(client_, &MqttObserver::on_subscribe);
  mosquitto_publish_callback_set(client_, &MqttObserver::on_publish);
  mosquitto_message_callback_set(client_, &MqttObserver::on_message);
  // Whole seconds is the library's resolution; 1 s keeps disconnect() (which may
  // wait out a reconnect pause) and recovery after a broker restart quick.
  mosquitto_reconnect_delay_set(client_, 1, 1, false);

  int rc = mosquitto_connect(client_, host.c_str(), port, options.keepalive_seconds);
  if (rc != MOSQ_ERR_SUCCESS) throw fail(mosq_error(rc));
  if (mosquitto_socket(client_) >= FD_SETSIZE) throw fail("socket fd >= FD_SETSIZE");
  rc = mosquitto_loop_start(client_);
  if (rc != MOSQ_ERR_SUCCESS) throw fail("mosquitto_loop_start: " + mosq_error(rc));

  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, options_.timeout,
                    [&] { return ready_ || connack_rc_ != 0 || disconnects_ > 0; });
  if (ready_) return;
  const std::string why =
      connack_rc_ != 0   ? std::string("refused: ") + mosquitto_connack_string(connack_rc_)
      : disconnects_ > 0 ? std::string("connection closed before CONNACK")
                         : "no CONNACK within " + std::to_string(options_.timeout.count()) + " ms";
  lock.unlock();
  throw fail(why);
}

void MqttObserver::disconnect() {
  if (client_ == nullptr) return;
  mosquitto_disconnect(client_);
  // Joins the loop thread: after this no callback can touch *this.
  mosquitto_loop_stop(client_, false);
  mosquitto_destroy(client_);
  client_ = nullptr;
  std::lock_guard lock(mutex_);
  session_up_ = ready_ = false;
  changed_.notify_all();
}

void MqttObserver::require_client(const char* what) const {
  if (client_ == nullptr) {
    throw std::logic_error(std::string("MqttObserver::") + what + " before connect()");
  }
}

void MqttObserver::subscribe(const std::string& filter, int qos) {
  require_client("subscribe");
  // Recorded first, so a reconnect racing with this call re-subscribes it too.
  {
    std::lock_guard lock(mutex_);
    filters_.emplace_back(filter, qos);
  }
  auto fail = [&](const std::string& why) {
    std::lock_guard lock(mutex_);
    for (auto it = filters_.begin(); it != filters_.end(); ++it) {
      if (it->first == filter && it->second == qos) {
        filters_.erase(it);
        break;
      }
    }
    return std::runtime_error("MqttObserver: subscribe '" + filter + "' on " + endpoint_ + ": " +
                              why);
  };
  int mid = 0;
  const int rc = mosquitto_subscribe(client_, &mid, filter.c_str(), qos);
  if (rc != MOSQ_ERR_SUCCESS) throw fail(mosq_error(rc));
  const auto granted = wait_ack(mid);
  if (!granted) throw fail("no SUBACK within " + std::to_string(options_.timeout.count()) + " ms");
  if (*granted < 0 || *granted > 2) throw fail("rejected by the broker");
}

void MqttObserver::publish(const std::string& topic, std::string_view payload, int qos,
                           bool retain) {
  require_client("publish");
  if (payload.size() > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument("MqttObserver: payload too large");
  }
  int mid = 0;
  const int rc = mosquitto_publish(client_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), qos, retain);
  if (rc != MOSQ_ERR_SUCCESS) {
    throw std::runtime_error("MqttObserver: publish '" + topic + "' on " + endpoint_ + ": " +
                             mosq_error(rc));
  }
  if (qos == 0) {
    std::unique_lock lock(mutex_);
    forget_ack(lock, mid);
    return;
  }
  if (!wait_ack(mid)) {
    throw std::runtime_error("MqttObserver: publish '" + topic + "' on " + endpoint_ +
                             ": no acknowledgement within " +
                             std::to_string(options_.timeout.count()) + " ms");
  }
}

std::optional<int> MqttObserver::wait_ack(int mid) {
  std::unique_lock lock(mutex_);
  if (changed_.wait_for(lock, options_.timeout, [&] { return acked_.count(mid) != 0; })) {
    const int granted = acked_[mid];
    acked_.erase(mid);
    return granted;
  }
  forget_ack(lock, mid);
  return std::nullopt;
}

// The ack may already be in (the loop thread can beat the caller) or still to come.
void MqttObserver::forget_ack(std::unique_lock<std::mutex>& /*held*/, int mid) {
  if (acked_.erase(mid) == 0) unwanted_acks_.insert(mid);
}

std::vector<ObservedMessage> MqttObserver::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

void MqttObserver::clear() {
  std::lock_guard lock(mutex_);
  messages_.clear();
}

bool MqttObserver::wait_for(const std::function<bool(const std::vector<ObservedMessage>&)>& pred,
                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return pred(messages_); });
}

std::optional<ObservedMessage> MqttObserver::wait_for_topic(std::string_view topic,
                                                            std::chrono::milliseconds timeout) {
  std::optional<ObservedMessage> found;
  wait_for(
      [&](const std::vector<ObservedMessage>& all) {
        for (const auto& m : all) {
          if (m.topic == topic) {
            found = m;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

bool MqttObserver::connected() const {
  std::lock_guard lock(mutex_);
  return ready_;
}

bool MqttObserver::wait_connected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return ready_; });
}

bool MqttObserver::wait_disconnected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return !session_up_; });
}

int MqttObserver::connect_count() const {
  std::lock_guard lock(mutex_);
  return connects_;
}

// Callbacks run on the library's loop thread.

void MqttObserver::on_connect(mosquitto* m, void* self, int rc) {
  auto* o = static_cast<MqttObserver*>(self);
  if (rc != 0) {
    std::lock_guard lock(o->mutex_);
    o->connack_rc_ = rc;
    o->changed_.notify_all();
    return;
  }
  std::vector<std::pair<std::string, int>> filters;
  {
    std::lock_guard lock(o->mutex_);
    filters = o->filters_;
  }
  // Their SUBACKs cannot arrive before this callback returns (same thread).
  std::set<int> pending;
  for (const auto& [filter, qos] : filters) {
    int mid = 0;
    if (mosquitto_subscribe(m, &mid, filter.c_str(), qos) == MOSQ_ERR_SUCCESS) pending.insert(mid);
  }
  std::lock_guard lock(o->mutex_);
  o->session_up_ = true;
  ++o->connects_;
  o->resubscribing_ = std::move(pending);
  o->ready_ = o->resubscribing_.empty();
  o->changed_.notify_all();
}

void MqttObserver::on_disconnect(mosquitto* /*m*/, void* self, int /*rc*/) {
  auto* o = static_cast<MqttObserver*>(self);
  std::lock_guard lock(o->mutex_);
  o->session_up_ = o->ready_ = false;
  o->resubscribing_.clear();
  ++o->disconnects_;
  o->changed_.notify_all();
}

void MqttObserver::on_subscribe(mosquitto* /*m*/, void* self, int mid, int count,
                                const int* granted) {
  auto* o = static_cast<MqttObserver*>(self);
  const int first = count > 0 && granted != nullptr ? granted[0] : 0x80;
  std::lock_guard lock(o->mutex_);
  if (o->resubscribing_.erase(mid) != 0) {
    o->ready_ = o->session_up_ && o->resubscribing_.empty();
  } else if (o->unwanted_acks_.erase(mid) == 0) {
    o->acked_[mid] = first;
  }
  o->changed_.notify_all();
}

void MqttObserver::on_publish(mosquitto* /*m*/, void* self, int mid) {
  auto* o = static_cast<MqttObserver*>(self);
  std::lock_guard lock(o->mutex_);
  if (o->unwanted_acks_.erase(mid) == 0) o->acked_[mid] = 0;
  o->changed_.notify_all();
}

void MqttObserver::on_message(mosquitto* /*m*/, void* self, const mosquitto_message* msg) {
  auto* o = static_cast<MqttObserver*>(self);
  ObservedMessage copy;
  copy.received = std::chrono::steady_clock::now();
  copy.topic = msg->topic != nullptr ? msg->topic : "";
  if (msg->payload != nullptr && msg->payloadlen > 0) {
    copy.payload.assign(static_cast<const char*>(msg->payload),
                        static_cast<std::size_t>(msg->payloadlen));
  }
  copy.qos = msg->qos;
  copy.retain = msg->retain;
  std::lock_guard lock(o->mutex_);
  o->messages_.push_back(std::move(copy));
  o->changed_.notify_all();
}

}  // namespace lampi::testing
