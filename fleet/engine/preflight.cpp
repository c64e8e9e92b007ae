#include "fleet/engine/preflight.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace lampi::fleet {

std::size_t Capacity::max_lamps() const {
  std::size_t by_fd = fd_limit > fd_reserved ? fd_limit - fd_reserved : 0;
  return std::min(by_fd, ports_per_source * std::max<std::size_t>(sources, 1));
}

std::string Capacity::describe() const {
  return fmt::format("fd limit {} (minus {} reserved), {} local ports x {} source address(es)",
                     fd_limit, fd_reserved, ports_per_source, sources);
}

Capacity measure_capacity(std::size_t source_addresses) {
  Capacity c;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    if (lim.rlim_cur < lim.rlim_max) {
      rlimit raised = lim;
      raised.rlim_cur = lim.rlim_max;
      if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
    }
    c.fd_limit = lim.rlim_cur == RLIM_INFINITY ? 1u << 20 : static_cast<std::size_t>(lim.rlim_cur);
  }
  std::size_t low = 32768, high = 60999;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) range >> low >> high;
  c.ports_per_source = high >= low ? high - low + 1 : 0;
  c.sources = std::max<std::size_t>(source_addresses, 1);
  return c;
}

void check_capacity(const Capacity& c, std::size_t lamps) {
  if (lamps <= c.max_lamps()) return;
  std::size_t by_fd = c.fd_limit > c.fd_reserved ? c.fd_limit - c.fd_reserved : 0;
  if (lamps > by_fd)
    throw std::runtime_error(fmt::format(
        "{} lamps need {} file descriptors (one per lamp plus {} reserved), but this process may "
        "open only {} (ulimit -Hn). Run at most {} lamps here, raise the hard limit (ulimit -n, "
        "LimitNOFILE= in systemd), or split the fleet over several processes.",
        lamps, lamps + c.fd_reserved, c.fd_reserved, c.fd_limit, by_fd));
  throw std::runtime_error(fmt::format(
      "{} lamps need {} local ports towards one broker address, but {} source address(es) x {} "
      "ports (net.ipv4.ip_local_port_range) give only {}. Add source addresses, e.g. "
      "connect.source_addresses: [\"127.0.0.2-127.0.0.9\"] for a local broker.",
      lamps, lamps, c.sources, c.ports_per_source, c.ports_per_source * c.sources));
}

ResolvedBroker resolve_broker(const BrokerTarget& target) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(target.host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || !found)
    throw std::runtime_error(fmt::format("cannot resolve broker host '{}': {}. Check broker.url.",
                                         target.host, gai_strerror(rc)));
  char text[NI_MAXHOST];
  rc =
      getnameinfo(found->ai_addr, found->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST);
  freeaddrinfo(found);
  if (rc != 0)
    throw std::runtime_error(
        fmt::format("cannot resolve broker host '{}': {}", target.host, gai_strerror(rc)));
  return {text, target.port};
}

}  // namespace lampi::fleet
