// Why a connection ended, from what each layer said: every mapping, without a network.
#include "fleet/engine/link_end.hpp"

#include <doctest/doctest.h>
#include <mosquitto.h>

#include <cerrno>
#include <set>
#include <string>

using namespace lampi::fleet;
using enum DisconnectReason;

TEST_CASE("CONNACK refusals, 3.1.1 and 5, name what the broker said") {
  struct Case {
    int code;
    DisconnectReason reason;
  };
  for (auto c : {Case{1, protocol_rejected}, Case{2, identifier_rejected},
                 Case{3, server_unavailable}, Case{4, bad_credentials}, Case{5, not_authorized},
                 Case{0x84, protocol_rejected}, Case{0x85, identifier_rejected},
                 Case{0x86, bad_credentials}, Case{0x87, not_authorized},
                 Case{0x8A, not_authorized}, Case{0x88, server_unavailable},
                 Case{0x89, server_unavailable}, Case{0x9F, server_unavailable},
                 Case{0x80, connack_refused}, Case{0x99, connack_refused}, Case{6, connack_refused}}) {
    CAPTURE(c.code);
    CHECK(classify({.connack_code = c.code}) == c.reason);
    // The CONNACK wins over what the close that follows it looks like.
    CHECK(classify({.connack_code = c.code, .sys_errno = ECONNRESET,
                    .mosquitto_rc = MOSQ_ERR_CONN_LOST}) == c.reason);
  }
  CHECK(describe({.connack_code = 5}) == mosquitto_connack_string(5));
  CHECK(describe({.connack_code = 0x87}) == mosquitto_reason_string(0x87));
}

TEST_CASE("a connect's own socket errors name the cause, a bridged link's are 'lost'") {
  struct Case {
    int err;
    DisconnectReason connecting, bridged;
  };
  for (auto c : {Case{ECONNREFUSED, connection_refused, lost}, Case{ETIMEDOUT, connect_timeout, lost},
                 Case{EHOSTUNREACH, unreachable, lost}, Case{ENETUNREACH, unreachable, lost},
                 Case{EADDRNOTAVAIL, unreachable, lost}, Case{ECONNRESET, lost, lost},
                 Case{EPIPE, lost, lost}}) {
    CAPTURE(c.err);
    CHECK(classify({.sys_errno = c.err, .mosquitto_rc = MOSQ_ERR_ERRNO}) == c.connecting);
    CHECK(classify({.had_bridged = true, .sys_errno = c.err, .mosquitto_rc = MOSQ_ERR_ERRNO}) ==
          c.bridged);
  }
  CHECK(describe({.sys_errno = ECONNREFUSED}) == std::string("Connection refused"));
}

TEST_CASE("silence: a connect that never finishes times out, a bridged link's keepalive fires") {
  CHECK(classify({.mosquitto_rc = MOSQ_ERR_KEEPALIVE}) == connect_timeout);
  CHECK(classify({.had_bridged = true, .mosquitto_rc = MOSQ_ERR_KEEPALIVE}) == keepalive);
  CHECK(classify({.had_bridged = true, .mosquitto_rc = MOSQ_ERR_CONN_LOST}) == lost);
  CHECK(classify({}) == lost);
}

TEST_CASE("MQTT 5's DISCONNECT 'session taken over' names the twin, only for a bridged link") {
  CHECK(classify({.had_bridged = true, .mosquitto_rc = kSessionTakenOver}) == session_taken_over);
  CHECK(describe({.had_bridged = true, .mosquitto_rc = kSessionTakenOver}).find("client id") !=
        std::string::npos);
  CHECK(classify({.powered = false, .had_bridged = true, .mosquitto_rc = kSessionTakenOver}) ==
        power_off);
}

TEST_CASE("TLS failures keep their reasons, and powering off is never a failure") {
  CHECK(classify({.tls = TlsFailure::verify_failed, .mosquitto_rc = MOSQ_ERR_TLS}) ==
        tls_verify_failed);
  CHECK(classify({.tls = TlsFailure::host_mismatch}) == tls_host_mismatch);
  CHECK(classify({.tls = TlsFailure::alert, .sys_errno = ECONNRESET}) == tls_alert);
  CHECK(classify({.tls = TlsFailure::bad_client_cert}) == tls_bad_client_cert);
  CHECK(classify({.powered = false, .had_bridged = true, .mosquitto_rc = MOSQ_ERR_CONN_LOST}) ==
        power_off);
  CHECK(classify({.powered = false, .tls = TlsFailure::alert}) == power_off);
  CHECK(describe({.tls = TlsFailure::verify_failed}).find("did not verify") != std::string::npos);
}

// A broker that refuses the certificate closes with the lamp's next records unread: the
// reset can discard its alert before OpenSSL reads it (seen under load on loopback).
TEST_CASE("a TLS link the broker closes after answering, before CONNACK, is its refusal") {
  CHECK(classify({.tls_answered = true, .sys_errno = ECONNRESET, .mosquitto_rc = MOSQ_ERR_ERRNO}) ==
        tls_alert);
  CHECK(classify({.tls_answered = true, .mosquitto_rc = MOSQ_ERR_CONN_LOST}) == tls_alert);
  CHECK(classify({.tls_answered = true, .mosquitto_rc = MOSQ_ERR_TLS}) == tls_alert);
  CHECK(describe({.tls_answered = true, .mosquitto_rc = MOSQ_ERR_CONN_LOST}).find("swallowed") !=
        std::string::npos);
  // What OpenSSL saw still comes first.
  CHECK(classify({.tls = TlsFailure::verify_failed, .tls_answered = true,
                  .mosquitto_rc = MOSQ_ERR_TLS}) == tls_verify_failed);
  // A stalled CONNACK is a timeout, a bridged link's end is not the handshake's, a refused
  // CONNACK is the broker's words, and the lamp's own power-off is no failure.
  CHECK(classify({.tls_answered = true, .mosquitto_rc = MOSQ_ERR_KEEPALIVE}) == connect_timeout);
  CHECK(classify({.had_bridged = true, .tls_answered = true, .mosquitto_rc = MOSQ_ERR_CONN_LOST}) ==
        lost);
  CHECK(classify({.connack_code = 5, .tls_answered = true, .mosquitto_rc = MOSQ_ERR_CONN_LOST}) ==
        not_authorized);
  CHECK(classify({.powered = false, .tls_answered = true, .mosquitto_rc = MOSQ_ERR_CONN_LOST}) ==
        power_off);
  // Before the broker said anything in TLS, a reset is the network's, as on plain TCP.
  CHECK(classify({.sys_errno = ECONNRESET, .mosquitto_rc = MOSQ_ERR_ERRNO}) == lost);
  CHECK(classify({.sys_errno = ECONNREFUSED, .mosquitto_rc = MOSQ_ERR_ERRNO}) ==
        connection_refused);
}

TEST_CASE("every reason has its own name: the metric label set is bounded and distinct") {
  std::set<std::string> names;
  for (std::size_t r = 0; r < kDisconnectReasonCount; ++r)
    names.insert(disconnect_reason_name(static_cast<DisconnectReason>(r)));
  CHECK(names.size() == kDisconnectReasonCount);
  CHECK(std::string(disconnect_reason_name(power_off)) == "power_off");
}
