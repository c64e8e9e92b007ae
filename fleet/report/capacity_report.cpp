#include "fleet/report/capacity_report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "fleet/report/summary_json.hpp"

namespace lampi::fleet {

namespace {

using Json = nlohmann::ordered_json;

std::string ms_or_dash(const std::optional<double>& v) {
  return v ? fmt::format("{:.1f}", *v) : "-";
}

Json optional_number(const std::optional<double>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json step_json(const StepResult& s) {
  const StepMeasure& m = s.measure;
  return Json{{"pass", s.pass},
              {"lamps", m.lamps},
              {"seconds", m.seconds},
              {"published", m.published},
              {"acked", m.acked},
              {"acked_per_s", m.acked_per_s()},
              {"failures", m.failures},
              {"failure_ratio", m.failure_ratio()},
              {"p50_ms", optional_number(m.p50_ms)},
              {"p95_ms", optional_number(m.p95_ms)},
              {"p99_ms", optional_number(m.p99_ms)},
              {"bridged", m.bridged},
              {"schedule_lag_p99_ms", m.schedule_lag_p99_ms},
              {"loop_lag_max_ms", m.loop_lag_max_ms},
              {"held", s.judgement.held()},
              {"broke", step_break_code(s.judgement.broke)},
              {"why", s.judgement.why}};
}

Json step_or_null(const std::optional<StepResult>& s) {
  return s ? step_json(*s) : Json(nullptr);
}

}  // namespace

std::string render_step_table(const std::vector<StepResult>& steps) {
  std::string out =
      fmt::format("{:>4} {:>7} {:>10} {:>9} {:>9} {:>9} {:>8} {:>9} {:>9}  {}\n", "pass", "lamps",
                  "acked/s", "p50 ms", "p95 ms", "p99 ms", "fail %", "bridged", "lag ms", "result");
  for (const auto& s : steps) {
    const StepMeasure& m = s.measure;
    out += fmt::format(
        "{:>4} {:>7} {:>10.0f} {:>9} {:>9} {:>9} {:>8.2f} {:>9} {:>9.1f}  {}\n", s.pass, m.lamps,
        m.acked_per_s(), ms_or_dash(m.p50_ms), ms_or_dash(m.p95_ms), ms_or_dash(m.p99_ms),
        m.failure_ratio() * 100, m.bridged, m.schedule_lag_p99_ms,
        s.judgement.held() ? std::string("held")
                           : fmt::format("BROKE ({})", step_break_code(s.judgement.broke)));
  }
  return out;
}

std::string render_capacity_text(const CapacityRun& run) {
  std::string out = render_step_table(run.steps);
  out += fmt::format("\n{}: {}\n", outcome_names(run.result.outcome).label, run.result.summary);
  for (const auto& note : run.result.notes) out += "Note: " + note + "\n";
  return out;
}

std::string render_capacity_json(const CapacityRun& run) {
  const SearchResult& r = run.result;
  Json j;
  j["lampi_fleet"] = {{"version", run.build.version},
                      {"revision", run.build.revision},
                      {"build_type", run.build.build_type}};
  j["started_at"] = utc_timestamp(run.started_at);
  j["seconds"] = run.seconds;
  j["outcome"] = outcome_names(r.outcome).code;
  j["exit_code"] = capacity_exit_code(r.outcome);
  j["summary"] = r.summary;
  j["notes"] = r.notes;
  if (r.held)
    j["capacity"] = {{"lamps", r.held->measure.lamps},
                     {"acked_per_s", r.held->measure.acked_per_s()},
                     {"p50_ms", optional_number(r.held->measure.p50_ms)},
                     {"p95_ms", optional_number(r.held->measure.p95_ms)}};
  else
    j["capacity"] = nullptr;
  j["broke"] = r.broke ? Json{{"lamps", r.broke->measure.lamps},
                              {"reason", step_break_code(r.broke->judgement.broke)},
                              {"why", r.broke->judgement.why}}
                       : Json(nullptr);
  j["held_step"] = step_or_null(r.held);
  j["broke_step"] = step_or_null(r.broke);
  j["slo"] = {{"p95_ms", run.slo.p95_ms},
              {"max_failure_ratio", run.slo.max_failure_ratio},
              {"min_bridged_ratio", run.slo.min_bridged_ratio}};
  j["plan"] = {{"start", run.plan.start},
               {"step", run.plan.step},
               {"fine_step", run.plan.fine_step},
               {"max_lamps", run.plan.max_lamps},
               {"hold_s", run.hold_s},
               {"settle_s", run.settle_s},
               {"hatch_rate", run.hatch_rate},
               {"max_duration_s", run.max_duration_s},
               {"response_timeout_ms", run.response_timeout_ms},
               {"profiles", run.profiles},
               {"broker", run.broker}};
  Json steps = Json::array();
  for (const auto& s : run.steps) steps.push_back(step_json(s));
  j["steps"] = std::move(steps);
  return j.dump(2) + "\n";
}

}  // namespace lampi::fleet
