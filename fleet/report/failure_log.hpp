// What the log says about failed and lost connections: the first few of each reason in
// words (lamp id and the library's or kernel's text), then only counts, at most every
// ten seconds, so a fleet of 19,000 refused lamps writes a handful of lines, not 19,000.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "fleet/report/progress.hpp"

namespace lampi::fleet {

class FailureLog {
 public:
  static constexpr std::uint64_t kNotesPerReason = kFailureNotesPerReason;  // in all shards
  static constexpr double kCountEverySeconds = 10;

  // The lines to log for this sample (often none).
  std::vector<std::string> lines(const ProgressSample& s);

 private:
  std::array<std::uint64_t, kDisconnectReasonCount> noted_{};  // told in words
  std::array<std::uint64_t, kDisconnectReasonCount> told_{};   // told in words or counts
  double last_count_at_ = 0;
};

}  // namespace lampi::fleet
