// libmosquitto 2.0.11 opens an AF_UNIX socketpair in every mosquitto_new() and writes a
// byte into it per queued packet that only mosquitto_loop() drains. With our own loop
// that costs 2 extra fds and ~230 KB of kernel memory per busy client. libmosquitto
// carries on without the pair when socketpair() fails, so we make it fail, on this
// thread only, while a client is being created.
#pragma once

namespace lampi::fleet {

class SocketpairRefusal {
 public:
  SocketpairRefusal();
  ~SocketpairRefusal();
  SocketpairRefusal(const SocketpairRefusal&) = delete;
  SocketpairRefusal& operator=(const SocketpairRefusal&) = delete;

 private:
  bool previous_;
};

}  // namespace lampi::fleet
