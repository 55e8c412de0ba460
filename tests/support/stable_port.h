#pragma once

// A TCP port of 127.0.0.1 for a server a test stops and starts again on the
// same port (Berth under docker-compose `down` then `up`). A port taken with
// bind(0) lies in the kernel's ephemeral range, where, once released, the
// kernel (any other test's bind(0) or outgoing connection) and Docker (every
// published port without a fixed host port) may hand it to someone else
// while the server is down. This one is drawn at random below that range and
// checked free, so only another test drawing the same number could take it.

#include <arpa/inet.h>
#include <fstream>
#include <netinet/in.h>
#include <random>
#include <sys/socket.h>
#include <unistd.h>

namespace berth::testing {

// The first port of the kernel's ephemeral range (32768 when unreadable).
inline int EphemeralRangeStart() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  return range >> low && low > 2048 ? low : 32768;
}

// A free port in [1024 + (start - 1024) / 2, start) of the ephemeral range's
// start; 0 when none of 200 draws is free.
inline int StablePort() {
  const int end = EphemeralRangeStart();
  const int begin = 1024 + (end - 1024) / 2;
  std::random_device seed;
  std::mt19937 draw(seed());
  std::uniform_int_distribution<int> pick(begin, end - 1);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = pick(draw);
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (free) return port;
  }
  return 0;
}

}  // namespace berth::testing
