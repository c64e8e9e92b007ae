// The tool's log lines: lifecycle, warnings and errors, on stderr through spdlog. The
// progress line, the summary table and the validate verdict are output, not log lines,
// and keep their own format.
#pragma once

#include <spdlog/logger.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace lampi::fleet {

// What `--log-level` accepts, quietest last.
inline constexpr std::array<std::string_view, 6> kLogLevelNames = {"trace", "debug", "info",
                                                                   "warn",  "error", "off"};

// One of kLogLevelNames to spdlog's level; nullopt for anything else (spdlog's own
// from_str turns every unknown name into "off", which would silence a typo).
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// A logger on stderr, owned by whoever runs the command (nothing is registered with
// spdlog's global registry). On a terminal the lines are for a person,
// `[12:00:01] warning: ...` with the level coloured; otherwise one plain line per event
// for grep and journald, UTC to the millisecond:
// `2026-12-01T08:00:01.123Z lampi-fleet warning: ...`.
std::shared_ptr<spdlog::logger> make_logger(spdlog::level::level_enum level, bool terminal);

}  // namespace lampi::fleet
