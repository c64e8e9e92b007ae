#include "fleet/engine/tls_context.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "fleet/config/config_loader.hpp"

namespace lampi::fleet {

namespace {

// The lamp whose connect is under way on this thread (see TlsConnectScope).
thread_local TlsPeer* t_connecting = nullptr;

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

// libmosquitto keeps its client under an ex_data index of its own, so the app-data slot
// of the SSLs made from our context is ours.
TlsPeer* peer_of(const SSL* ssl) {
  return static_cast<TlsPeer*>(SSL_get_app_data(ssl));
}

// The first cause is the one that explains the rest (a failed verification is followed
// by the alert we send, a refused certificate by the close).
void record(const SSL* ssl, TlsFailure failure) {
  TlsPeer* peer = peer_of(ssl);
  if (peer && peer->failure == TlsFailure::none) peer->failure = failure;
}

}  // namespace

TlsConnectScope::TlsConnectScope(TlsPeer* peer) : previous_(t_connecting) {
  if (peer) {
    peer->failure = TlsFailure::none;
    peer->answered = false;
  }
  t_connecting = peer;
}
TlsConnectScope::~TlsConnectScope() {
  t_connecting = previous_;
}

TlsContext::TlsContext(const TlsConfig& config, const std::string& server_name) : config_(config) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_) throw std::runtime_error("TLS: cannot create an SSL context: " + openssl_error());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  // An idle lamp then holds no record buffers (about 34 kB each otherwise): OpenSSL frees
  // them once a read or write leaves nothing pending, and takes them again per record.
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
  if (!config_.ca_file.empty() &&
      SSL_CTX_load_verify_locations(ctx_, config_.ca_file.c_str(), nullptr) != 1) {
    std::string why = openssl_error();
    SSL_CTX_free(ctx_);
    throw std::runtime_error(
        fmt::format("TLS: cannot load broker.tls.ca_file {}: {}", config_.ca_file, why));
  }
  if (config_.ca_file.empty()) SSL_CTX_set_default_verify_paths(ctx_);
  if (config_.verify) {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, &TlsContext::on_verify);
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx_);
    if (is_ip_address(server_name))
      X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str());
    else
      X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), 0);
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
  SSL_CTX_set_info_callback(ctx_, &TlsContext::on_info);
  if (!config_.cert_file.empty()) SSL_CTX_set_cert_cb(ctx_, &TlsContext::choose_certificate, this);
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

int TlsContext::choose_certificate(SSL* ssl, void* self) {
  const auto* tls = static_cast<const TlsContext*>(self);
  TlsPeer* peer = peer_of(ssl);
  if (!peer) return 0;  // not one of our lamps' connects: present nothing rather than guess
  std::string cert = expand_id_template(tls->config_.cert_file, peer->id);
  std::string key = expand_id_template(tls->config_.key_file, peer->id);
  // A failed load aborts this lamp's handshake; the lamp backs off and retries.
  auto use_key = [&] {
    PrivateKey loaded = peer->keys->load_pem_file(key.c_str());
    return loaded && SSL_use_PrivateKey(ssl, loaded.get()) == 1;  // takes its own reference
  };
  bool ok = SSL_use_certificate_chain_file(ssl, cert.c_str()) == 1 && use_key() &&
            SSL_check_private_key(ssl) == 1;
  if (!ok) record(ssl, TlsFailure::bad_client_cert);
  return ok ? 1 : 0;
}

int TlsContext::on_verify(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok) return preverify_ok;
  const auto* ssl = static_cast<const SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  int error = X509_STORE_CTX_get_error(store);
  bool host = error == X509_V_ERR_HOSTNAME_MISMATCH || error == X509_V_ERR_IP_ADDRESS_MISMATCH;
  if (ssl) record(ssl, host ? TlsFailure::host_mismatch : TlsFailure::verify_failed);
  return preverify_ok;  // OpenSSL's verdict stands; this only remembers why
}

void TlsContext::on_info(const SSL* ssl, int where, int value) {
  if (where & SSL_CB_HANDSHAKE_START) {
    // Inside mosquitto_connect*: the SSL is new and nothing has asked for the lamp yet.
    if (!peer_of(ssl) && t_connecting) SSL_set_app_data(const_cast<SSL*>(ssl), t_connecting);
    return;
  }
  if ((where & SSL_CB_CONNECT_LOOP) && SSL_get_state(ssl) == TLS_ST_CR_SRVR_HELLO) {
    if (TlsPeer* peer = peer_of(ssl)) peer->answered = true;
    return;
  }
  // Fatal alerts from the broker; close_notify and our own alerts are no cause.
  if ((where & SSL_CB_ALERT) && (where & SSL_CB_READ) && (value >> 8) == SSL3_AL_FATAL)
    record(ssl, TlsFailure::alert);
}

}  // namespace lampi::fleet
