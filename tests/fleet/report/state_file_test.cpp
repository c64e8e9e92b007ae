// The state file (state_file.cpp): every lamp's stored part back exactly as it was written,
// and every way a file can be wrong named, with the way out (--fresh).
#include "fleet/report/state_file.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/temp_dir.hpp"

using namespace lampi::fleet;
namespace model = lampi::model;

namespace {

LampStates two_lamps() {
  LampStates states;
  model::StoredLamp a;
  a.state.on = model::OnRepr::float_neg_0;  // as odd as a set_config can make it
  a.state.hue = {42, model::NumberRepr::integer};
  a.state.saturation = {0, model::NumberRepr::nan};
  a.state.brightness = {7, model::NumberRepr::negative_zero};
  a.state.client_json = "\"phone \\u00e9\"";
  a.retained[model::index_of(model::Topic::associated)] = {
      .payload = std::string("{\"associated\": true}\0\xff", 23), .qos = 2, .present = true};
  a.retained[model::index_of(model::Topic::changed)] = {.payload = "{}", .qos = 1, .present = true};
  states.emplace(0x1e0000000005ULL, a);
  states.emplace(0x1e0000000006ULL, model::StoredLamp{});
  return states;
}

std::string error_of(const std::string& text) {
  try {
    parse_state_file(text, "state.json");
  } catch (const StateFileError& e) {
    return e.what();
  }
  return "(read)";
}

bool same(const model::StoredLamp& a, const model::StoredLamp& b) {
  if (!(a.state == b.state)) return false;
  for (std::size_t t = 0; t < model::kTopicCount; ++t)
    if (a.retained[t].present != b.retained[t].present ||
        a.retained[t].payload != b.retained[t].payload || a.retained[t].qos != b.retained[t].qos)
      return false;
  return true;
}

}  // namespace

TEST_CASE("a state file reads back as every lamp's stored part, byte for byte") {
  const LampStates states = two_lamps();
  const LampStates back = parse_state_file(render_state_file(states), "state.json");
  REQUIRE(back.size() == 2);
  for (const auto& [id, stored] : states) {
    CAPTURE(id);
    REQUIRE(back.count(id) == 1);
    CHECK(same(back.at(id), stored));
  }
  CHECK(render_state_file(back) == render_state_file(states));
}

TEST_CASE("a missing state file is a first run, and a folder is an error") {
  lampi::testing::TempDir dir;
  CHECK(read_state_file(dir.path / "none-yet.json").empty());
  CHECK_THROWS_AS(read_state_file(dir.path), StateFileError);
}

TEST_CASE("a wrong state file is named, where, what, and how to go on") {
  auto j = nlohmann::json::parse(render_state_file(two_lamps()));
  auto with = [&](auto change) {
    auto copy = j;
    change(copy);
    return error_of(copy.dump());
  };
  CHECK(error_of("{\"lampi_fleet_state\": ").starts_with("state.json: is not JSON"));
  CHECK(error_of("[]").starts_with("state.json: is not a lampi-fleet state file"));
  CHECK(with([](auto& d) { d["lampi_fleet_state"] = 2; })
            .starts_with("state.json: lampi_fleet_state: is format 2; this lampi-fleet reads "
                         "format 1"));
  CHECK(with([](auto& d) {
          d["lamps"]["not-an-id"] = d["lamps"]["1e0000000005"];
        }).starts_with("state.json: lamps.not-an-id: is not a device ID"));
  CHECK(with([](auto& d) {
          d["lamps"]["1e0000000005"]["h"] = {101, 0};
        }).starts_with("state.json: lamps.1e0000000005.h: expected [hundredths 0-100"));
  CHECK(with([](auto& d) {
          d["lamps"]["1e0000000005"]["on"] = 9;
        }).starts_with("state.json: lamps.1e0000000005.on: expected 0-6"));
  CHECK(with([](auto& d) {
          d["lamps"]["1e0000000005"]["retained"]["lamp/nope"] = 1;
        }).starts_with("state.json: lamps.1e0000000005.retained: unknown topic"));
  const std::string odd = with([](auto& d) {
    d["lamps"]["1e0000000005"]["retained"]["devices/+/lamp/changed"]["payload_hex"] = "xyz";
  });
  CHECK(odd.starts_with("state.json: lamps.1e0000000005.retained.devices/+/lamp/changed"));
  // Every message says how to go on.
  CHECK(odd.find("or give --fresh to start every lamp anew") != std::string::npos);
}
