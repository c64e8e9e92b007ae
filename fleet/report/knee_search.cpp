#include "fleet/report/knee_search.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "fleet/report/verdict.hpp"

namespace lampi::fleet {

namespace {

std::string percent(double ratio) {
  return fmt::format("{:.3g}%", ratio * 100);
}

std::string at_step(const StepResult& s) {
  return fmt::format("{} lamps, {:.0f} acknowledged messages/s{}", s.measure.lamps,
                     s.measure.acked_per_s(),
                     s.measure.p95_ms ? fmt::format(" (p95 {:.1f} ms)", *s.measure.p95_ms) : "");
}

bool generator_broke(const std::optional<StepResult>& s) {
  return s && s->judgement.broke == StepBreak::generator_saturated;
}

}  // namespace

void check_plan(const SearchPlan& plan) {
  if (plan.start == 0) throw std::invalid_argument("--start must be at least 1 lamp");
  if (plan.step == 0) throw std::invalid_argument("--step must be at least 1 lamp");
  if (plan.start > plan.max_lamps)
    throw std::invalid_argument(
        fmt::format("--start ({}) is over --max-lamps ({})", plan.start, plan.max_lamps));
}

std::vector<std::size_t> coarse_levels(const SearchPlan& plan) {
  std::vector<std::size_t> out;
  for (std::size_t n = plan.start; n < plan.max_lamps; n += plan.step) out.push_back(n);
  out.push_back(plan.max_lamps);
  return out;
}

std::vector<std::size_t> fine_levels(std::size_t held, std::size_t broke, std::size_t fine_step) {
  std::vector<std::size_t> out;
  if (fine_step == 0) return out;
  for (std::size_t n = held; n < broke; n += fine_step) out.push_back(n);
  return out;
}

std::string_view step_break_code(StepBreak b) {
  switch (b) {
    case StepBreak::none:
      return "none";
    case StepBreak::generator_saturated:
      return "generator_saturated";
    case StepBreak::not_bridged:
      return "not_bridged";
    case StepBreak::no_acks:
      return "no_acks";
    case StepBreak::failure_ratio:
      return "failure_ratio";
    case StepBreak::p95:
      return "p95";
  }
  return "none";
}

StepJudgement judge_step(const StepMeasure& m, const CapacitySlo& slo) {
  // The generator first: behind its own schedule, every other number is its own. Judged
  // on the window's p99 as `run` judges a soak, so one slow second does not end a search.
  if (over_generator_lag_limit(m.schedule_lag_p99_ms))
    return {StepBreak::generator_saturated,
            fmt::format("the generator fell behind its own schedule (schedule lag p99 {:.1f} ms, "
                        "over {:.0f} ms): lampi-fleet's limit, not the broker's",
                        m.schedule_lag_p99_ms, kGeneratorLagLimitMs)};
  const double bridged =
      m.lamps ? static_cast<double>(m.bridged) / static_cast<double>(m.lamps) : 1.0;
  if (bridged < slo.min_bridged_ratio)
    return {StepBreak::not_bridged,
            fmt::format("only {} of {} lamps were bridged ({}, under the {} SLO)", m.bridged,
                        m.lamps, percent(bridged), percent(slo.min_bridged_ratio))};
  // QoS 0 publishes expect no PUBACK: silence is a break only when some went unanswered.
  if (m.failures > 0 && m.acked == 0)
    return {StepBreak::no_acks,
            fmt::format("the broker acknowledged nothing ({} publishes failed)", m.failures)};
  if (m.failure_ratio() > slo.max_failure_ratio)
    return {StepBreak::failure_ratio,
            fmt::format("{} of publishes failed ({} of {}), over the {} SLO",
                        percent(m.failure_ratio()), m.failures, m.published,
                        percent(slo.max_failure_ratio))};
  if (m.p95_ms && *m.p95_ms > slo.p95_ms)
    return {StepBreak::p95, fmt::format("the p95 response time was {:.1f} ms, over the {:g} ms SLO",
                                        *m.p95_ms, slo.p95_ms)};
  return {};
}

OutcomeNames outcome_names(SearchOutcome o) {
  switch (o) {
    case SearchOutcome::knee:
      return {"knee", "KNEE FOUND"};
    case SearchOutcome::max_lamps:
      return {"max_lamps", "NO KNEE UP TO MAX LAMPS"};
    case SearchOutcome::below_start:
      return {"below_start", "BROKE AT THE FIRST STEP"};
    case SearchOutcome::not_connected:
      return {"not_connected", "NOT CONNECTED"};
    case SearchOutcome::generator_limit:
      return {"generator_limit", "GENERATOR SATURATED"};
    case SearchOutcome::interrupted:
      return {"interrupted", "INTERRUPTED"};
    case SearchOutcome::time_limit:
      return {"time_limit", "OUT OF TIME"};
  }
  return {"knee", "KNEE FOUND"};
}

int capacity_exit_code(SearchOutcome o) {
  switch (o) {
    case SearchOutcome::knee:
    case SearchOutcome::max_lamps:
      return kExitOk;
    case SearchOutcome::below_start:
      return kExitFailed;
    case SearchOutcome::not_connected:
      return kExitNotConnected;
    case SearchOutcome::generator_limit:
      return kExitGeneratorLimit;
    case SearchOutcome::interrupted:
    case SearchOutcome::time_limit:
      return kExitInterrupted;
  }
  return kExitFailed;
}

KneeSearch::KneeSearch(SearchPlan plan) : plan_(plan) {
  check_plan(plan_);
}

std::vector<std::size_t> KneeSearch::next_pass() {
  if (over_ || stopped_) return {};
  if (pass_ == 0) {
    pass_ = 1;
    levels_ = coarse_levels(plan_);
    return levels_;
  }
  over_ = true;
  // Narrowed only around a knee the broker made, and only when finer steps fit in it.
  if (pass_ == 1 && held_[0] && broke_[0] && !generator_broke(broke_[0]) &&
      plan_.fine_step < plan_.step) {
    auto levels = fine_levels(held_[0]->measure.lamps, broke_[0]->measure.lamps, plan_.fine_step);
    if (levels.size() > 1) {
      over_ = false;
      pass_ = 2;
      levels_ = std::move(levels);
      return levels_;
    }
  }
  return {};
}

bool KneeSearch::record(const StepResult& step) {
  steps_.push_back(step);
  steps_.back().pass = pass_;
  const auto p = static_cast<std::size_t>(pass_ - 1);
  if (!step.judgement.held()) {
    if (!broke_[p]) broke_[p] = steps_.back();
    return false;
  }
  held_[p] = steps_.back();
  return step.measure.lamps < levels_.back();
}

void KneeSearch::stop(SearchOutcome why) {
  if (!stopped_) stopped_ = why;
}

SearchResult KneeSearch::result() const {
  SearchResult r;
  // The second pass, when it measured a step, speaks for the lamps it covered.
  const bool narrowed = pass_ == 2 && (held_[1] || broke_[1]);
  if (narrowed && held_[1]) {
    r.held = held_[1];
    r.broke = broke_[1] ? broke_[1] : broke_[0];
  } else {
    r.held = held_[0];
    r.broke = broke_[0];
    if (narrowed && generator_broke(broke_[1])) {
      r.broke = broke_[1];
    } else if (narrowed) {  // its first step, the last that held before, broke this time
      r.notes.push_back(fmt::format(
          "The second pass broke at {} lamps too ({}): the knee is not sharp there; take the "
          "capacity as at most that, or hold each step longer (--hold).",
          broke_[1]->measure.lamps, broke_[1]->judgement.why));
    }
  }

  if (stopped_) {
    r.outcome = *stopped_;
  } else if (generator_broke(r.broke)) {
    r.outcome = SearchOutcome::generator_limit;
  } else if (!r.broke) {
    r.outcome = SearchOutcome::max_lamps;
  } else if (!r.held) {
    r.outcome = r.broke->judgement.broke == StepBreak::not_bridged ? SearchOutcome::not_connected
                                                                   : SearchOutcome::below_start;
  } else {
    r.outcome = SearchOutcome::knee;
  }

  const std::string held_text = r.held ? at_step(*r.held) : std::string();
  switch (r.outcome) {
    case SearchOutcome::knee:
      r.summary = fmt::format("Capacity: {}, the last step that held; at {} lamps {}.", held_text,
                              r.broke->measure.lamps, r.broke->judgement.why);
      break;
    case SearchOutcome::max_lamps:
      r.summary = fmt::format(
          "Every step held, up to {}. The capacity is at least that; raise --max-lamps to "
          "look further.",
          held_text);
      break;
    case SearchOutcome::below_start:
      r.summary = fmt::format(
          "No step held: at the first, {} lamps, {}. The capacity is below --start; lower it.",
          r.broke->measure.lamps, r.broke->judgement.why);
      break;
    case SearchOutcome::not_connected:
      r.summary = fmt::format(
          "The lamps did not bridge: at the first step {}. Check the broker's address, "
          "credentials and connection limits.",
          r.broke->judgement.why);
      break;
    case SearchOutcome::generator_limit:
      r.summary = fmt::format(
          "The generator saturated before the broker broke an SLO: at {} lamps {}. {} This "
          "measured lampi-fleet, not the broker: give it more cores (--threads) or run the "
          "search from a bigger machine.",
          r.broke->measure.lamps, r.broke->judgement.why,
          r.held ? fmt::format("The broker held every step up to {}.", held_text)
                 : std::string("No step held before it."));
      break;
    case SearchOutcome::interrupted:
    case SearchOutcome::time_limit:
      r.summary = fmt::format(
          "{} before the search ended{}{}.",
          r.outcome == SearchOutcome::interrupted ? "Stopped by a signal" : "Out of --max-duration",
          r.held ? fmt::format("; the last step that held: {}", held_text) : ", no step held",
          r.broke ? fmt::format("; at {} lamps {}", r.broke->measure.lamps, r.broke->judgement.why)
                  : "");
      break;
  }
  return r;
}

}  // namespace lampi::fleet
