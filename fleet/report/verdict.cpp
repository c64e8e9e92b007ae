#include "fleet/report/verdict.hpp"

#include <fmt/format.h>

namespace lampi::fleet {

VerdictNames verdict_names(VerdictCode code) {
  // A switch, not an array: -Wswitch names a code added without its names.
  switch (code) {
    case VerdictCode::ok:
      return {"ok", "OK"};
    case VerdictCode::broker_saturated:
      return {"broker_saturated", "BROKER SATURATED"};
    case VerdictCode::generator_saturated:
      return {"generator_saturated", "INVALID"};
    case VerdictCode::not_connected:
      return {"not_connected", "NOT CONNECTED"};
    case VerdictCode::interrupted:
      return {"interrupted", "INTERRUPTED"};
    case VerdictCode::outage:
      return {"outage", "OUTAGE"};
    case VerdictCode::stalled:
      return {"stalled", "STALLED"};
    case VerdictCode::duplicate_ids:
      return {"duplicate_ids", "DUPLICATE IDS"};
    case VerdictCode::cloud_mismatch:
      return {"cloud_mismatch", "CLOUD MISMATCH"};
  }
  return {"ok", "OK"};
}

namespace {

double bridged_ratio(const VerdictInputs& in) {
  return static_cast<double>(in.lamps_bridged) / static_cast<double>(in.lamps_hatched);
}

bool too_few_bridged(const VerdictInputs& in) {
  return in.lamps_hatched > 0 && bridged_ratio(in) < in.min_bridged_ratio;
}

// A run stopped while its lamps were still on their first try, none refused or lost, has
// not shown that they cannot connect: a signal a few milliseconds in is INTERRUPTED.
bool still_connecting(const VerdictInputs& in) {
  return in.interrupted && in.connect_failures.empty() && too_few_bridged(in);
}

std::string not_connected_detail(const VerdictInputs& in) {
  std::string why = in.connect_failures.empty() ? "" : "; " + in.connect_failures;
  std::string hint =
      " Check the broker's address and port, that it is running, and the credentials or "
      "certificates it expects.";
  if (in.lamps_bridged_peak == 0)
    return fmt::format("0 of {} lamps ever bridged{}.{}", in.lamps_hatched, why, hint);
  return fmt::format(
      "{} of {} lamps bridged at the end ({:.1f}%, at least {:.1f}% required; "
      "{} at the peak){}.",
      in.lamps_bridged, in.lamps_hatched, bridged_ratio(in) * 100.0, in.min_bridged_ratio * 100.0,
      in.lamps_bridged_peak, why);
}

std::string outage_detail(const VerdictInputs& in) {
  const Outage& o = *in.broker_events.outage;
  std::string why = in.connect_failures.empty() ? "" : " (" + in.connect_failures + ")";
  std::string after =
      o.recovered_s ? fmt::format("back after {:.0f} s", *o.recovered_s - o.start_s)
                    : fmt::format("not recovered by the end ({} of {} powered-on lamps bridged)",
                                  in.lamps_bridged, in.lamps_hatched);
  return fmt::format("at {:.0f} s the broker went away: bridged lamps fell from {} to {}{}; {}.",
                     o.start_s, o.bridged_before, o.bridged_lowest, why, after);
}

// A ramp-up that fell behind is told, not judged: its burst of connects and boot messages
// is not what a soak measures.
std::string ramp_note(const VerdictInputs& in) {
  if (!over_generator_lag_limit(in.ramp_lag_p99_ms)) return "";
  return fmt::format(
      " The ramp-up (first {:.0f} s) fell behind its schedule (p99 lag {:.1f} ms); "
      "the steady state after it kept it.",
      in.ramp_seconds, in.ramp_lag_p99_ms);
}

}  // namespace

VerdictCode judge_verdict(const VerdictInputs& in) {
  if (in.lamps_flapping > 0) return VerdictCode::duplicate_ids;
  if (in.broker_events.outage) return VerdictCode::outage;
  if (too_few_bridged(in) && !still_connecting(in)) return VerdictCode::not_connected;
  if (in.broker_events.stall) return VerdictCode::stalled;
  if (!in.cloud_failure.empty()) return VerdictCode::cloud_mismatch;
  if (in.interrupted) return VerdictCode::interrupted;
  if (over_generator_lag_limit(in.schedule_lag_p99_ms)) return VerdictCode::generator_saturated;
  if (in.p95_response_ms > in.response_timeout_ms || in.failure_ratio > kBrokerFailureRatioLimit)
    return VerdictCode::broker_saturated;
  return VerdictCode::ok;
}

Verdict verdict_for(const VerdictInputs& in) {
  VerdictCode code = judge_verdict(in);
  switch (code) {
    case VerdictCode::not_connected:
      return {code, not_connected_detail(in)};
    case VerdictCode::outage:
      return {code, outage_detail(in)};
    case VerdictCode::duplicate_ids:
      return {code,
              fmt::format("{} lamps had their connection taken away again and again while the "
                          "broker let them straight back in: another client uses the same device "
                          "IDs (mosquitto logs \"already connected, closing old connection\"), "
                          "such as a second lampi-fleet with the same device_id_base, or real "
                          "lamps. Give each fleet its own device_id_base.",
                          in.lamps_flapping)};
    case VerdictCode::cloud_mismatch:
      return {code, in.cloud_failure + "."};
    case VerdictCode::stalled: {
      const Stall& st = *in.broker_events.stall;
      return {code, fmt::format("from {:.0f} s for {:.0f} s the broker kept {} lamps' connections "
                                "but acknowledged no publish ({:.2f}% of publishes failed in the "
                                "run). A paused or deadlocked broker, or one whose disk or "
                                "network stopped, looks like this.",
                                st.start_s, st.seconds, st.bridged, in.failure_ratio * 100.0)};
    }
    case VerdictCode::interrupted: {
      if (still_connecting(in))
        return {code,
                fmt::format("stopped by a signal after {:.1f} of {:.0f} s, while lamps were "
                            "still connecting ({} of {} bridged, none refused or lost).",
                            in.seconds, in.planned_seconds, in.lamps_bridged, in.lamps_hatched)};
      VerdictInputs rest = in;
      rest.interrupted = false;
      Verdict so_far = verdict_for(rest);
      return {code,
              fmt::format("stopped by a signal after {:.1f} of {:.0f} s; until then {}", in.seconds,
                          in.planned_seconds,
                          so_far.code == VerdictCode::ok ? so_far.detail : verdict_text(so_far))};
    }
    case VerdictCode::generator_saturated: {
      std::string where =
          in.ramp_lag_p99_ms > 0
              ? fmt::format(
                    "after the ramp-up (p99 lag {:.1f} ms in the steady state, {:.1f} ms "
                    "in the first {:.0f} s)",
                    in.schedule_lag_p99_ms, in.ramp_lag_p99_ms, in.ramp_seconds)
              : fmt::format("(p99 lag {:.1f} ms)", in.schedule_lag_p99_ms);
      return {code, fmt::format("the generator fell behind its own schedule {}; results measure "
                                "lampi-fleet, not the broker. Use fewer lamps per core or more "
                                "--threads.",
                                where)};
    }
    case VerdictCode::broker_saturated:
      return {code, fmt::format("p95 response {:.1f} ms, {:.2f}% failures (timeout {:.0f} ms) "
                                "while the generator kept its schedule (p99 lag {:.1f} ms).{}",
                                in.p95_response_ms, in.failure_ratio * 100.0,
                                in.response_timeout_ms, in.schedule_lag_p99_ms, ramp_note(in))};
    case VerdictCode::ok:
      break;
  }
  return {code, fmt::format("the broker kept up (p95 {:.1f} ms, {:.2f}% failures).{}",
                            in.p95_response_ms, in.failure_ratio * 100.0, ramp_note(in))};
}

int exit_code_for(VerdictCode code, bool slos_passed) {
  switch (code) {
    case VerdictCode::not_connected:
      return kExitNotConnected;
    case VerdictCode::interrupted:
      return kExitInterrupted;
    case VerdictCode::outage:
    case VerdictCode::stalled:
      return kExitBrokerFailed;
    case VerdictCode::duplicate_ids:
      return kExitDuplicateIds;
    case VerdictCode::cloud_mismatch:
      return kExitCloudMismatch;
    case VerdictCode::broker_saturated:
    case VerdictCode::generator_saturated:
      return kExitFailed;
    case VerdictCode::ok:
      break;
  }
  return slos_passed ? kExitOk : kExitFailed;
}

bool measured_the_broker(VerdictCode code) {
  // An outage or a stall is the broker's own doing, found by a generator on schedule.
  return code == VerdictCode::ok || code == VerdictCode::broker_saturated ||
         code == VerdictCode::outage || code == VerdictCode::stalled;
}

std::string verdict_text(const Verdict& v) {
  return fmt::format("{}: {}", verdict_names(v.code).label, v.detail);
}

}  // namespace lampi::fleet
