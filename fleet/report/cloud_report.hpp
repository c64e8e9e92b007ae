// The cloud stand-in's accounting as the summary table, the JSON and the HTML report tell it.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "fleet/stats/cloud_accounting.hpp"

namespace lampi::fleet {

// "p50 1.0 ms, p95 2.0 ms, p99 3.0 ms, max 4.0 ms (12 timed)", or "none timed".
std::string latency_text(const LatencyHistogram& h);
// Three lines for the summary table: messages, commands and round trips, wills and lamps.
std::string cloud_table_lines(const CloudAccounting& a);
// The summary JSON's "cloud" object (docs/summary-json.md).
nlohmann::ordered_json cloud_json(const CloudAccounting& a);
// The report's "Cloud" section.
std::string cloud_html_section(const CloudAccounting& a);

}  // namespace lampi::fleet
