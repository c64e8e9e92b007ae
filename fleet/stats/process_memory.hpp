// This process's resident memory, as the kernel counts it (/proc/self/statm): what a soak
// watches for growth, and what metrics export.
#pragma once

#include <cstdint>

namespace lampi::fleet {

// Bytes resident now; 0 when /proc cannot be read.
std::uint64_t resident_bytes();

// RSS once the ramp-up was over and when the run stopped: a soak's growth between them is
// what stays (a leak, or a burst's high water), not what the lamps need.
struct MemoryFigures {
  double after_ramp_s = 0;  // when the first figure was read; 0: the run never left its ramp
  std::uint64_t rss_after_ramp = 0;
  std::uint64_t rss_at_end = 0;
  // The growth in percent, or 0 without both figures.
  double growth_percent() const {
    if (rss_after_ramp == 0 || rss_at_end == 0) return 0;
    return (static_cast<double>(rss_at_end) - static_cast<double>(rss_after_ramp)) /
           static_cast<double>(rss_after_ramp) * 100.0;
  }
};

}  // namespace lampi::fleet
