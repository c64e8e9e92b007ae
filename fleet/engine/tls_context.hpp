// TLS as on chapter 13's lamps: one SSL_CTX shared by every lamp (TLS 1.2+, the course
// CA, verification on by default), yet each lamp presents its own client certificate
// (CN <id>_broker), chosen during the handshake from the path templates.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>

#include "firmware_model/device_id.hpp"
#include "fleet/config/fleet_config.hpp"

namespace lampi::fleet {

// Tells the handshake which lamp a socket belongs to. Each shard installs its own for
// its thread: the handshake runs inside that shard's libmosquitto calls.
class TlsIdentitySource {
 public:
  virtual std::optional<model::DeviceId> identity_for_socket(int fd) const = 0;

 protected:
  ~TlsIdentitySource() = default;
};

// Installs `source` for the calling thread for as long as it lives.
class ScopedTlsIdentitySource {
 public:
  explicit ScopedTlsIdentitySource(const TlsIdentitySource* source);
  ~ScopedTlsIdentitySource();
  ScopedTlsIdentitySource(const ScopedTlsIdentitySource&) = delete;
  ScopedTlsIdentitySource& operator=(const ScopedTlsIdentitySource&) = delete;

 private:
  const TlsIdentitySource* previous_;
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

  TlsConfig config_;
  SSL_CTX* ctx_ = nullptr;
};

}  // namespace lampi::fleet
