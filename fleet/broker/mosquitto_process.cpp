#include "fleet/broker/mosquitto_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

namespace lampi::fleet {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kLogName = "mosquitto.log";
constexpr const char* kStderrName = "stderr.log";
constexpr const char* kInstallHint =
    "install it with `apt-get install mosquitto` or run deploy/setup-debian.sh";

std::string errno_text(int err) {
  return std::error_code(err, std::system_category()).message();
}

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { close(); }
  int get() const { return fd_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

SocketAddress parse_address(const std::string& text, std::uint16_t port) {
  SocketAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
  } else {
    throw std::invalid_argument(
        "MosquittoOptions::bind_address must be a numeric IP address, got '" + text + "'");
  }
  return a;
}

// A wildcard listener is reachable on loopback; probing the wildcard itself is not
// portable.
SocketAddress probe_address(const std::string& bind_address, std::uint16_t port) {
  SocketAddress a = parse_address(bind_address, port);
  if (a.family() == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
    if (v4->sin_addr.s_addr == htonl(INADDR_ANY)) v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    if (IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr)) v6->sin6_addr = in6addr_loopback;
  }
  return a;
}

std::string endpoint_text(const std::string& address, std::uint16_t port) {
  return (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
         std::to_string(port);
}

std::uint16_t pick_free_port(const std::string& bind_address) {
  SocketAddress a = parse_address(bind_address, 0);
  UniqueFd s(::socket(a.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) throw std::runtime_error("socket() failed: " + errno_text(errno));
  if (::bind(s.get(), a.get(), a.length) != 0) {
    throw std::runtime_error("cannot bind " + bind_address +
                             " to find a free port: " + errno_text(errno));
  }
  SocketAddress bound;
  bound.length = sizeof(bound.storage);
  if (::getsockname(s.get(), bound.get(), &bound.length) != 0) {
    throw std::runtime_error("getsockname() failed: " + errno_text(errno));
  }
  return ntohs(bound.family() == AF_INET
                   ? reinterpret_cast<const sockaddr_in*>(&bound.storage)->sin_port
                   : reinterpret_cast<const sockaddr_in6*>(&bound.storage)->sin6_port);
}

// Mirrors mosquitto's own listener (SO_REUSEADDR), so connections of a broker we
// just killed, lingering in TIME_WAIT, do not count as "in use".
bool port_available(const std::string& bind_address, std::uint16_t port) {
  SocketAddress a = parse_address(bind_address, port);
  UniqueFd s(::socket(a.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) return true;  // let mosquitto report the real problem
  int one = 1;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(s.get(), a.get(), a.length) != 0) return errno != EADDRINUSE;
  return ::listen(s.get(), 1) == 0 || errno != EADDRINUSE;
}

bool accepts_tcp(const SocketAddress& a) {
  UniqueFd s(::socket(a.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) return false;
  // Bounds a connect that does not fail fast (a non-loopback bind address).
  timeval tv{0, 200'000};
  ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return ::connect(s.get(), a.get(), a.length) == 0;
}

std::filesystem::path make_temp_dir() {
  const char* env = std::getenv("TMPDIR");
  std::string base = (env != nullptr && *env != '\0') ? env : "/tmp";
  std::string tmpl = base + "/lampi-mosquitto-XXXXXX";
  if (tmpl.find_first_of("\n\r") != std::string::npos) {
    throw std::runtime_error("TMPDIR contains a line break; mosquitto.conf cannot name it");
  }
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    throw std::runtime_error("mkdtemp(" + tmpl + ") failed: " + errno_text(errno));
  }
  return std::filesystem::path(buf.data());
}

// Whether uid/gid may search every directory above `dir`, so as to reach it.
bool reachable_by(const std::filesystem::path& dir, uid_t uid, gid_t gid) {
  std::error_code ec;
  auto p = std::filesystem::absolute(dir, ec).parent_path();
  if (ec) return false;
  for (;; p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return false;
    const mode_t search = st.st_uid == uid ? S_IXUSR : st.st_gid == gid ? S_IXGRP : S_IXOTH;
    if ((st.st_mode & search) == 0) return false;
    if (p == p.parent_path()) return true;
  }
}

// Whom the broker runs as. The child changes to it itself, before PR_SET_PDEATHSIG: a
// change of credentials clears that signal, so mosquitto's own `user` switch would let
// an orphaned broker live on.
struct Identity {
  std::string name;  // "" when we are not root
  uid_t uid = 0;
  gid_t gid = 0;
  bool change = false;
};

// Whether this process may change user and group (CAP_SETUID and CAP_SETGID), which a
// container's root may have been denied; the broker inherits what we have.
bool can_change_user() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    const unsigned long long caps = std::strtoull(line.c_str() + 7, nullptr, 16);
    constexpr unsigned long long kSetgid = 1ULL << 6, kSetuid = 1ULL << 7;
    return (caps & kSetgid) != 0 && (caps & kSetuid) != 0;
  }
  return false;
}

// Started by root, the broker runs as `user`, who is handed `dir` (config, log,
// persistence). Falls back to root when the user does not exist, could not reach the
// dir, or cannot be changed to. Not root: nothing changes, and the name is "".
Identity choose_identity(const std::string& user, const std::filesystem::path& dir) {
  if (::geteuid() != 0) return {};
  Identity root{.name = "root"};
  if (user.empty() || user == "root" || !can_change_user()) return root;
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr)
    return root;
  if (!reachable_by(dir, pw.pw_uid, pw.pw_gid) || ::chown(dir.c_str(), pw.pw_uid, pw.pw_gid) != 0)
    return root;
  return {.name = user, .uid = pw.pw_uid, .gid = pw.pw_gid, .change = true};
}

