#include "fleet/report/progress.hpp"

#include <fmt/format.h>

#include "fleet/report/verdict.hpp"

namespace lampi::fleet {

ProgressSample ProgressMeter::sample(double elapsed_s) {
  ProgressSample s;
  s.elapsed_s = elapsed_s;
  s.lamps = static_cast<std::int64_t>(shard_slice(fleet_.config()).count);
  for (const FleetStats* shard : fleet_.shards()) {
    const FleetStats& st = *shard;
    for (std::size_t p = 0; p < kPhaseCount; ++p)
      s.by_phase[p] += st.lamps_by_phase[p].load(std::memory_order_relaxed);
    for (const auto& t : st.topics) {
      s.requests += read(t.requests);
      s.failures += read(t.failures);
    }
    s.connects += read(st.connects);
    s.inflight += st.inflight.load(std::memory_order_relaxed);
    for (std::size_t r = 0; r < kDisconnectReasonCount; ++r)
      s.disconnects[r] += read(st.disconnects[r]);
    s.reconnects += read(st.reconnects);
    s.loop_lag_max_ms =
        std::max(s.loop_lag_max_ms,
                 static_cast<double>(st.loop_lag_us.load(std::memory_order_relaxed)) / 1000.0);
  }
  double dt = elapsed_s - last_elapsed_;
  auto per_s = [dt](std::uint64_t now, std::uint64_t& last) {
    double r = dt > 0 ? static_cast<double>(now - last) / dt : 0;
    last = now;
    return r;
  };
  s.published_per_s = per_s(s.requests, last_requests_);
  s.failures_per_s = per_s(s.failures, last_failures_);
  s.connects_per_s = per_s(s.connects, last_connects_);
  s.reconnects_per_s = per_s(s.reconnects, last_reconnects_);
  last_elapsed_ = elapsed_s;
  auto [response, lag, notes] = intervals_.take();
  s.failure_notes = std::move(notes);
  s.schedule_lag_max_ms = static_cast<double>(lag.max()) / 1000.0;
  s.schedule_lag_p99_ms = static_cast<double>(lag.percentile(0.99)) / 1000.0;
  s.acked = response.count() > 0;
  auto ms = [](std::int64_t us) { return static_cast<double>(us) / 1000.0; };
  s.p50_ms = ms(response.percentile(0.5));
  s.p95_ms = ms(response.percentile(0.95));
  s.p99_ms = ms(response.percentile(0.99));
  for (std::size_t i = 0; i < kReportedPercentiles.size(); ++i)
    s.percentiles_ms[i] = ms(response.percentile(kReportedPercentiles[i].q));
  responses_.merge(response);
  s.acked_ever = responses_.count() > 0;
  s.total_median_ms = ms(responses_.percentile(0.5));
  s.total_average_ms = responses_.mean() / 1000.0;
  s.total_min_ms = ms(responses_.min());
  s.total_max_ms = ms(responses_.max());
  auto bridged =
      static_cast<std::uint64_t>(s.by_phase[static_cast<std::size_t>(LampPhase::bridged)]);
  bridged_peak_ = std::max(bridged_peak_, bridged);
  return s;
}

bool generator_saturated(const ProgressSample& s) {
  return over_generator_lag_limit(s.schedule_lag_p99_ms) ||
         over_generator_lag_limit(s.loop_lag_max_ms);
}

namespace {
// No PUBACK in the last second is not a 0 ms response time.
std::string ms_or_dash(double value, bool any) {
  return any ? fmt::format("{:.1f} ms", value) : "- ms";
}
}  // namespace

std::string format_progress(const ProgressSample& s) {
  auto phase = [&](LampPhase p) { return s.by_phase[static_cast<std::size_t>(p)]; };
  return fmt::format(
             "[{:>6.0f}s] lamps {}/{} bridged, {} connecting, {} backing off | {:.0f} msg/s | "
             "p50 {} p95 {} | {} failures | lag {:.1f} ms",
             s.elapsed_s, phase(LampPhase::bridged), s.lamps,
             phase(LampPhase::connecting) + phase(LampPhase::booting),
             phase(LampPhase::backing_off), s.published_per_s, ms_or_dash(s.p50_ms, s.acked),
             ms_or_dash(s.p95_ms, s.acked), s.failures,
             std::max(s.schedule_lag_max_ms, s.loop_lag_max_ms)) +
         (generator_saturated(s) ? " | GENERATOR SATURATED" : "");
}

}  // namespace lampi::fleet

namespace lampi::fleet {

TimelinePoint to_timeline_point(const ProgressSample& s) {
  auto phase = [&](LampPhase p) { return s.by_phase[static_cast<std::size_t>(p)]; };
  TimelinePoint p;
  p.t_s = s.elapsed_s;
  p.lamps_bridged = phase(LampPhase::bridged);
  p.lamps_connecting = phase(LampPhase::connecting) + phase(LampPhase::booting);
  p.lamps_backing_off = phase(LampPhase::backing_off);
  p.inflight = s.inflight;
  p.requests_per_s = s.published_per_s;
  p.failures_per_s = s.failures_per_s;
  p.has_latency = s.acked;
  p.p50_ms = s.p50_ms;
  p.p95_ms = s.p95_ms;
  p.p99_ms = s.p99_ms;
  p.percentiles_ms = s.percentiles_ms;
  p.connects_per_s = s.connects_per_s;
  p.reconnects_per_s = s.reconnects_per_s;
  p.total_requests = s.requests;
  p.total_failures = s.failures;
  p.total_has_latency = s.acked_ever;
  p.total_median_ms = s.total_median_ms;
  p.total_average_ms = s.total_average_ms;
  p.total_min_ms = s.total_min_ms;
  p.total_max_ms = s.total_max_ms;
  return p;
}

}  // namespace lampi::fleet
