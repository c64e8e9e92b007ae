// The run as Locust 2.x writes it with --csv PREFIX: PREFIX_stats.csv (a row per topic and
// the Aggregated total), PREFIX_stats_history.csv (a row per second of the run) and
// PREFIX_failures.csv (a row per topic and reason), with Locust's column names, so what
// people already feed Locust's files into reads these. docs/locust-csv.md says where the
// values differ from a Locust run's.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "fleet/report/run_summary.hpp"
#include "fleet/stats/run_timeline.hpp"

namespace lampi::fleet {

// The Type column (Locust's request method) of a topic's publishes.
inline constexpr std::string_view kPublishType = "MQTT PUBLISH";
// What a column reads when nothing was measured: no PUBACK, or content sizes (not counted).
inline constexpr std::string_view kNotAvailable = "N/A";

std::string render_stats_csv(const RunSummary& s);
// Timestamps are the run's start (s.started_at) plus each point's seconds.
std::string render_stats_history_csv(const RunSummary& s, const RunTimeline& timeline);
std::string render_failures_csv(const RunSummary& s);

// PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv.
std::array<std::string, kCsvSuffixes.size()> locust_csv_paths(const std::string& prefix);

// Writes each of the three with write_output_file (output_file.hpp); one that fails does not
// stop the others. Throws std::runtime_error naming every file that could not be written.
void write_locust_csv(const std::string& prefix, const RunSummary& s, const RunTimeline& timeline);

}  // namespace lampi::fleet
