// The decisions of `lampi-fleet capacity`, apart from the engine that carries them out:
// which lamp counts to hold, whether a held step kept the SLOs, when to narrow the step
// around the knee, and what the steps add up to. Pure: its tests feed it numbers.
//
// The search is two passes at most. The first climbs from `start` in `step`s until a step
// breaks an SLO or `max_lamps` holds. The second, when the first found a broker-side knee
// (some step held, the next broke), climbs again from the last step that held in
// `fine_step`s up to, not including, the step that broke: lamps cannot be taken away from
// a running fleet, so narrowing is a fresh climb rather than a bisection. A generator that
// falls behind its own schedule ends the search at once: what it measured from there on is
// lampi-fleet, never the broker, so it is neither narrowed nor called a knee.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lampi::fleet {

// What a step must keep to hold.
struct CapacitySlo {
  double p95_ms = 500;              // response time, scheduled send to PUBACK
  double max_failure_ratio = 0.01;  // of the publishes in the step's window
  double min_bridged_ratio = 0.99;  // of the step's lamps, at the window's end
};

struct SearchPlan {
  std::size_t start = 100;       // lamps of the first step
  std::size_t step = 100;        // lamps added per step of the first pass
  std::size_t fine_step = 25;    // per step of the second; 0 (or >= step): no second pass
  std::size_t max_lamps = 5000;  // the last step of the first pass, whatever `step` says
};

// Throws std::invalid_argument saying what is wrong (start 0, step 0, start over max...).
void check_plan(const SearchPlan& plan);

// The first pass's lamp counts: start, start + step, ... and max_lamps last.
std::vector<std::size_t> coarse_levels(const SearchPlan& plan);
// The second pass's: from `held`, in fine steps, below `broke`.
std::vector<std::size_t> fine_levels(std::size_t held, std::size_t broke, std::size_t fine_step);

// What one step measured over its window (after its ramp and settle).
struct StepMeasure {
  std::size_t lamps = 0;        // powered on by this step
  double seconds = 0;           // the window's length
  std::uint64_t published = 0;  // handed to the connections in the window
  std::uint64_t acked = 0;      // PUBACKs in the window
  std::uint64_t failures = 0;
  std::optional<double> p50_ms{}, p95_ms{}, p99_ms{};  // none: no PUBACK in the window
  std::uint64_t bridged = 0;                           // at the window's end
  double schedule_lag_p99_ms = 0;                      // the generator's own lateness: judged
  double loop_lag_max_ms = 0;                          // its event loop's worst second: told

  double acked_per_s() const { return seconds > 0 ? static_cast<double>(acked) / seconds : 0; }
  double failure_ratio() const {
    return published ? static_cast<double>(failures) / static_cast<double>(published) : 0;
  }
};

// The first SLO a step broke, in the order they are judged.
enum class StepBreak : std::uint8_t {
  none,
  generator_saturated,  // lampi-fleet fell behind: the rest would measure it, not the broker
  not_bridged,
  no_acks,  // publishes failed and not one PUBACK came back
  failure_ratio,
  p95,
};
std::string_view step_break_code(StepBreak b);  // the JSON's "broke": "p95", "none"...

struct StepJudgement {
  StepBreak broke = StepBreak::none;
  std::string why{};  // in words, quoting the number and its threshold; empty when it held
  bool held() const { return broke == StepBreak::none; }
};

StepJudgement judge_step(const StepMeasure& m, const CapacitySlo& slo);

struct StepResult {
  int pass = 1;
  StepMeasure measure{};
  StepJudgement judgement{};
};

enum class SearchOutcome : std::uint8_t {
  knee,             // a step held and the next broke on the broker's side
  max_lamps,        // every step held up to max_lamps: the capacity is at least that
  below_start,      // the first step broke: the capacity is under `start`
  not_connected,    // the first step's lamps did not bridge
  generator_limit,  // the generator saturated before the broker broke an SLO
  interrupted,      // a signal stopped the search
  time_limit,       // the search ran out of its maximum duration
};

struct OutcomeNames {
  std::string_view code;   // the JSON's "outcome"
  std::string_view label;  // for people
};
OutcomeNames outcome_names(SearchOutcome o);

// The process's exit code (README's table):
inline constexpr int kExitGeneratorLimit = 8;  // capacity only: the generator, not the broker
int capacity_exit_code(SearchOutcome o);

struct SearchResult {
  SearchOutcome outcome = SearchOutcome::knee;
  std::optional<StepResult> held{};   // the last step that held: the capacity
  std::optional<StepResult> broke{};  // the step above it that broke
  std::string summary{};              // the finding, in words
  std::vector<std::string> notes{};   // what else a reader should know
};

class KneeSearch {
 public:
  explicit KneeSearch(SearchPlan plan);  // check_plan()'s exceptions

  // The lamp counts of the next pass, ascending; empty when the search is over.
  std::vector<std::size_t> next_pass();
  // A step of the current pass, in its order. False: the pass is over (it broke, or that
  // was its last step), so the fleet is stopped.
  bool record(const StepResult& step);
  // Stopped from outside (interrupted or time_limit): result() says so, with what held.
  void stop(SearchOutcome why);

  int pass() const { return pass_; }
  const SearchPlan& plan() const { return plan_; }
  const std::vector<StepResult>& steps() const { return steps_; }
  SearchResult result() const;

 private:
  SearchPlan plan_;
  int pass_ = 0;
  bool over_ = false;
  std::optional<SearchOutcome> stopped_;
  std::vector<std::size_t> levels_;  // the current pass's
  std::vector<StepResult> steps_;
  std::optional<StepResult> held_[2], broke_[2];  // per pass
};

}  // namespace lampi::fleet
