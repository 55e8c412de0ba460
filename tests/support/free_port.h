#pragma once

// A TCP port nothing listens on now, taken with bind(0) and released: fine
// for a server started at once. (A server stopped and started again on the
// same port wants stable_port.h instead.)

#include <arpa/inet.h>
#include <cstdint>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace berth::testing {

// A free port of `address` (127.0.0.1 unless given; INADDR_ANY: free on
// every address); 0 when none could be had.
inline int FreePort(uint32_t address = INADDR_LOOPBACK) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in bound{};
  bound.sin_family = AF_INET;
  bound.sin_addr.s_addr = htonl(address);
  socklen_t size = sizeof(bound);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&bound), size) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &size) == 0) {
    port = ntohs(bound.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace berth::testing
