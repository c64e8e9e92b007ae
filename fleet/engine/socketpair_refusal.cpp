#include "fleet/engine/socketpair_refusal.hpp"

#include <dlfcn.h>
#include <sys/socket.h>

#include <cerrno>

namespace {
thread_local bool t_refuse_socketpair = false;
}

// Interposes libc's socketpair for the whole process (the executable's definition wins
// over libc's for libmosquitto's call); everything but a refused call goes to libc.
extern "C" int socketpair(int domain, int type, int protocol, int sv[2]) {
  if (t_refuse_socketpair) {
    errno = EMFILE;
    return -1;
  }
  using Fn = int (*)(int, int, int, int*);
  static const Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "socketpair"));
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  return real(domain, type, protocol, sv);
}

namespace lampi::fleet {

SocketpairRefusal::SocketpairRefusal() : previous_(t_refuse_socketpair) {
  t_refuse_socketpair = true;
}
SocketpairRefusal::~SocketpairRefusal() {
  t_refuse_socketpair = previous_;
}

}  // namespace lampi::fleet
