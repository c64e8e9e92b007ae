// A private Mosquitto broker run as a child process, configured like the course's EC2
// broker, so tests and local runs never depend on a system service or a fixed port.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lampi::fleet {

struct MosquittoOptions {
  // Numeric IPv4 or IPv6 address for the single plain-MQTT listener.
  std::string bind_address = "127.0.0.1";
  // 0 picks a free port (and retries with another one if it is taken before
  // mosquitto binds it); any other value is used as is or start() fails.
  std::uint16_t port = 0;
  std::string binary = "/usr/sbin/mosquitto";
  // Started by root, the broker runs as this user, who is given its temp dir; Debian's
  // mosquitto package creates it. Root only when the user does not exist, cannot reach
  // the temp dir (TMPDIR), or cannot be changed to (no CAP_SETUID/CAP_SETGID). Files
  // that extra_config_lines name (certificates, password files) must be readable by it.
  std::string user = "mosquitto";
  // The database lives in the broker's temp dir; it is written on stop(), not on
  // kill(), so retained messages and sessions survive stop() + restart() only.
  bool persistence = false;
  // Appended verbatim to the generated mosquitto.conf (one directive each).
  std::vector<std::string> extra_config_lines;
  std::chrono::milliseconds ready_timeout{5000};
  // How long stop() waits after SIGTERM before it sends SIGKILL.
  std::chrono::milliseconds stop_timeout{5000};
  // PR_SET_PDEATHSIG: the broker gets SIGKILL if we die without cleaning up (SIGKILL,
  // because mosquitto 2.0.11 can miss a SIGTERM; an orphan must never survive). Linux
  // sends it when the *thread* that called start()/restart() exits, so call those
  // from a long-lived thread or turn this off.
  bool die_with_parent = true;
};

// Move-only owner of one mosquitto child process and its temp dir (config, log,
// stderr, persistence db). Not thread-safe: use one instance from one thread.
// Relies on nobody else reaping our children (no waitpid(-1), no SIGCHLD=SIG_IGN),
// which is also what keeps the pid from being reused while we still signal it.
class MosquittoProcess {
 public:
  // Returns once the broker accepts TCP connections. Throws std::runtime_error that
  // says what to do: missing binary, port in use, early exit (with the log tail),
  // or not ready within ready_timeout. std::invalid_argument for bad options.
  static MosquittoProcess start(MosquittoOptions opts);

  MosquittoProcess(MosquittoProcess&& other) noexcept;
  MosquittoProcess& operator=(MosquittoProcess&& other) noexcept;
  MosquittoProcess(const MosquittoProcess&) = delete;
  MosquittoProcess& operator=(const MosquittoProcess&) = delete;
  ~MosquittoProcess();  // stop(), then removes the temp dir

  std::uint16_t port() const { return port_; }
  const std::string& address() const { return opts_.bind_address; }
  // -1 when no broker is running (stopped, killed, crashed, or moved from).
  pid_t pid() const;
  std::filesystem::path dir() const { return dir_; }
  std::filesystem::path log_path() const { return dir_ / "mosquitto.log"; }
  std::filesystem::path config_path() const { return dir_ / "mosquitto.conf"; }
  // Last lines of the broker's log and stderr, for failure messages.
  std::string log_tail(std::size_t max_lines = 20) const;
  // The user the broker runs as when we are root (MosquittoOptions::user, or "root"
  // when that cannot be); "" when we are not root and it runs as we do.
  const std::string& user() const { return user_; }
  // How the broker last ended, e.g. "exit status 1" or "killed by SIGKILL"; "" while it
  // runs or before it ever ended.
  std::string exit_status() const;
  // Leave the temp dir (config, log, stderr) in place when this object goes, for a look
  // after a run that went wrong; dir() and log_path() say where.
  void keep_files() { keep_files_ = true; }

  // SIGTERM, wait up to stop_timeout, then SIGKILL. Always reaps. No-op if not running.
  void stop();
  // SIGKILL and reap: a broker crash as clients see it (no clean shutdown, and
  // nothing persisted).
  void kill();
  // stop() if still running, then start again on the same port and config.
  void restart();
  // After stop() (or a crash): start again on the same port and config, as restart() does
  // without the stop, for a broker that was meant to stay down a while.
  void start_again();
  // Also reaps a broker that died on its own.
  bool running() const;

 private:
  MosquittoProcess() = default;

  void launch(bool port_is_fixed);
  void write_config() const;
  void reset() noexcept;

  MosquittoOptions opts_;
  std::uint16_t port_ = 0;
  std::filesystem::path dir_;
  std::string user_;
  uid_t uid_ = 0;  // with gid_, whom the child becomes when change_user_
  gid_t gid_ = 0;
  bool change_user_ = false;
  bool keep_files_ = false;
  mutable pid_t pid_ = -1;
  mutable int last_status_ = -1;  // wait status of the last exit; -1: none yet
};

}  // namespace lampi::fleet
