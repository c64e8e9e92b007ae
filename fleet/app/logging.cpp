#include "fleet/app/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace lampi::fleet {

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  static constexpr std::array<spdlog::level::level_enum, kLogLevelNames.size()> kLevels = {
      spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
      spdlog::level::warn,  spdlog::level::err,   spdlog::level::off};
  for (std::size_t i = 0; i < kLogLevelNames.size(); ++i)
    if (kLogLevelNames[i] == name) return kLevels[i];
  return std::nullopt;
}

std::shared_ptr<spdlog::logger> make_logger(spdlog::level::level_enum level, bool terminal) {
  // Multi-threaded sinks: the shards may log from their own threads too.
  spdlog::sink_ptr sink;
  std::unique_ptr<spdlog::formatter> format;
  if (terminal) {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    format = std::make_unique<spdlog::pattern_formatter>("[%H:%M:%S] %^%l%$: %v");
  } else {
    // No colour sink at all, so no escape codes even where TERM says colour.
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    format = std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ lampi-fleet %l: %v",
                                                         spdlog::pattern_time_type::utc);
  }
  sink->set_formatter(std::move(format));
  auto logger = std::make_shared<spdlog::logger>("lampi-fleet", std::move(sink));
  logger->set_level(level);  // both sinks flush every line: nothing waits in a buffer
  return logger;
}

}  // namespace lampi::fleet
