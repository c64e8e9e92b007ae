#include "fleet/engine/link_end.hpp"

#include <mosquitto.h>

#include <cerrno>
#include <cstring>

namespace lampi::fleet {

namespace {

DisconnectReason tls_reason(TlsFailure f) {
  switch (f) {
    case TlsFailure::verify_failed:
      return DisconnectReason::tls_verify_failed;
    case TlsFailure::host_mismatch:
      return DisconnectReason::tls_host_mismatch;
    case TlsFailure::alert:
      return DisconnectReason::tls_alert;
    case TlsFailure::bad_client_cert:
      return DisconnectReason::tls_bad_client_cert;
    case TlsFailure::none:
      break;
  }
  return DisconnectReason::lost;
}

// OpenSSL's record, or the refusal that a reset hid from it.
TlsFailure tls_cause(const LinkEnd& end) {
  if (end.tls != TlsFailure::none || !end.tls_answered || end.had_bridged) return end.tls;
  bool closed_by_peer =
      end.mosquitto_rc != MOSQ_ERR_SUCCESS && end.mosquitto_rc != MOSQ_ERR_KEEPALIVE;
  return closed_by_peer ? TlsFailure::alert : TlsFailure::none;
}

}  // namespace

std::optional<DisconnectReason> connect_error_reason(int err) {
  switch (err) {
    case ECONNREFUSED:
      return DisconnectReason::connection_refused;
    case ETIMEDOUT:
      return DisconnectReason::connect_timeout;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
    case EADDRNOTAVAIL:
      return DisconnectReason::unreachable;
    default:
      return std::nullopt;
  }
}

DisconnectReason connack_reason(int code) {
  switch (code) {
    case 1:     // 3.1.1: unacceptable protocol version
    case 0x81:  // malformed packet
    case 0x82:  // protocol error
    case 0x84:  // unsupported protocol version
      return DisconnectReason::protocol_rejected;
    case 2:     // identifier rejected
    case 0x85:  // client identifier not valid
      return DisconnectReason::identifier_rejected;
    case 3:     // server unavailable
    case 0x88:  // server unavailable
    case 0x89:  // server busy
    case 0x97:  // quota exceeded
    case 0x9F:  // connection rate exceeded
      return DisconnectReason::server_unavailable;
    case 4:     // bad user name or password
    case 0x86:  // bad user name or password
      return DisconnectReason::bad_credentials;
    case 5:     // not authorised
    case 0x87:  // not authorized
    case 0x8A:  // banned
      return DisconnectReason::not_authorized;
    default:
      return DisconnectReason::connack_refused;
  }
}

DisconnectReason classify(const LinkEnd& end) {
  if (end.connack_code != 0) return connack_reason(end.connack_code);
  if (!end.powered) return DisconnectReason::power_off;
  if (end.injected) return DisconnectReason::injected;
  if (TlsFailure tls = tls_cause(end); tls != TlsFailure::none) return tls_reason(tls);
  if (end.had_bridged) {
    if (end.mosquitto_rc == kSessionTakenOver) return DisconnectReason::session_taken_over;
    return end.mosquitto_rc == MOSQ_ERR_KEEPALIVE ? DisconnectReason::keepalive
                                                  : DisconnectReason::lost;
  }
  // Still connecting: libmosquitto's keepalive check is also the bound on a connect, a
  // handshake or a CONNACK that never comes.
  if (end.mosquitto_rc == MOSQ_ERR_KEEPALIVE) return DisconnectReason::connect_timeout;
  // Only a connect's own errors name a cause; a reset of a link that had bridged is lost.
  return connect_error_reason(end.sys_errno).value_or(DisconnectReason::lost);
}

std::string describe(const LinkEnd& end) {
  if (end.had_bridged && end.mosquitto_rc == kSessionTakenOver)
    return "the broker says another client connected with this lamp's client id";
  if (end.connack_code != 0)
    return end.connack_code < 0x80 ? mosquitto_connack_string(end.connack_code)
                                   : mosquitto_reason_string(end.connack_code);
  if (end.tls == TlsFailure::none && tls_cause(end) == TlsFailure::alert)
    return "the broker closed the connection in or just after the TLS handshake, before "
           "its CONNACK (often: it refused the lamp's certificate and the reset swallowed "
           "its alert; the broker's log says)";
  switch (end.tls) {
    case TlsFailure::verify_failed:
      return "the broker's certificate did not verify against the CA";
    case TlsFailure::host_mismatch:
      return "the broker's certificate does not name the host the lamp dialled";
    case TlsFailure::alert:
      return "the broker ended the handshake with a fatal alert (often: it refused the "
             "lamp's certificate)";
    case TlsFailure::bad_client_cert:
      return "the lamp's certificate or key could not be loaded, or they do not match";
    case TlsFailure::none:
      break;
  }
  if (end.sys_errno != 0) return std::strerror(end.sys_errno);
  if (end.mosquitto_rc != 0) return mosquitto_strerror(end.mosquitto_rc);
  return "connection closed";
}

}  // namespace lampi::fleet
