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
  }
  return {"ok", "OK"};
}

VerdictCode judge_verdict(const VerdictInputs& in) {
  if (over_generator_lag_limit(in.schedule_lag_p99_ms)) return VerdictCode::generator_saturated;
  if (in.p95_response_ms > in.response_timeout_ms || in.failure_ratio > kBrokerFailureRatioLimit)
    return VerdictCode::broker_saturated;
  return VerdictCode::ok;
}

Verdict verdict_for(const VerdictInputs& in) {
  VerdictCode code = judge_verdict(in);
  switch (code) {
    case VerdictCode::generator_saturated:
      return {code, fmt::format("the generator fell behind its own schedule (p99 lag {:.1f} ms); "
                                "results measure lampi-fleet, not the broker. Use fewer lamps "
                                "per core or more --threads.",
                                in.schedule_lag_p99_ms)};
    case VerdictCode::broker_saturated:
      return {code, fmt::format("p95 response {:.1f} ms, {:.2f}% failures (timeout {:.0f} ms) "
                                "while the generator kept its schedule (p99 lag {:.1f} ms).",
                                in.p95_response_ms, in.failure_ratio * 100.0,
                                in.response_timeout_ms, in.schedule_lag_p99_ms)};
    case VerdictCode::ok:
      break;
  }
  return {code, fmt::format("the broker kept up (p95 {:.1f} ms, {:.2f}% failures).",
                            in.p95_response_ms, in.failure_ratio * 100.0)};
}

std::string verdict_text(const Verdict& v) {
  return fmt::format("{}: {}", verdict_names(v.code).label, v.detail);
}

}  // namespace lampi::fleet
