// What the engine's own counting costs per message, measured in isolation: the work a
// shard does for metrics on one QoS 1 publish and its PUBACK (counters, the exported
// Prometheus buckets, the in-flight gauge). Prints nanoseconds per message.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "fleet/stats/fleet_stats.hpp"

using namespace lampi::fleet;

int main(int argc, char** argv) {
  long iterations = argc > 1 ? std::atol(argv[1]) : 20'000'000;
  static FleetStats stats;  // large: keep it off the stack
  auto& topic = stats.topics[1];
  auto& latency = stats.latency[1];
  std::int64_t sink = 0;
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    std::int64_t micros = 200 + (i * 7919) % 50'000;  // spread over the buckets
    bump(topic.requests);
    stats.inflight.fetch_add(1, std::memory_order_relaxed);
    latency.exported.record(micros);
    bump(topic.acked);
    stats.inflight.fetch_sub(1, std::memory_order_relaxed);
    sink += micros;
  }
  auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  std::printf("metrics work per message (publish + PUBACK): %.1f ns over %ld messages (checksum %lld)\n",
              ns / static_cast<double>(iterations), iterations, static_cast<long long>(sink % 1000));
  return 0;
}
