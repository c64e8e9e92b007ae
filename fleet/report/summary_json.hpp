// The end-of-run summary as JSON (--summary-json): every field is described in
// docs/summary-json.md, which a test holds to what is written here.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "fleet/report/run_summary.hpp"

namespace lampi::fleet {

// UTC, ISO 8601 with milliseconds: "2026-12-01T08:00:01.123Z".
std::string utc_timestamp(std::chrono::system_clock::time_point t);

std::string render_json(const RunSummary& s);

// A histogram's raw counts in its own buckets (whole microseconds), with what merging two
// runs' histograms needs besides: the count, the sum for the mean, the min and the max.
nlohmann::ordered_json histogram_json(const LatencyHistogram& h);

}  // namespace lampi::fleet
