// A broker held with SIGSTOP for as long as this lives: the kernel still completes TCP
// handshakes into the listen backlog and takes what is written, but nothing answers.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>

#include "fleet/broker/mosquitto_process.hpp"

namespace lampi::testing {

class PausedBroker {
 public:
  explicit PausedBroker(fleet::MosquittoProcess& broker) : broker_(&broker) {
    REQUIRE(::kill(broker.pid(), SIGSTOP) == 0);
  }
  ~PausedBroker() { resume(); }
  PausedBroker(const PausedBroker&) = delete;
  PausedBroker& operator=(const PausedBroker&) = delete;
  void resume() {
    // pid() is -1 once the broker was killed and reaped: never signal a reused pid.
    if (broker_ && broker_->pid() > 0) ::kill(broker_->pid(), SIGCONT);
    broker_ = nullptr;
  }

 private:
  fleet::MosquittoProcess* broker_;
};

}  // namespace lampi::testing
