// The signals that stop a run, blocked from construction until the process ends.
#pragma once

#include <chrono>

#include <signal.h>

namespace lampi::fleet {

// Ctrl-C, SIGTERM and SIGHUP (a dropped ssh session) are taken synchronously by the main
// thread (sigtimedwait), so no handler runs on a worker thread and no global flag is
// needed. main() blocks them before it does anything else and the run takes them until
// its last output is written, so a signal at any moment ends the run the graceful way.
class BlockedStopSignals {
 public:
  BlockedStopSignals() {
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) {
      // An ignored signal was ignored on purpose: nohup's SIGHUP, the SIGINT of a job a
      // script put in the background. Taking it anyway would stop runs that must go on.
      struct sigaction now {};
      if (sigaction(s, nullptr, &now) == 0 && now.sa_handler == SIG_IGN) continue;
      sigaddset(&set_, s);
    }
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);  // threads and children inherit the mask
  }
  // Not unblocked on destruction: a third Ctrl-C still pending when main() returns
  // would otherwise kill the process after the run and replace its exit code.
  ~BlockedStopSignals() = default;
  // For commands with nothing to stop gracefully (validate): Ctrl-C ends them at once.
  void unblock() const { pthread_sigmask(SIG_UNBLOCK, &set_, nullptr); }
  BlockedStopSignals(const BlockedStopSignals&) = delete;
  BlockedStopSignals& operator=(const BlockedStopSignals&) = delete;
  const sigset_t& set() const { return set_; }
  // Waits up to `timeout` for one of them; true if one came (and is taken).
  bool wait_for(std::chrono::milliseconds timeout) const {
    timespec ts{static_cast<time_t>(timeout.count() / 1000),
                static_cast<long>((timeout.count() % 1000) * 1000000)};
    return sigtimedwait(&set_, nullptr, &ts) > 0;
  }

 private:
  sigset_t set_;
};

}  // namespace lampi::fleet
