#include "progress.hpp"

#include <fmt/format.h>

namespace lampi::fleet {

ProgressSample ProgressMeter::sample(double elapsed_s) {
  ProgressSample s;
  s.elapsed_s = elapsed_s;
  s.lamps = static_cast<std::int64_t>(engine_.config().lamps);
  std::uint64_t requests = 0;
  LatencyHistogram response;
  for (const auto& shard : engine_.shards()) {
    auto& st = shard->stats();
    for (std::size_t p = 0; p < kPhaseCount; ++p)
      s.by_phase[p] += st.lamps_by_phase[p].load(std::memory_order_relaxed);
    for (const auto& t : st.topics) {
      requests += read(t.requests);
      s.failures += read(t.failures);
    }
    auto interval = st.take_interval();
    response.merge(interval.response);
    s.schedule_lag_max_ms = std::max(s.schedule_lag_max_ms, static_cast<double>(interval.schedule_lag.max()) / 1000.0);
    s.loop_lag_max_ms = std::max(s.loop_lag_max_ms, static_cast<double>(st.loop_lag_us.load(std::memory_order_relaxed)) / 1000.0);
  }
  double dt = elapsed_s - last_elapsed_;
  s.published_per_s = dt > 0 ? static_cast<double>(requests - last_requests_) / dt : 0;
  last_requests_ = requests;
  last_elapsed_ = elapsed_s;
  s.p50_ms = static_cast<double>(response.percentile(0.5)) / 1000.0;
  s.p95_ms = static_cast<double>(response.percentile(0.95)) / 1000.0;
  auto bridged = static_cast<std::uint64_t>(s.by_phase[static_cast<std::size_t>(LampPhase::bridged)]);
  bridged_peak_ = std::max(bridged_peak_, bridged);
  return s;
}

std::string format_progress(const ProgressSample& s) {
  auto phase = [&](LampPhase p) { return s.by_phase[static_cast<std::size_t>(p)]; };
  return fmt::format(
      "[{:>6.0f}s] lamps {}/{} bridged, {} connecting, {} backing off | {:.0f} msg/s | "
      "p50 {:.1f} ms p95 {:.1f} ms | {} failures | lag {:.1f} ms",
      s.elapsed_s, phase(LampPhase::bridged), s.lamps,
      phase(LampPhase::connecting) + phase(LampPhase::booting), phase(LampPhase::backing_off),
      s.published_per_s, s.p50_ms, s.p95_ms, s.failures,
      std::max(s.schedule_lag_max_ms, s.loop_lag_max_ms));
}

}  // namespace lampi::fleet
