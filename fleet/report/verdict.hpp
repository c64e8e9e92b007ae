// Who saturated first, judged once from the run's numbers and kept as a code: the table,
// the JSON and the HTML report name it from the one table here, never by re-reading text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fleet/report/broker_events.hpp"

namespace lampi::fleet {

// A generator whose own scheduling (or event loop) slips by more than this is measuring
// itself, not the broker: the progress line, the gauge and the summary all judge by it.
inline constexpr double kGeneratorLagLimitMs = 100.0;
// A broker that fails more than this share of publishes, or whose p95 response passes
// the response timeout, did not keep up.
inline constexpr double kBrokerFailureRatioLimit = 0.01;

// At the limit is still keeping up: only lag strictly above it saturates.
constexpr bool over_generator_lag_limit(double lag_ms) {
  return lag_ms > kGeneratorLagLimitMs;
}

// A bridged share under this (of the lamps powered on by the end) means the run did not
// do what it was asked, unless the config's slo.min_bridged_ratio says otherwise.
inline constexpr double kDefaultMinBridgedRatio = 0.99;

enum class VerdictCode : std::uint8_t {
  ok,
  broker_saturated,
  generator_saturated,
  not_connected,   // too few lamps bridged: refused, unreachable, wrong credentials...
  interrupted,     // stopped by a signal before its planned duration
  outage,          // the broker went away mid-run: bridged lamps fell, connections lost
  stalled,         // the broker kept its connections but stopped acknowledging
  duplicate_ids,   // another client holds the same device ids: connections taken in turn
  cloud_mismatch,  // the cloud stand-in's accounting found a loss nothing explains
};

struct VerdictNames {
  std::string_view code;   // machine-readable, the JSON's "verdict_code": "broker_saturated"
  std::string_view label;  // for people, the table's and the badge's: "BROKER SATURATED"
};
VerdictNames verdict_names(VerdictCode code);

// What the verdict is judged on, all from the whole run.
struct VerdictInputs {
  // The generator's p99 lag in the steady state when the run reached one, else the run's.
  double schedule_lag_p99_ms = 0;
  // The ramp-up's, only when it is judged apart (0 otherwise): told, never judged.
  double ramp_lag_p99_ms = 0;
  double ramp_seconds = 0;
  double p95_response_ms = 0;
  double failure_ratio = 0;  // failed publishes / publishes
  double response_timeout_ms = 0;
  // Lamps, as the last progress sample before the stop saw them (0 hatched: not judged).
  std::uint64_t lamps_hatched = 0;
  std::uint64_t lamps_bridged = 0;
  std::uint64_t lamps_bridged_peak = 0;
  double min_bridged_ratio = kDefaultMinBridgedRatio;
  std::string connect_failures;  // "lost x5, refused x2", quoted by NOT CONNECTED
  bool interrupted = false;
  double seconds = 0, planned_seconds = 0;
  BrokerEvents broker_events{};      // from the run's timeline (find_broker_events)
  std::uint64_t lamps_flapping = 0;  // FleetStats::lamps_flapping
  // accounting_failure() of the cloud stand-in's accounting: "" when it passed or none ran.
  std::string cloud_failure;
};

// Precedence, most fundamental first: two clients fighting over each id make every
// connection count meaningless (and look like an outage); lamps that never got to the broker make
// every other number meaningless; a broker that went away (OUTAGE) or stopped answering (STALLED)
// is what the run found, whatever else; a message or command lost with nothing to explain it (CLOUD
// MISMATCH) is a finding whatever the timing; a run cut short measured only part of what was asked;
// a saturated generator measured itself; only then is the broker judged.
VerdictCode judge_verdict(const VerdictInputs& in);

struct Verdict {
  VerdictCode code = VerdictCode::ok;
  std::string detail;  // what follows the label: "the broker kept up (p95 2.0 ms, ...)."
};

// The code and a detail quoting the numbers it was judged on.
Verdict verdict_for(const VerdictInputs& in);

// "LABEL: detail", as the table prints and the JSON's "verdict" has always said.
std::string verdict_text(const Verdict& v);

// The process's exit code for a run (documented in the README):
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;         // an SLO broken, the broker or generator saturated
inline constexpr int kExitUsage = 2;          // bad command line or config, an output unwritable
inline constexpr int kExitNotConnected = 3;   // too few lamps bridged
inline constexpr int kExitInterrupted = 4;    // stopped before its planned duration
inline constexpr int kExitBrokerFailed = 5;   // an OUTAGE or a STALL during the run
inline constexpr int kExitDuplicateIds = 6;   // another client used the lamps' ids
inline constexpr int kExitCloudMismatch = 7;  // the cloud's accounting found an unexplained loss
int exit_code_for(VerdictCode code, bool slos_passed);

// Whether the run's figures measure the broker: true for ok and broker_saturated.
bool measured_the_broker(VerdictCode code);

}  // namespace lampi::fleet
