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
                                                            bool in_kubernetes,
                                                            std::string_view hostname) {
  if (job_completion_index != nullptr) {
    std::string_view text = job_completion_index;
    if (auto index = whole_number(text))
      return ShardIndexFound{*index, "JOB_COMPLETION_INDEX=" + std::string(text)};
    throw ConfigError(
        "environment", "JOB_COMPLETION_INDEX",
        "expected a whole number (a Kubernetes Indexed Job's pod index); got " + quote_value(text));
  }
  // A StatefulSet pod is <set name>-<ordinal>. Elsewhere a host name like EC2's
  // ip-10-0-0-3 ends in digits too, and must never pick a shard by chance.
  if (!in_kubernetes) return std::nullopt;
  auto dash = hostname.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  if (auto index = whole_number(hostname.substr(dash + 1)))
    return ShardIndexFound{*index, "the host name " + std::string(hostname)};
  return std::nullopt;
}

std::optional<std::string> find_shard_index(FleetConfig& config) {
  if (config.shard.index) return "";
  const char* job_index = std::getenv("JOB_COMPLETION_INDEX");
  if (config.shard.count == 1) {
    // Pods 1, 2, ... of an Indexed Job over a config of one shard would each run the whole
    // fleet, every lamp's ID twice: DUPLICATE IDS after an hour of setting up.
    if (job_index != nullptr && std::string_view(job_index) != "0")
      throw ConfigError("", "shard.count",
                        std::string("is 1, but this pod is JOB_COMPLETION_INDEX=") + job_index +
                            " of an Indexed Job: set shard.count to the Job's completions, or "
                            "every pod runs the same lamps");
    config.shard.index = 0;
    return "";
  }
  std::array<char, 256> host{};
  std::string_view hostname;
  if (gethostname(host.data(), host.size() - 1) == 0) hostname = host.data();
  auto found = shard_index_from_environment(
      job_index, std::getenv("KUBERNETES_SERVICE_HOST") != nullptr, hostname);
  if (!found) return std::nullopt;
  if (found->index >= config.shard.count)
    throw ConfigError("", "shard.index",
                      found->source + " is not a shard of " + std::to_string(config.shard.count) +
                          " (shard.count): the Job's completions (or the StatefulSet's "
                          "replicas) and shard.count must be the same");
  config.shard.index = found->index;
  return found->source;
}

std::string require_shard_index(FleetConfig& config) {
  if (auto source = find_shard_index(config)) return *source;
  throw ConfigError("", "shard.index",
                    "is not set, and shard.count is " + std::to_string(config.shard.count) +
                        ": give each process its own --shard-index (0 to " +
                        std::to_string(config.shard.count - 1) +
                        "), or start them as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) "
                        "or StatefulSet (a host name ending in -N)");
}

}  // namespace lampi::fleet
