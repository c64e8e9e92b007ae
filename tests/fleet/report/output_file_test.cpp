// Results are written whole, beside their final name, and never through a link; and a
// path that cannot take them is found before the run.
#include "fleet/report/output_file.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "tests/support/read_text.hpp"

namespace fs = std::filesystem;
using lampi::fleet::check_output_path;
using lampi::fleet::write_output_file;
using lampi::testing::read_text;

namespace {

struct Folder {
  fs::path path;
  Folder() {
    char tmpl[] = "/tmp/lampi-output-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~Folder() { fs::remove_all(path); }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), {}));
  }
};

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("an output is written whole, replaces an older one, and leaves nothing beside it") {
  Folder dir;
  auto path = dir.path / "summary.json";
  write_output_file(path, "first");
  CHECK(read_text(path) == "first");
  write_output_file(path, "second, longer than the first");
  CHECK(read_text(path) == "second, longer than the first");
  CHECK(dir.entries() == 1);  // no temporary file left over
  CHECK((fs::status(path).permissions() & fs::perms::others_read) != fs::perms::none);
}

TEST_CASE("a symbolic link at the final name is refused, and its target is untouched") {
  Folder dir;
  auto victim = dir.path / "victim.txt";
  write_output_file(victim, "precious");
  auto link = dir.path / "report.html";
  fs::create_symlink(victim, link);
  auto why = error_of([&] { write_output_file(link, "overwritten"); });
  CHECK(why.find(link.string()) != std::string::npos);
  CHECK(why.find("symbolic link") != std::string::npos);
  CHECK(read_text(victim) == "precious");
  CHECK(fs::is_symlink(link));
  CHECK(error_of([&] { check_output_path(link); }).find("symbolic link") != std::string::npos);
  CHECK(dir.entries() == 2);
}

TEST_CASE("paths that cannot take an output are named before the run, with the reason") {
  Folder dir;
  struct Case {
    const char* what;
    fs::path path;
    const char* reason;
  };
  for (const auto& c : {Case{"a directory", dir.path, "is a directory"},
                        Case{"a missing folder", dir.path / "nope" / "out.json", "does not exist"},
                        Case{"a folder that takes no files", "/proc/lampi-out.json",
                             "cannot create a file in /proc"},
                        Case{"no name", "", "no file name"}}) {
    CAPTURE(std::string(c.what));
    auto why = error_of([&] { check_output_path(c.path); });
    CAPTURE(why);
    CHECK(why.find(c.reason) != std::string::npos);
    if (!c.path.empty()) CHECK(why.find(c.path.string()) != std::string::npos);
  }
  CHECK(error_of([&] { check_output_path(dir.path / "fine.json"); }).empty());
  CHECK(dir.entries() == 0);  // the probe is gone again
}
