// lamp_service's set_config handling on its own: apply_set_config in both modes.
#include "firmware_model/set_config.hpp"

#include <doctest/doctest.h>

#include <string>

#include "tests/firmware_model/set_config_cases.hpp"

using namespace lampi::model;
using namespace lampi::model::test;

namespace {

constexpr int kDepth = 1000;  // Python's default recursion limit

SetConfigResult apply(LampState& state, std::string_view payload, ValidationMode mode) {
  return apply_set_config(state, payload, mode, kDepth);
}

const char* outcome_name(SetConfigOutcome o) {
  switch (o) {
    case SetConfigOutcome::applied:
      return "applied";
    case SetConfigOutcome::ignored:
      return "ignored";
    case SetConfigOutcome::rejected:
      return "rejected";
    case SetConfigOutcome::crashed:
      return "crashed";
  }
  return "?";
}

void check_refusals(const Refusal* begin, const Refusal* end, ValidationMode mode) {
  for (const Refusal* r = begin; r != end; ++r) {
    CAPTURE(r->payload);
    LampState state;
    auto got = apply(state, r->payload, mode);
    INFO("outcome " << std::string(outcome_name(got.outcome)) << ", class " << int(got.why));
    CHECK(got.outcome == r->outcome);
    CHECK(got.why == r->why);
    CHECK(render_changed(state) == r->state_after);
  }
}

std::string nested(std::size_t depth, bool closed) {
  std::string s(depth, '[');
  if (closed) s.append(depth, ']');
  return s;
}

}  // namespace

TEST_CASE("faithful set_config: every golden payload renders Python's lamp/changed") {
  for (const auto& g : kFaithfulGoldens) {
    CAPTURE(g.payload);
    LampState state;
    auto r = apply(state, g.payload, ValidationMode::faithful);
    CHECK(r.outcome == SetConfigOutcome::applied);
    CHECK(render_changed(state) == g.changed);
  }
}

TEST_CASE("strict set_config: goldens store floats rounded to 2 places") {
  for (const auto& g : kStrictGoldens) {
    CAPTURE(g.payload);
    LampState state;
    auto r = apply(state, g.payload, ValidationMode::strict);
    CHECK(r.outcome == SetConfigOutcome::applied);
    CHECK(render_changed(state) == g.changed);
  }
}

TEST_CASE("faithful set_config: each invalid class ends as CPython's lamp_service does") {
  check_refusals(std::begin(kFaithfulRefusals), std::end(kFaithfulRefusals),
                 ValidationMode::faithful);
}

TEST_CASE("strict set_config: each invalid class is rejected and nothing is applied") {
  check_refusals(std::begin(kStrictRefusals), std::end(kStrictRefusals), ValidationMode::strict);
}

TEST_CASE("strict set_config never reports a crash or an ignored message") {
  for (const auto& r : kFaithfulRefusals) {
    CAPTURE(r.payload);
    LampState state;
    auto got = apply(state, r.payload, ValidationMode::strict);
    CHECK(got.outcome == SetConfigOutcome::rejected);
    CHECK(state == LampState{});
  }
}

TEST_CASE("faithful set_config applies fields in order and keeps them when a later one fails") {
  // Expected states: CPython's lamp_service fed the same payload from first boot.
  SUBCASE("brightness out of range after on") {
    LampState state;
    auto r =
        apply(state, R"({"client": "p1", "on": false, "brightness": 7})", ValidationMode::faithful);
    CHECK(r == SetConfigResult{SetConfigOutcome::rejected, InvalidClass::out_of_range});
    CHECK(render_changed(state) ==
          R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": false, "client": "p1"})");
  }
  SUBCASE("color out of range: the brightness after it is never reached") {
    LampState state;
    auto r = apply(
        state, R"({"client": "p2", "on": false, "color": {"h": 0.2, "s": 5}, "brightness": 0.1})",
        ValidationMode::faithful);
    CHECK(r == SetConfigResult{SetConfigOutcome::rejected, InvalidClass::out_of_range});
    CHECK(render_changed(state) ==
          R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": false, "client": "p2"})");
  }
  SUBCASE("a crash on brightness keeps on and color") {
    LampState state;
    auto r = apply(
        state, R"({"client": "p3", "on": 0, "color": {"h": 0.25, "s": 0.75}, "brightness": "x"})",
        ValidationMode::faithful);
    CHECK(r == SetConfigResult{SetConfigOutcome::crashed, InvalidClass::wrong_type});
    CHECK(render_changed(state) ==
          R"({"color": {"h": 0.25, "s": 0.75}, "brightness": 1.0, "on": 0, "client": "p3"})");
  }
  SUBCASE("a bad on keeps only the client") {
    LampState state;
    auto r = apply(state, R"({"client": "p4", "on": "yes", "brightness": 0.5})",
                   ValidationMode::faithful);
    CHECK(r.outcome == SetConfigOutcome::rejected);
    CHECK(render_changed(state) ==
          R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "p4"})");
  }
}

