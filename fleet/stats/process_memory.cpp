#include "fleet/stats/process_memory.hpp"

#include <unistd.h>

#include <fstream>

namespace lampi::fleet {

std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  unsigned long size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return static_cast<std::uint64_t>(resident) * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace lampi::fleet
