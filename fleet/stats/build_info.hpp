// Which lampi-fleet measured a run: carried into the summary JSON, the report and the
// lampi_fleet_build_info metric, so two runs can be compared knowing what produced them.
#pragma once

#include <string>

namespace lampi::fleet {

struct BuildInfo {
  std::string version;     // the project's, e.g. "0.1.0"
  std::string revision;    // git's short commit, "+dirty" when built from changed files
  std::string build_type;  // CMake's, e.g. "Release"
};

}  // namespace lampi::fleet
