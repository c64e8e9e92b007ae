#include "fleet/report/failure_log.hpp"

#include <fmt/format.h>

namespace lampi::fleet {

std::vector<std::string> FailureLog::lines(const ProgressSample& s) {
  std::vector<std::string> out;
  for (const FailureNote& note : s.failure_notes) {
    auto r = static_cast<std::size_t>(note.reason);
    if (noted_[r] >= kNotesPerReason) continue;
    ++noted_[r];
    ++told_[r];
    out.push_back(fmt::format("lamp {}: {}: {}", note.lamp, disconnect_reason_name(note.reason),
                              note.detail));
  }
  if (s.elapsed_s - last_count_at_ < kCountEverySeconds) return out;
  last_count_at_ = s.elapsed_s;
  for (std::size_t r = 0; r < kDisconnectReasonCount; ++r) {
    auto reason = static_cast<DisconnectReason>(r);
    // Only once the words are used up: until then the notes tell each one.
    if (!is_failure(reason) || noted_[r] < kNotesPerReason) continue;
    if (s.disconnects[r] <= told_[r]) continue;
    out.push_back(fmt::format("{}: {} more (in all {}; shown above: the first {})",
                              disconnect_reason_name(reason), s.disconnects[r] - told_[r],
                              s.disconnects[r], noted_[r]));
    told_[r] = s.disconnects[r];
  }
  return out;
}

}  // namespace lampi::fleet
