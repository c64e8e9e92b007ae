// TLS as on chapter 13's lamps: one SSL_CTX shared by every lamp (TLS 1.2+, the course
// CA, verification on by default), yet each lamp presents its own client certificate
// (CN <id>_broker), chosen during the handshake from the path templates.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <string>

#include "firmware_model/device_id.hpp"
#include "fleet/config/fleet_config.hpp"
#include "fleet/engine/private_key_decoder.hpp"

namespace lampi::fleet {

// Why a lamp's TLS connection failed, as OpenSSL saw it. `alert`: the broker aborted with
// a fatal alert (with TLS 1.3 that may come after our side finished, e.g. when the broker
// rejects the client certificate). `bad_client_cert`: the lamp's own certificate or key
// could not be loaded or do not match.
enum class TlsFailure : std::uint8_t { none, verify_failed, host_mismatch, alert, bad_client_cert };

// One lamp's side of its TLS connections: who it is, for the certificate callback, and the
// first failure of the current attempt. Must outlive the lamp's libmosquitto client, whose
// SSL points at it.
struct TlsPeer {
  model::DeviceId id;
  TlsFailure failure = TlsFailure::none;
  // The broker's ServerHello arrived: it speaks TLS and took part in this handshake, so a
  // close before the CONNACK is the broker ending it (see `LinkEnd::tls_answered`).
  bool answered = false;
  // The decoder of the thread the lamp runs on (its shard's), for its key at each handshake.
  // Required: the shard that makes the lamp's TlsPeer gives it its own.
  PrivateKeyDecoder* keys = nullptr;
};

// Names the lamp whose connect runs on this thread while it lives, and starts that lamp's
// record afresh. libmosquitto creates the SSL and starts the handshake inside
// mosquitto_connect*/reconnect; the context hangs the lamp on that SSL as the handshake
// starts, so every later step (the certificate request arrives in whichever call reads
// it) finds its lamp on the SSL itself, not through a socket lookup that could lag.
class TlsConnectScope {
 public:
  explicit TlsConnectScope(TlsPeer* peer);
  ~TlsConnectScope();
  TlsConnectScope(const TlsConnectScope&) = delete;
  TlsConnectScope& operator=(const TlsConnectScope&) = delete;

 private:
  TlsPeer* previous_;
};

class TlsContext {
 public:
  // `server_name`: the broker's host name as configured, for certificate verification.
  // Throws std::runtime_error naming the file or setting that failed.
  TlsContext(const TlsConfig& config, const std::string& server_name);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* native() const { return ctx_; }

 private:
  static int choose_certificate(SSL* ssl, void* self);
  static int on_verify(int preverify_ok, X509_STORE_CTX* store);
  static void on_info(const SSL* ssl, int where, int value);

  TlsConfig config_;
  SSL_CTX* ctx_ = nullptr;
};

}  // namespace lampi::fleet