std::uintmax_t size_or_zero(const std::filesystem::path& p) {
  std::error_code ec;
  auto n = std::filesystem::file_size(p, ec);
  return ec ? 0 : n;
}

// Last max_lines lines of p from byte offset `from` on, reading at most the last 64 KiB.
std::string read_tail(const std::filesystem::path& p, std::uintmax_t from, std::size_t max_lines) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return {};
  constexpr std::uintmax_t kMaxBytes = 64 * 1024;
  std::uintmax_t size = size_or_zero(p);
  if (size <= from) return {};
  std::uintmax_t start = std::max(from, size > kMaxBytes ? size - kMaxBytes : 0);
  in.seekg(static_cast<std::streamoff>(start));
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(std::move(line));
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += "  | " + l + "\n";
  return out;
}

// Logged after every listener is open; our config always logs at this level.
bool log_says_running(const std::filesystem::path& log, std::uintmax_t from) {
  std::ifstream in(log, std::ios::binary);
  if (!in) return false;
  in.seekg(static_cast<std::streamoff>(from));
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("mosquitto version") != std::string::npos && line.ends_with(" running")) {
      return true;
    }
  }
  return false;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::sigabbrev_np(WTERMSIG(status));
    return std::string("killed by SIG") + (name != nullptr ? name : "?");
  }
  return "wait status " + std::to_string(status);
}

