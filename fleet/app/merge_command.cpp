#include "fleet/app/merge_command.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

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
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw SummaryError(fmt::format("{}: cannot open the file: {}", path, std::strerror(errno)));
  std::string text;
  std::array<char, 64 * 1024> chunk{};
  while (in && text.size() <= kMaxSummaryBytes) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (text.size() > kMaxSummaryBytes)
    throw SummaryError(
        fmt::format("{}: is larger than 64 MiB; expected a --summary-json file", path));
  if (in.bad())
    throw SummaryError(fmt::format("{}: cannot read the file: {}", path, std::strerror(errno)));
  return text;
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
