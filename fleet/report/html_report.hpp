// The run as one self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched)
// so it can be attached to a ticket or opened on a machine with no network.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fleet/report/config_rows.hpp"
#include "fleet/report/run_summary.hpp"
#include "fleet/stats/run_timeline.hpp"

namespace lampi::fleet {

// The verdict, run facts and SLOs; charts of lamps, requests/s, response times and
// connects over time; the per-topic table, the other counters and the config used.
// Reads no clock (the start time is the summary's), so the same run renders the same bytes.
std::string render_html_report(const RunSummary& summary, const RunTimeline& timeline,
                               const ConfigRows& config_rows, std::string_view title);

// Throws std::runtime_error naming the path when the file cannot be written.
void write_html_report(const std::filesystem::path& path, const RunSummary& summary,
                       const RunTimeline& timeline, const ConfigRows& config_rows,
                       std::string_view title);

}  // namespace lampi::fleet