int reap_blocking(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// execv does not search PATH, and execvp is not async-signal-safe after fork, so a
// bare name is resolved here in the parent.
std::string resolve_binary(const std::string& binary) {
  auto missing = [&](const std::string& why) {
    return std::runtime_error("mosquitto binary '" + binary + "' " + why + ": " + kInstallHint);
  };
  if (binary.empty()) throw missing("is empty");
  if (binary.find('/') != std::string::npos) {
    if (::access(binary.c_str(), X_OK) != 0) {
      throw missing(errno == ENOENT ? std::string("does not exist")
                                    : "is not executable (" + errno_text(errno) + ")");
    }
    return binary;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + binary;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw missing("was not found on PATH");
}

// What the child reports through its pipe when it cannot become mosquitto.
struct ChildError {
  enum Stage : int { change_user, exec } stage;
  int err;
};

// In the child: reports errno at `stage` and exits. Async-signal-safe.
[[noreturn]] void child_fails(int report_fd, ChildError::Stage stage) {
  const ChildError e{stage, errno};
  [[maybe_unused]] auto n = ::write(report_fd, &e, sizeof(e));
  ::_exit(127);
}

// Forks and execs mosquitto -c <config>, as `who`. Between fork and exec only
// async-signal-safe calls: the caller may be multi-threaded. Returns the child pid once
// exec succeeded.
pid_t spawn(const std::string& binary, const std::filesystem::path& config,
            const std::filesystem::path& stderr_path, bool die_with_parent, const Identity& who) {
  const std::string config_str = config.string();
  std::vector<char*> argv = {const_cast<char*>(binary.c_str()), const_cast<char*>("-c"),
                             const_cast<char*>(config_str.c_str()), nullptr};

  UniqueFd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  UniqueFd err_file(
      ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, S_IRUSR | S_IWUSR));
  if (dev_null.get() < 0 || err_file.get() < 0) {
    throw std::runtime_error("cannot open /dev/null or " + stderr_path.string() + ": " +
                             errno_text(errno));
  }
  // The child reports a failed exec through this pipe; a successful exec closes it.
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2() failed: " + errno_text(errno));
  }
  UniqueFd exec_err_read(pipe_fds[0]);
  UniqueFd exec_err_write(pipe_fds[1]);

  // Each broker connection is one fd; the usual soft limit (1024) would cap the
  // broker long before the hard limit does.
  rlimit fd_limit{};
  const bool have_limit = ::getrlimit(RLIMIT_NOFILE, &fd_limit) == 0;
  fd_limit.rlim_cur = fd_limit.rlim_max;
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork() failed: " + errno_text(errno));
  if (pid == 0) {
    // Before PR_SET_PDEATHSIG, which a change of credentials clears.
    if (who.change &&
        (::setgroups(1, &who.gid) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0))
      child_fails(exec_err_write.get(), ChildError::change_user);
    if (die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // parent died before prctl took effect
    }
    // Own process group: a terminal's Ctrl-C goes to the fleet, which then decides
    // when the broker stops (e.g. after its clients drained).
    ::setpgid(0, 0);
    sigset_t none;
    ::sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
    if (have_limit) ::setrlimit(RLIMIT_NOFILE, &fd_limit);
    ::dup2(dev_null.get(), STDIN_FILENO);
    ::dup2(err_file.get(), STDOUT_FILENO);
    ::dup2(err_file.get(), STDERR_FILENO);
    // The fleet may hold ~19k sockets without O_CLOEXEC (libmosquitto's are); the
    // broker must not inherit them, or they eat its fd budget and keep them alive.
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      const int top =
          have_limit ? static_cast<int>(std::min<rlim_t>(fd_limit.rlim_max, 1 << 20)) : 65536;
      for (int fd = 3; fd < top; ++fd) {
        if (fd != exec_err_write.get()) ::close(fd);
      }
    }
    ::execv(argv[0], argv.data());
    child_fails(exec_err_write.get(), ChildError::exec);
  }

  exec_err_write.close();
  ChildError child{};
  ssize_t n;
  while ((n = ::read(exec_err_read.get(), &child, sizeof(child))) < 0 && errno == EINTR) {
  }
  if (n > 0) {
    reap_blocking(pid);
    if (child.stage == ChildError::change_user)
      throw std::runtime_error("cannot run mosquitto as user " + who.name + ": " +
                               errno_text(child.err));
    throw std::runtime_error("cannot execute mosquitto binary '" + binary +
                             "': " + errno_text(child.err) + "; " + kInstallHint);
  }
  return pid;
}

}  // namespace

