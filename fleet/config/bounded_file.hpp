// A whole file read with a cap: every file the tool reads (configs, summaries, the state
// file, CA files) could be the wrong one, a log, /dev/zero or a FIFO that never ends.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace lampi::fleet {

// The file's bytes, or nothing when it holds more than `max_bytes` (having read at most one
// byte past them). Throws std::system_error (the errno, e.g. "No such file or directory")
// when it cannot be opened or read; a directory is EISDIR.
std::optional<std::string> read_at_most(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace lampi::fleet
