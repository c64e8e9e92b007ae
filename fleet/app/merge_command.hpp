// `lampi-fleet merge`: the summaries of a sharded fleet's processes as one run's table,
// verdict, JSON and HTML report, with the exit code one process running every lamp would
// have given.
#pragma once

#include <string>
#include <vector>

#include <spdlog/logger.h>

namespace lampi::fleet {

struct MergeOptions {
  std::vector<std::string> inputs;  // the shards' --summary-json files
  std::string summary_json;         // "" for none
  std::string report;               // "" for none
};

int merge_shards(const MergeOptions& options, spdlog::logger& log);

}  // namespace lampi::fleet
