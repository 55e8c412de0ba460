#include "docker_backend/engine_probe.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

#include "docker_backend/curl_docker_client.h"

namespace berth::docker {
namespace {

// The host of "tcp://host:port" ("[v6]" without its brackets).
std::string TcpHost(const std::string& endpoint) {
  std::string rest = endpoint.substr(6);
  rest = rest.substr(0, rest.find('/'));
  if (rest.starts_with('[')) return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.rfind(':'));
}

}  // namespace

std::string LocalAddressToward(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), "9", &hints, &found) != 0 || found == nullptr) return "";
  std::string out;
  for (const addrinfo* a = found; a != nullptr && out.empty(); a = a->ai_next) {
    const int fd = socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    // A datagram socket's connect only picks the route and source address.
    sockaddr_storage local{};
    socklen_t length = sizeof(local);
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
      char text[INET6_ADDRSTRLEN] = {};
      const void* address =
          local.ss_family == AF_INET6
              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr)
              : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr);
      if (inet_ntop(local.ss_family, address, text, sizeof(text)) != nullptr) out = text;
    }
    close(fd);
  }
  freeaddrinfo(found);
  return out;
}

EngineProbe ProbeEngine(const std::string& endpoint, const std::optional<DockerTls>& tls) {
  if (!endpoint.starts_with("unix://") && !endpoint.starts_with("tcp://")) {
    throw std::invalid_argument("an engine endpoint is unix:///path or tcp://host:port, not " +
                                endpoint);
  }
  CurlDockerClient client(DockerEndpoint::FromDockerHost(endpoint, tls));
  EngineProbe probe{client.Info(), ""};
  if (endpoint.starts_with("tcp://")) probe.local_address = LocalAddressToward(TcpHost(endpoint));
  return probe;
}

}  // namespace berth::docker
