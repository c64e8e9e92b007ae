// How a capacity search is told: the step table and finding on stdout, the JSON for CI
// (docs/capacity.md) and the self-contained HTML page with response time against load.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "fleet/report/knee_search.hpp"
#include "fleet/stats/build_info.hpp"

namespace lampi::fleet {

// Everything a capacity search's outputs say, gathered once by the command.
struct CapacityRun {
  SearchPlan plan{};
  CapacitySlo slo{};
  double hatch_rate = 0;
  double hold_s = 0, settle_s = 0;
  double max_duration_s = 0;
  std::string profiles{};  // "seed-worst-case:100"
  std::string broker{};    // the lamps' broker URL, or "local mosquitto (127.0.0.1:PORT)"
  double response_timeout_ms = 0;
  std::vector<StepResult> steps{};  // in the order they were held, both passes
  SearchResult result{};
  std::chrono::system_clock::time_point started_at{};
  double seconds = 0;
  BuildInfo build{};
};

// One row per step held, then the finding and its notes.
std::string render_step_table(const std::vector<StepResult>& steps);
std::string render_capacity_text(const CapacityRun& run);

std::string render_capacity_json(const CapacityRun& run);

// Response time (p50 and p95 of each step, per pass) against lamps, the SLO as a line and
// the knee marked; acknowledged messages/s against lamps; the step table; the settings.
std::string render_capacity_html(const CapacityRun& run);

}  // namespace lampi::fleet
