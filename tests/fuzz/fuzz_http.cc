// Fuzz target: raw bytes into Berth's HTTP server. A real http::Server on a
// loopback port serves the whole request router (AWS APIs, registry, admin
// endpoints) over the in-memory services; each input is written to a new
// connection, which is then half-closed. Promise checked: the server neither
// crashes nor hangs: every connection is closed within a few seconds of the
// client's end of input, whatever it sent (bad request lines, smuggling
// attempts, pipelined requests, truncated bodies).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "server/admin/admin_handler.h"
#include "server/http/server.h"
#include "server/router.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_world.h"

namespace {

struct ServedWorld {
  ServedWorld() : admin(world.database), router(world.dispatcher, world.registry, admin) {
    berth::http::ServerOptions options;
    options.port = 0;
    options.idle_timeout = std::chrono::seconds(2);
    server = std::make_unique<berth::http::Server>(options);
    thread = std::thread([this] { server->Run(router); });
  }
  berth::fuzz::FuzzWorld world;
  berth::admin::AdminHandler admin;
  berth::Router router;
  std::unique_ptr<berth::http::Server> server;
  std::thread thread;
};

int Connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    berth::fuzz::Violation("cannot connect", "the server stopped accepting");
  }
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ServedWorld* served = new ServedWorld();
  const int fd = Connect(served->server->port());
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (a bad request line)
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  char buffer[16384];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) {
      berth::fuzz::Violation("connection not closed 10 s after the client's end of input",
                             berth::fuzz::AsText(data, std::min<size_t>(size, 200)));
    }
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
  }
  ::close(fd);
  served->world.MaybeReset(5000);
  return 0;
}
