// The log of failed connections: words for the first few of each reason, then counts
// at most every ten seconds, never a line per lamp.
#include "fleet/report/failure_log.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace lampi::fleet;

namespace {

ProgressSample at(double s, std::uint64_t refused, int new_notes) {
  ProgressSample p;
  p.elapsed_s = s;
  p.disconnects[static_cast<std::size_t>(DisconnectReason::connection_refused)] = refused;
  for (int i = 0; i < new_notes; ++i)
    p.failure_notes.push_back(
        {DisconnectReason::connection_refused, "lamp" + std::to_string(i), "Connection refused"});
  return p;
}

}  // namespace

TEST_CASE("the first few failures of a reason are told in words, with lamp and cause") {
  FailureLog log;
  auto lines = log.lines(at(1, 2, 2));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "lamp lamp0: connection_refused: Connection refused");
  CHECK(lines[1] == "lamp lamp1: connection_refused: Connection refused");
}

TEST_CASE("a storm of failures: three in words, then one count line per ten seconds") {
  FailureLog log;
  // Two shards each sent their first three notes; 1,000 lamps were refused.
  auto first = log.lines(at(1, 1000, 6));
  CHECK(first.size() == FailureLog::kNotesPerReason);
  CHECK(log.lines(at(2, 5000, 0)).empty());  // not ten seconds yet
  auto count = log.lines(at(11, 9000, 0));
  REQUIRE(count.size() == 1);
  CHECK(count[0] == "connection_refused: 8997 more (in all 9000; shown above: the first 3)");
  CHECK(log.lines(at(12, 9000, 0)).empty());
  CHECK(log.lines(at(21, 9000, 0)).empty());  // nothing new: silence, not a zero line
  auto later = log.lines(at(31, 9100, 0));
  REQUIRE(later.size() == 1);
  CHECK(later[0].starts_with("connection_refused: 100 more (in all 9100"));
}

TEST_CASE("reasons are limited each on their own, and powering off is never logged") {
  FailureLog log;
  ProgressSample p;
  p.elapsed_s = 1;
  for (int i = 0; i < 5; ++i) {
    p.failure_notes.push_back({DisconnectReason::not_authorized, "a", "Connection Refused: not authorised."});
    p.failure_notes.push_back({DisconnectReason::lost, "b", "The connection was lost."});
  }
  p.disconnects[static_cast<std::size_t>(DisconnectReason::power_off)] = 50;
  auto lines = log.lines(p);
  CHECK(lines.size() == 2 * FailureLog::kNotesPerReason);
  p.failure_notes.clear();
  p.elapsed_s = 20;
  for (const auto& line : log.lines(p)) CHECK(line.find("power_off") == std::string::npos);
}
