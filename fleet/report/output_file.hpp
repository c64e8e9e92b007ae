// A run's results on disk: checked before the run, so an eight-hour soak cannot end with
// nowhere to write; written whole or not at all (a temporary file in the same folder,
// renamed into place), and never through a symbolic link at the final name.
#pragma once

#include <filesystem>
#include <string_view>

namespace lampi::fleet {

// Throws std::runtime_error saying why `path` cannot take an output: its folder is
// missing or not writable, it is a folder, or it is a symbolic link. Creates and removes
// a probe file, so the answer is the file system's, not a guess from permission bits.
void check_output_path(const std::filesystem::path& path);

// Writes `content` to a temporary file beside `path` and renames it over `path`.
// Throws std::runtime_error naming the path; leaves no temporary file behind.
void write_output_file(const std::filesystem::path& path, std::string_view content);

}  // namespace lampi::fleet
