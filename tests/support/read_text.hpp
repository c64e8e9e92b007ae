// A whole file as text (a broker's log, a JSON summary), for assertions.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace lampi::testing {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace lampi::testing
