#include "fleet/config/bounded_file.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <system_error>

namespace lampi::fleet {

std::optional<std::string> read_at_most(const std::filesystem::path& path, std::size_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw std::system_error(EISDIR, std::generic_category());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::system_error(errno ? errno : ENOENT, std::generic_category());
  std::string text;
  std::array<char, 64 * 1024> chunk{};
  while (in && text.size() <= max_bytes) {
    in.read(chunk.data(),
            static_cast<std::streamsize>(std::min(chunk.size(), max_bytes + 1 - text.size())));
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw std::system_error(errno ? errno : EIO, std::generic_category());
  if (text.size() > max_bytes) return std::nullopt;
  return text;
}

}  // namespace lampi::fleet
