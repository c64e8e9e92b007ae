#include "fleet/report/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fleet/config/config_loader.hpp"

namespace lampi::fleet {

namespace fs = std::filesystem;

namespace {

// A path as messages show it: whole, unless it is too long to be a real one.
std::string shown(const fs::path& path) {
  return excerpt(path.string(), kPathExcerptChars);
}

[[noreturn]] void refuse(const fs::path& path, const std::string& why) {
  throw std::runtime_error("cannot write " + shown(path) + ": " + why);
}

fs::path folder_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

// The final name may be absent or a regular file; anything else is not ours to replace.
void check_final_name(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    refuse(path, std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode)) refuse(path, "it is a symbolic link; refusing to write through it");
  if (S_ISDIR(st.st_mode)) refuse(path, "it is a directory; give a file name");
  if (!S_ISREG(st.st_mode)) refuse(path, "it is not a regular file");
}

// A temporary file beside the final name, closed and unlinked unless released.
class TempFile {
 public:
  explicit TempFile(const fs::path& final_path) {
    name_ = (folder_of(final_path) / ("." + final_path.filename().string() + ".XXXXXX")).string();
    fd_ = ::mkstemp(name_.data());
    if (fd_ < 0) {
      int err = errno;
      std::error_code ec;
      if (!fs::is_directory(folder_of(final_path), ec))
        refuse(final_path, "its directory " + shown(folder_of(final_path)) + " does not exist");
      refuse(final_path,
             "cannot create a file in " + shown(folder_of(final_path)) + ": " + std::strerror(err));
    }
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!released_) ::unlink(name_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void write_all(const fs::path& final_path, std::string_view content) {
    while (!content.empty()) {
      ssize_t n = ::write(fd_, content.data(), content.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) refuse(final_path, std::strerror(errno));
      content.remove_prefix(static_cast<std::size_t>(n));
    }
    // mkstemp makes it 0600; give results the mode a plain create under umask 022 would.
    ::fchmod(fd_, 0644);
    int synced = ::fsync(fd_) == 0 ? 0 : errno;
    int closed = ::close(fd_) == 0 ? 0 : errno;  // closed even when fsync failed
    fd_ = -1;
    if (synced || closed) refuse(final_path, std::strerror(synced ? synced : closed));
  }
  void rename_to(const fs::path& final_path) {
    if (::rename(name_.c_str(), final_path.c_str()) != 0) refuse(final_path, std::strerror(errno));
    released_ = true;
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool released_ = false;
};

}  // namespace

void check_output_path(const fs::path& path) {
  if (path.empty()) refuse(path, "no file name given");
  check_final_name(path);
  TempFile probe(path);  // removed again when it goes out of scope
}

void write_output_file(const fs::path& path, std::string_view content) {
  check_final_name(path);
  TempFile tmp(path);
  tmp.write_all(path, content);
  // A link put in place while we wrote is still not followed: rename replaces the name.
  check_final_name(path);
  tmp.rename_to(path);
}

}  // namespace lampi::fleet
