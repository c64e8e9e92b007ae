#include "fleet/app/merge_command.hpp"

#include <fmt/format.h>

#include <optional>
#include <system_error>

#include "fleet/config/bounded_file.hpp"
#include "fleet/report/config_rows.hpp"
#include "fleet/report/html_report.hpp"
#include "fleet/report/output_file.hpp"
#include "fleet/report/summary_json.hpp"
#include "fleet/report/summary_merge.hpp"

namespace lampi::fleet {

namespace {

// A summary is some kilobytes per topic; anything far bigger is the wrong file.
constexpr std::size_t kMaxSummaryBytes = 64 * 1024 * 1024;

std::string read_summary_file(const std::string& path) {
  std::optional<std::string> text;
  try {
    text = read_at_most(path, kMaxSummaryBytes);
  } catch (const std::system_error& e) {
    throw SummaryError(fmt::format("{}: cannot read the file: {}", path, e.code().message()));
  }
  if (!text)
    throw SummaryError(
        fmt::format("{}: is larger than 64 MiB; expected a --summary-json file", path));
  return *text;
}

}  // namespace

int merge_shards(const MergeOptions& options, spdlog::logger& log) {
  // Every output is checked before anything is read, as a run checks them before it starts.
  for (const auto& path : {options.summary_json, options.report})
    if (!path.empty()) check_output_path(path);
  std::vector<ShardSummary> shards;
  for (const auto& path : options.inputs)
    shards.push_back({path, read_summary_json(read_summary_file(path), path)});
  RunSummary merged = merge_summaries(shards);
  log.info("Merged {} shards: {} lamps, {} to {}", shards.size(), merged.lamps,
           utc_timestamp(merged.started_at), utc_timestamp(merged.ended_at));
  fmt::print("{}", render_table(merged));
  std::fflush(stdout);
  if (!options.summary_json.empty()) write_output_file(options.summary_json, render_json(merged));
  if (!options.report.empty()) {
    write_html_report(
        options.report, merged, {}, config_rows(merged.config),
        fmt::format("lampi-fleet: {} lamps, {} shards merged", merged.lamps, shards.size()));
    log.info("Report: {}", options.report);
  }
  return merged.exit_code();
}

}  // namespace lampi::fleet