TEST_CASE("strict set_config is all-or-nothing where faithful is not") {
  constexpr std::string_view payload =
      R"({"client": "p1", "on": false, "color": {"h": 0.2, "s": 0.3}, "brightness": 7})";
  LampState faithful;
  LampState strict;
  CHECK(apply(faithful, payload, ValidationMode::faithful).outcome == SetConfigOutcome::rejected);
  CHECK(apply(strict, payload, ValidationMode::strict).outcome == SetConfigOutcome::rejected);
  CHECK(render_changed(faithful) ==
        R"({"color": {"h": 0.2, "s": 0.3}, "brightness": 1.0, "on": false, "client": "p1"})");
  CHECK(strict == LampState{});
}

TEST_CASE("set_config starts from the current state, not the defaults") {
  for (auto mode : {ValidationMode::faithful, ValidationMode::strict}) {
    LampState state;
    REQUIRE(
        apply(state, R"({"client": "a", "color": {"h": 0.1, "s": 0.2}, "brightness": 0.3})", mode)
            .outcome == SetConfigOutcome::applied);
    REQUIRE(apply(state, R"({"client": "b", "on": false})", mode).outcome ==
            SetConfigOutcome::applied);
    CHECK(render_changed(state) ==
          R"({"color": {"h": 0.1, "s": 0.2}, "brightness": 0.3, "on": false, "client": "b"})");
  }
}

TEST_CASE("a valid set_config that changes nothing is still applied") {
  LampState state;
  auto r = apply(state, R"({"client": ""})", ValidationMode::faithful);
  CHECK(r.outcome == SetConfigOutcome::applied);
  CHECK(render_changed(state) == kUntouched);
}

TEST_CASE("huge payloads: a 1 MB client string is stored and echoed whole") {
  std::string big(1 << 20, 'a');
  big[0] = 'Z';
  big.back() = 'Y';
  const std::string payload = R"({"client": ")" + big + R"(", "brightness": 0.5})";
  for (auto mode : {ValidationMode::faithful, ValidationMode::strict}) {
    LampState state;
    CHECK(apply(state, payload, mode).outcome == SetConfigOutcome::applied);
    const std::string want = R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.5, "on": true, )"
                             R"("client": ")" +
                             big + R"("})";
    CHECK(render_changed(state) == want);
  }
}

TEST_CASE("huge payloads: a 1 MB array of numbers without a client is refused cheaply") {
  std::string payload = "[";
  while (payload.size() < (1u << 20)) payload += "0.5, ";
  payload += "1]";
  LampState faithful;
  LampState strict;
  CHECK(apply(faithful, payload, ValidationMode::faithful) ==
        SetConfigResult{SetConfigOutcome::ignored, InvalidClass::not_object});
  CHECK(apply(strict, payload, ValidationMode::strict) ==
        SetConfigResult{SetConfigOutcome::rejected, InvalidClass::not_object});
}

TEST_CASE("deep nesting is Python's RecursionError in faithful mode and a rejection in strict") {
  for (bool closed : {false, true}) {
    CAPTURE(closed);
    const std::string payload = nested(100000, closed);
    LampState faithful;
    LampState strict;
    CHECK(apply(faithful, payload, ValidationMode::faithful) ==
          SetConfigResult{SetConfigOutcome::crashed, InvalidClass::not_json});
    CHECK(apply(strict, payload, ValidationMode::strict) ==
          SetConfigResult{SetConfigOutcome::rejected, InvalidClass::not_json});
    CHECK(faithful == LampState{});
    CHECK(strict == LampState{});
  }
}

TEST_CASE("deep nesting inside an object, and inside strings, which do not count") {
  SUBCASE("a client 1000 levels deep is too deep once the object around it counts") {
    const std::string payload = R"({"client": )" + nested(1000, true) + "}";
    LampState state;
    CHECK(apply(state, payload, ValidationMode::faithful) ==
          SetConfigResult{SetConfigOutcome::crashed, InvalidClass::not_json});
  }
  SUBCASE("a client 999 levels deep is accepted and echoed") {
    const std::string payload = R"({"client": )" + nested(999, true) + "}";
    LampState state;
    CHECK(apply(state, payload, ValidationMode::faithful).outcome == SetConfigOutcome::applied);
    CHECK(state.client_json == nested(999, true));
  }
  SUBCASE("brackets inside a string are text") {
    const std::string payload = R"({"client": ")" + nested(5000, false) + R"("})";
    LampState state;
    CHECK(apply(state, payload, ValidationMode::faithful).outcome == SetConfigOutcome::applied);
    CHECK(state.client_json == "\"" + nested(5000, false) + "\"");
  }
}

TEST_CASE("max_json_depth is the deepest nesting accepted") {
  LampState state;
  const std::string ok = R"({"client": [[["x"]]]})";      // depth 4
  const std::string deep = R"({"client": [[[["x"]]]]})";  // depth 5
  CHECK(apply_set_config(state, ok, ValidationMode::faithful, 4).outcome ==
        SetConfigOutcome::applied);
  CHECK(apply_set_config(state, deep, ValidationMode::faithful, 4) ==
        SetConfigResult{SetConfigOutcome::crashed, InvalidClass::not_json});
  CHECK(apply_set_config(state, deep, ValidationMode::strict, 4) ==
        SetConfigResult{SetConfigOutcome::rejected, InvalidClass::not_json});
  CHECK(apply_set_config(state, deep, ValidationMode::faithful, 5).outcome ==
        SetConfigOutcome::applied);
}
