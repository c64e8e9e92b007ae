// Files a test's mosquitto reads (certificates, keys, a password file), opened to it.
// Started by root, MosquittoProcess runs the broker as the unprivileged mosquitto user
// (MosquittoOptions::user), which cannot enter root's 0700 temp dirs or read 0600 keys.
// Test material only: a real broker's keys stay readable by its own user alone.
#pragma once

#include <filesystem>

namespace lampi::testing {

inline void open_to_broker(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  const auto read = fs::perms::group_read | fs::perms::others_read;
  fs::permissions(dir, read | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file()) fs::permissions(entry.path(), read, fs::perm_options::add);
}

}  // namespace lampi::testing
