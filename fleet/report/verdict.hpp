// Who saturated first, judged once from the run's numbers and kept as a code: the table,
// the JSON and the HTML report name it from the one table here, never by re-reading text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

enum class VerdictCode : std::uint8_t { ok, broker_saturated, generator_saturated };

struct VerdictNames {
  std::string_view code;   // machine-readable, the JSON's "verdict_code": "broker_saturated"
  std::string_view label;  // for people, the table's and the badge's: "BROKER SATURATED"
};
VerdictNames verdict_names(VerdictCode code);

// What the verdict is judged on, all from the whole run.
struct VerdictInputs {
  double schedule_lag_p99_ms = 0;
  double p95_response_ms = 0;
  double failure_ratio = 0;  // failed publishes / publishes
  double response_timeout_ms = 0;
};

// A saturated generator invalidates the run whatever the broker did, so it wins.
VerdictCode judge_verdict(const VerdictInputs& in);

struct Verdict {
  VerdictCode code = VerdictCode::ok;
  std::string detail;  // what follows the label: "the broker kept up (p95 2.0 ms, ...)."
};

// The code and a detail quoting the numbers it was judged on.
Verdict verdict_for(const VerdictInputs& in);

// "LABEL: detail", as the table prints and the JSON's "verdict" has always said.
std::string verdict_text(const Verdict& v);

}  // namespace lampi::fleet
