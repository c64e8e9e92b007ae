#include "fleet/engine/tls_context.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "fleet/config/config_loader.hpp"

namespace lampi::fleet {

namespace {

thread_local const TlsIdentitySource* t_identity_source = nullptr;

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

ScopedTlsIdentitySource::ScopedTlsIdentitySource(const TlsIdentitySource* source)
    : previous_(t_identity_source) {
  t_identity_source = source;
}
ScopedTlsIdentitySource::~ScopedTlsIdentitySource() {
  t_identity_source = previous_;
}

TlsContext::TlsContext(const TlsConfig& config, const std::string& server_name) : config_(config) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_) throw std::runtime_error("TLS: cannot create an SSL context: " + openssl_error());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  if (!config_.ca_file.empty() &&
      SSL_CTX_load_verify_locations(ctx_, config_.ca_file.c_str(), nullptr) != 1) {
    std::string why = openssl_error();
    SSL_CTX_free(ctx_);
    throw std::runtime_error(
        fmt::format("TLS: cannot load broker.tls.ca_file {}: {}", config_.ca_file, why));
  }
  if (config_.ca_file.empty()) SSL_CTX_set_default_verify_paths(ctx_);
  if (config_.verify) {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx_);
    if (is_ip_address(server_name))
      X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str());
    else
      X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), 0);
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
  if (!config_.cert_file.empty()) SSL_CTX_set_cert_cb(ctx_, &TlsContext::choose_certificate, this);
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

int TlsContext::choose_certificate(SSL* ssl, void* self) {
  const auto* tls = static_cast<const TlsContext*>(self);
  if (!t_identity_source) return 0;
  auto id = t_identity_source->identity_for_socket(SSL_get_fd(ssl));
  if (!id) return 0;
  std::string cert = expand_id_template(tls->config_.cert_file, *id);
  std::string key = expand_id_template(tls->config_.key_file, *id);
  // A failed load aborts this lamp's handshake; the lamp backs off and retries.
  if (SSL_use_certificate_chain_file(ssl, cert.c_str()) != 1) return 0;
  if (SSL_use_PrivateKey_file(ssl, key.c_str(), SSL_FILETYPE_PEM) != 1) return 0;
  return SSL_check_private_key(ssl) == 1 ? 1 : 0;
}

}  // namespace lampi::fleet