MosquittoProcess MosquittoProcess::start(MosquittoOptions opts) {
  for (const auto& line : opts.extra_config_lines) {
    if (line.find_first_of("\n\r") != std::string::npos) {
      throw std::invalid_argument("MosquittoOptions::extra_config_lines: one directive per entry");
    }
  }
  parse_address(opts.bind_address, opts.port);  // validates before anything is created
  opts.binary = resolve_binary(opts.binary);

  MosquittoProcess p;
  p.opts_ = std::move(opts);
  p.port_ = p.opts_.port;
  p.dir_ = make_temp_dir();
  const Identity who = choose_identity(p.opts_.user, p.dir_);
  p.user_ = who.name;
  p.uid_ = who.uid;
  p.gid_ = who.gid;
  p.change_user_ = who.change;
  p.launch(p.opts_.port != 0);  // on failure ~MosquittoProcess removes the dir
  return p;
}

void MosquittoProcess::launch(bool port_is_fixed) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    if (!port_is_fixed) {
      port_ = pick_free_port(opts_.bind_address);
    } else if (!port_available(opts_.bind_address, port_)) {
      throw std::runtime_error(
          "cannot start mosquitto: " + endpoint_text(opts_.bind_address, port_) +
          " is already in use by another process (choose another port, or "
          "port 0 for a free one)");
    }
    write_config();
    const auto log_from = size_or_zero(log_path());
    const auto err_from = size_or_zero(dir_ / kStderrName);
    pid_ = spawn(opts_.binary, config_path(), dir_ / kStderrName, opts_.die_with_parent,
                 Identity{.name = user_, .uid = uid_, .gid = gid_, .change = change_user_});
    last_status_ = -1;

    auto tail_since_start = [&] {
      std::string log = read_tail(log_path(), log_from, 20);
      std::string err = read_tail(dir_ / kStderrName, err_from, 20);
      std::string out;
      if (!log.empty()) out += "\n" + log_path().string() + ":\n" + log;
      if (!err.empty()) out += "\nstderr:\n" + err;
      return out.empty() ? std::string("\n(the broker wrote no log)") : out;
    };

    const SocketAddress probe = probe_address(opts_.bind_address, port_);
    const auto deadline = Clock::now() + opts_.ready_timeout;
    auto pause = milliseconds(1);
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      // The listener we reach could be someone else's that took the port after we
      // picked it, so also require mosquitto's own word that its listeners are up.
      if (r == 0 && accepts_tcp(probe) && log_says_running(log_path(), log_from)) {
        r = ::waitpid(pid_, &status, WNOHANG);
        if (r == 0) return;
      }
      if (r == pid_ || r < 0) {
        if (r == pid_) last_status_ = status;
        pid_ = -1;
        const std::string tail = tail_since_start();
        if (tail.find("Address already in use") != std::string::npos) {
          if (!port_is_fixed && attempt < kAttempts) break;  // lost a race for the port
          throw std::runtime_error(
              "cannot start mosquitto: " + endpoint_text(opts_.bind_address, port_) +
              " is already in use" + tail);
        }
        throw std::runtime_error(
            "mosquitto exited during start-up (" +
            (r < 0 ? std::string("not our child any more") : describe_status(status)) + ")" + tail);
      }
      const auto now = Clock::now();
      if (now >= deadline) {
        ::kill(pid_, SIGKILL);
        last_status_ = reap_blocking(std::exchange(pid_, -1));
        throw std::runtime_error(
            "mosquitto did not accept connections on " + endpoint_text(opts_.bind_address, port_) +
            " within " + std::to_string(opts_.ready_timeout.count()) + " ms" + tail_since_start());
      }
      std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, milliseconds(20));
    }
  }
}

void MosquittoProcess::write_config() const {
  std::ostringstream c;
  c << "# Generated by lampi::fleet::MosquittoProcess: the course's EC2 broker, locally.\n";
  // Left to itself, a root mosquitto would change to user "mosquitto", which cannot write
  // into a dir root keeps; and changing user clears PR_SET_PDEATHSIG. So the child changes
  // user itself (see choose_identity), and a broker that stays root is told to.
  if (user_ == "root") c << "user root\n";
  c << "listener " << port_ << " " << opts_.bind_address << "\n"
    << "allow_anonymous true\n"
    << "persistence " << (opts_.persistence ? "true" : "false") << "\n";
  if (opts_.persistence) c << "persistence_location " << dir_.string() << "/\n";
  c << "max_queued_messages 1000\n"
    << "set_tcp_nodelay true\n"
    << "max_keepalive 65535\n"
    << "log_dest file " << (dir_ / kLogName).string() << "\n"
    << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
    << "log_timestamp_format %Y-%m-%dT%H:%M:%S\n"
    << "connection_messages true\n";
  for (const auto& line : opts_.extra_config_lines) c << line << "\n";

  std::ofstream out(config_path(), std::ios::trunc);
  out << c.str();
  out.close();
  if (!out) throw std::runtime_error("cannot write " + config_path().string());
}

