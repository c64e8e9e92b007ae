// A half-hour run of 5,000 lamps with noise, a one-minute outage at 20 minutes and a
// failed SLO: the report's test renders it and checks what a reader would look for, and
// tests/bench/sample_report.cpp writes it to a file for people to look at. And a run of
// three seconds, small enough for its CSV files to be checked byte for byte.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>

#include "fleet/report/html_report.hpp"
#include "fleet/report/progress.hpp"
#include "fleet/report/run_summary.hpp"
#include "fleet/stats/run_timeline.hpp"
#include "tests/support/hand_filled_fleet.hpp"

namespace lampi::testing {

inline constexpr int kSampleSeconds = 1800;
// The outage: lamps back off, failures and p50 rise, and no PUBACK comes in the middle.
inline bool in_sample_outage(int i) {
  return i > 1200 && i < 1260;
}
inline bool sample_has_latency(int i) {
  return i > 3 && !(i > 1205 && i < 1215);
}

inline fleet::RunTimeline sample_timeline() {
  fleet::RunTimeline tl;
  unsigned rng = 12345;
  auto noise = [&] {  // a fixed LCG: the same bytes every run
    rng = rng * 1103515245u + 12345u;
    return static_cast<double>((rng >> 16) & 0x7fff) / 32768.0;
  };
  for (int i = 0; i < kSampleSeconds; ++i) {
    fleet::TimelinePoint p;
    p.t_s = i + 1;
    double ramp = std::min(1.0, i / 300.0);
    bool outage = in_sample_outage(i);
    p.lamps_bridged = static_cast<std::int64_t>(5000 * ramp) - (outage ? 400 : 0);
    p.lamps_connecting = i < 300 ? 200 + static_cast<std::int64_t>(50 * noise()) : 0;
    p.lamps_backing_off = outage ? 400 : 0;
    p.requests_per_s = 1700 * ramp + 100 * noise();
    p.failures_per_s = outage ? 40 * noise() : 0;
    p.has_latency = sample_has_latency(i);
    p.p50_ms = 8 + 4 * ramp + 2 * noise() + (outage ? 60 : 0);
    p.p95_ms = p.p50_ms * 2.5 + 5 * noise();
    p.p99_ms = p.p95_ms * 1.6 + 10 * noise();
    p.connects_per_s = i < 300 ? 16 + 3 * noise() : (i >= 1255 && i < 1265 ? 40 : 0);
    p.reconnects_per_s = i >= 1255 && i < 1265 ? 40 : 0;
    tl.push_back(p);
  }
  return tl;
}

inline fleet::RunSummary sample_summary() {
  fleet::RunSummary s;
  s.seconds = kSampleSeconds;
  s.lamps = 5000;
  s.lamps_bridged_peak = 5000;
  s.connect_attempts = 5420;
  s.connects = 5400;
  s.reconnects = 400;
  s.disconnects = {{"refused", 0}, {"lost", 400}, {"keepalive", 0}, {"power_off", 0}};
  s.set_config_invalid = {{"not_json", 3}};
  s.timeouts = 1200;
  s.schedule_lag_p50_ms = 0.3;
  s.schedule_lag_p99_ms = 2.1;
  s.schedule_lag_max_ms = 30.4;
  s.rows = {{"devices/+/lamp/changed", 2'800'000, 1200, 0, true, 11.0, 13.2, 0.9, 480.0, 29.5, 61.0,
             1555.6},
            {"devices/+/lamp/set_config", 0, 0, 9000, false, 0, 0, 0, 0, 0, 0, 0}};
  s.total = {"Aggregated", 2'800'000, 1200, 9000, true, 11.0, 13.2, 0.9, 480.0, 29.5, 61.0, 1555.6};
  s.verdict = {fleet::VerdictCode::ok, "the broker kept up (p95 29.5 ms, 0.04% failures)."};
  s.slos = {{"p95_response_time", "<= 200.0 ms", "29.5 ms", true},
            {"max_failure_ratio", "<= 0.0001", "0.0004", false}};
  s.slos_passed = false;
  return s;
}

// The report's table as a run builds it: every key of a 5,000-lamp config.
inline fleet::ConfigRows sample_config() {
  fleet::FleetConfig c;
  c.lamps = 5000;
  c.broker = fleet::BrokerTarget{false, "127.0.0.1", 1883};
  c.profiles = {{model::Profile::touch_drag, 80.0}, {model::Profile::idle, 20.0}};
  return fleet::config_rows(c);
}

inline constexpr const char* kSampleTitle = "Soak: 5000 lamps <touch-drag> & idle";

// ---- Three seconds of four lamps on two shards ----
//
// Built as a run builds it: the shards count, the progress meter samples once a second and
// summarize() reads the totals. lamp/changed: 10 publishes, 8 PUBACKs (one 620 ms late: a
// timeout), one never acknowledged (a timeout) and one not sent; a service's state: 4
// publishes, 4 PUBACKs; set_config: 3 received. No PUBACK in the third second.
struct ShortSample {
  fleet::RunSummary summary;
  fleet::RunTimeline timeline;
};

// 2026-12-01T08:00:00.250Z.
inline std::chrono::system_clock::time_point short_sample_start() {
  using namespace std::chrono;
  return sys_days{year{2026} / December / 1} + 8h + 250ms;
}

inline ShortSample short_sample() {
  using fleet::LampPhase;
  using model::Topic;
  HandFilledFleet fleet(2);
  fleet.config.lamps = 4;
  fleet::ProgressMeter meter(fleet.view(), fleet.interval_reader());
  std::array<fleet::FleetStats::Interval, 2> second{};
  auto phases = [&](std::size_t shard, LampPhase p, std::int64_t n) {
    fleet.shard(shard).lamps_by_phase[static_cast<std::size_t>(p)].store(n);
  };
  auto publish = [&](std::size_t shard, Topic t, std::initializer_list<std::int64_t> acked_us) {
    auto& st = fleet.shard(shard);
    fleet::bump(st.topics[model::index_of(t)].requests, acked_us.size());
    for (auto us : acked_us) {
      st.latency[model::index_of(t)].response.record(us);
      second[shard].response.record(us);
    }
  };
  auto fail = [&](std::size_t shard, fleet::FailureReason why) {
    fleet::count_failure(fleet.shard(shard).topics[model::index_of(Topic::changed)], why);
  };
  ShortSample out;
  auto tick = [&](double t) {
    for (std::size_t k = 0; k < 2; ++k) fleet.shard(k).publish_interval(second[k]);
    out.timeline.push_back(fleet::to_timeline_point(meter.sample(t)));
  };

  phases(0, LampPhase::bridged, 2);
  phases(1, LampPhase::bridged, 1);
  phases(1, LampPhase::connecting, 1);
  publish(0, Topic::changed, {900, 1200, 1500, 2000});
  publish(1, Topic::state_lamp_service, {300, 400});
  tick(1.0);

  phases(1, LampPhase::connecting, 0);
  phases(1, LampPhase::bridged, 2);
  publish(1, Topic::changed, {2500, 3100, 4000, 620'000});
  fail(1, fleet::FailureReason::timeout);  // the late one
  publish(0, Topic::state_lamp_service, {500, 700});
  fleet::bump(fleet.shard(0).topics[model::index_of(Topic::set_config)].received, 3);
  tick(2.0);

  phases(1, LampPhase::bridged, 1);
  phases(1, LampPhase::backing_off, 1);
  fleet::bump(fleet.shard(0).topics[model::index_of(Topic::changed)].requests, 2);
  fail(0, fleet::FailureReason::timeout);  // never acknowledged
  fail(0, fleet::FailureReason::not_sent);
  tick(3.0);

  out.summary =
      fleet::summarize(fleet.view(), {.started_at = short_sample_start(),
                                      .ended_at = short_sample_start() + std::chrono::seconds(3),
                                      .seconds = 3.0,
                                      .planned_seconds = 3.0,
                                      .bridged_peak = 4,
                                      .bridged_at_end = 3,
                                      .hatched_at_end = 4});
  return out;
}

}  // namespace lampi::testing
