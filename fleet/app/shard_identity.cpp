#include "fleet/app/shard_identity.hpp"

#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdlib>

#include "fleet/config/config_loader.hpp"

namespace lampi::fleet {

namespace {

std::optional<std::size_t> whole_number(std::string_view text) {
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<ShardIndexFound> shard_index_from_environment(const char* job_completion_index,
                                                            std::string_view hostname) {
  if (job_completion_index != nullptr) {
    std::string_view text = job_completion_index;
    if (auto index = whole_number(text))
      return ShardIndexFound{*index, "JOB_COMPLETION_INDEX=" + std::string(text)};
    throw ConfigError(
        "environment", "JOB_COMPLETION_INDEX",
        "expected a whole number (a Kubernetes Indexed Job's pod index); got " + quote_value(text));
  }
  // A StatefulSet pod is <set name>-<ordinal>.
  auto dash = hostname.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  if (auto index = whole_number(hostname.substr(dash + 1)))
    return ShardIndexFound{*index, "the host name " + std::string(hostname)};
  return std::nullopt;
}

std::optional<std::string> find_shard_index(FleetConfig& config) {
  if (config.shard.index) return "";
  if (config.shard.count == 1) {
    config.shard.index = 0;
    return "";
  }
  std::array<char, 256> host{};
  std::string_view hostname;
  if (gethostname(host.data(), host.size() - 1) == 0) hostname = host.data();
  auto found = shard_index_from_environment(std::getenv("JOB_COMPLETION_INDEX"), hostname);
  if (!found) return std::nullopt;
  if (found->index >= config.shard.count)
    throw ConfigError("", "shard.index",
                      found->source + " is not a shard of " + std::to_string(config.shard.count) +
                          " (shard.count): set the Job's completions or the StatefulSet's "
                          "replicas to the shard count");
  config.shard.index = found->index;
  return found->source;
}

ConfigError missing_shard_index(const FleetConfig& config) {
  return ConfigError("", "shard.index",
                     "is not set, and shard.count is " + std::to_string(config.shard.count) +
                         ": give each process its own --shard-index (0 to " +
                         std::to_string(config.shard.count - 1) +
                         "), or start them as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) "
                         "or StatefulSet (a host name ending in -N)");
}

}  // namespace lampi::fleet