MosquittoProcess::MosquittoProcess(MosquittoProcess&& other) noexcept
    : opts_(std::move(other.opts_)),
      port_(std::exchange(other.port_, 0)),
      dir_(std::exchange(other.dir_, {})),
      user_(std::exchange(other.user_, {})),
      uid_(other.uid_),
      gid_(other.gid_),
      change_user_(std::exchange(other.change_user_, false)),
      keep_files_(std::exchange(other.keep_files_, false)),
      pid_(std::exchange(other.pid_, -1)),
      last_status_(std::exchange(other.last_status_, -1)) {}

MosquittoProcess& MosquittoProcess::operator=(MosquittoProcess&& other) noexcept {
  if (this != &other) {
    reset();
    opts_ = std::move(other.opts_);
    port_ = std::exchange(other.port_, 0);
    dir_ = std::exchange(other.dir_, {});
    user_ = std::exchange(other.user_, {});
    uid_ = other.uid_;
    gid_ = other.gid_;
    change_user_ = std::exchange(other.change_user_, false);
    keep_files_ = std::exchange(other.keep_files_, false);
    pid_ = std::exchange(other.pid_, -1);
    last_status_ = std::exchange(other.last_status_, -1);
  }
  return *this;
}

MosquittoProcess::~MosquittoProcess() {
  reset();
}

void MosquittoProcess::reset() noexcept {
  stop();
  if (!dir_.empty() && !keep_files_) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  dir_.clear();
}

pid_t MosquittoProcess::pid() const {
  return running() ? pid_ : -1;
}

bool MosquittoProcess::running() const {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) last_status_ = status;
  pid_ = -1;  // exited (now reaped) or, if ECHILD, reaped by someone else
  return false;
}

std::string MosquittoProcess::exit_status() const {
  if (running() || last_status_ == -1) return {};
  return describe_status(last_status_);
}

void MosquittoProcess::stop() {
  if (!running()) return;
  // mosquitto 2.0.11 sets its run flag only after it has installed its handlers and
  // logged "running", so a SIGTERM right after start() is lost: repeat it.
  constexpr auto kResend = milliseconds(100);
  const auto deadline = Clock::now() + opts_.stop_timeout;
  auto next_term = Clock::now();
  auto pause = milliseconds(1);
  while (Clock::now() < deadline) {
    if (Clock::now() >= next_term) {
      ::kill(pid_, SIGTERM);
      next_term = Clock::now() + kResend;
    }
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r != 0) {
      if (r == pid_) last_status_ = status;
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  last_status_ = reap_blocking(std::exchange(pid_, -1));
}

void MosquittoProcess::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  last_status_ = reap_blocking(std::exchange(pid_, -1));
}

void MosquittoProcess::restart() {
  if (dir_.empty()) throw std::logic_error("MosquittoProcess::restart() on a moved-from object");
  stop();
  launch(true);
}

void MosquittoProcess::start_again() {
  if (dir_.empty())
    throw std::logic_error("MosquittoProcess::start_again() on a moved-from object");
  if (running()) throw std::logic_error("MosquittoProcess::start_again() while it runs");
  launch(true);
}

std::string MosquittoProcess::log_tail(std::size_t max_lines) const {
  if (dir_.empty()) return {};
  std::string out = read_tail(log_path(), 0, max_lines);
  std::string err = read_tail(dir_ / kStderrName, 0, max_lines);
  if (!err.empty()) out += "stderr:\n" + err;
  return out;
}

}  // namespace lampi::fleet
