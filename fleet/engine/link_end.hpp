// Why a lamp's bridge connection ended, from what each layer said at the time: the
// CONNACK, OpenSSL (through TlsPeer), the kernel's errno and libmosquitto's code. Pure, so
// every mapping is tested without a network; the shard gathers the facts.
#pragma once

#include <optional>
#include <string>

#include "fleet/engine/tls_context.hpp"
#include "fleet/stats/fleet_stats.hpp"

namespace lampi::fleet {

// libmosquitto hands an MQTT 5 DISCONNECT's reason code to on_disconnect as its rc.
inline constexpr int kSessionTakenOver = 0x8E;

struct LinkEnd {
  bool powered = true;       // false: the lamp itself powered off
  bool had_bridged = false;  // this attempt got its CONNACK
  int connack_code = 0;      // non-zero: the broker refused (3.1.1 codes 1-5, v5 >= 0x80)
  TlsFailure tls = TlsFailure::none;
  // TLS only: the broker answered the ClientHello. A broker that refuses the lamp's
  // certificate sends its alert and closes; when the lamp's next records (TLS 1.2's rest
  // of the flight, TLS 1.3's CONNECT) are still unread there, the close is a reset that
  // can discard the alert on the way. So a link the broker closes after answering and
  // before the CONNACK counts as the broker's TLS refusal, alert seen or not.
  bool tls_answered = false;
  int sys_errno = 0;      // what the socket reported, when libmosquitto said ERRNO
  int mosquitto_rc = 0;   // libmosquitto's reason (MOSQ_ERR_*), 0 for a clean close
  bool injected = false;  // the fleet's own fault injection dropped it
};

DisconnectReason classify(const LinkEnd& end);

// The words behind a reason, for the log: the library's or the kernel's own text.
std::string describe(const LinkEnd& end);

DisconnectReason connack_reason(int connack_code);
// The reason a failed TCP connect's errno names (ECONNREFUSED...), or none for any other.
std::optional<DisconnectReason> connect_error_reason(int err);

}  // namespace lampi::fleet
