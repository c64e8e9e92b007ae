// Runs the lampi-fleet binary as a user would (through a shell, or on a pseudo-terminal)
// and keeps its exit code and output, for the command-line suites.
#pragma once

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "fleet/broker/mosquitto_process.hpp"
#include "tests/support/read_text.hpp"
#include "tests/support/temp_dir.hpp"

namespace lampi::testing {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command line with stdout and stderr captured together.
inline Result run_shell(const std::string& command) {
  std::string cmd = "( " + command + " ) 2>&1";
  Result r;
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The TMPDIR the tool runs with: its local mosquitto's files, which a run that did not
// end OK leaves behind for a look, go with this test process instead of piling up in /tmp.
// Searchable by others (0711), as the broker's own user must reach its files.
inline const fs::path& tool_tmpdir() {
  struct Dir {
    fs::path path;
    Dir() {
      char tmpl[] = "/tmp/lampi-cli-tmp-XXXXXX";
      path = mkdtemp(tmpl);
      fs::permissions(path, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    }
    ~Dir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

inline std::string tool_command() {
  return "TMPDIR=" + tool_tmpdir().string() + " " + LAMPI_FLEET_BIN;
}

inline Result run_cli(const std::string& args) {
  return run_shell(tool_command() + " " + args);
}

// Whom run_cli_signalled() signals: the tool, or its child (the local mosquitto).
enum class SignalTarget { tool, child };

// The same, sent `signal` ("TERM", "HUP", "KILL", ...) at `moment`: "child" the instant the
// tool has a child (its local mosquitto, still starting), "after:S" S seconds in
// (tests/support/signal_when.py).
inline Result run_cli_signalled(const std::string& signal, const std::string& moment,
                                const std::string& args, SignalTarget target = SignalTarget::tool) {
  return run_shell(std::string("TMPDIR=") + tool_tmpdir().string() + " python3 " +
                   LAMPI_SOURCE_DIR + "/tests/support/signal_when.py " + signal + " " + moment +
                   (target == SignalTarget::child ? " --to-child" : "") + " -- " + LAMPI_FLEET_BIN +
                   " " + args);
}

// The same, with stdout and stderr on a pseudo-terminal, as in a person's shell.
inline Result run_cli_on_terminal(const std::string& args) {
  std::string cmd = tool_command() + " " + args;
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  Result r;
  std::array<char, 4096> buf{};
  ssize_t n;
  while ((n = read(master, buf.data(), buf.size())) > 0)  // EIO once the child has gone
    r.output.append(buf.data(), static_cast<std::size_t>(n));
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline bool contains(const std::string& text, const std::string& fragment) {
  return text.find(fragment) != std::string::npos;
}

// A TCP socket bound to a free 127.0.0.1 port, closed when it goes out of scope.
class LoopbackSocket {
 public:
  explicit LoopbackSocket(bool listening) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    if (listening) REQUIRE(::listen(fd_, 1) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
  }
  ~LoopbackSocket() { ::close(fd_); }
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// A loopback port that nothing listens on: bound once to learn a free number, then closed.
inline int closed_port() {
  return LoopbackSocket(false).port();
}

inline bool broker_saw_a_client(const lampi::fleet::MosquittoProcess& broker) {
  return read_text(broker.log_path()).find("New client connected") != std::string::npos;
}

}  // namespace lampi::testing
