// Fuzz target: raw bytes into Berth's HTTP server. A real http::Server on a
// loopback port serves the whole request router (AWS APIs, registry, admin
// endpoints) over the in-memory services; each input is written to a new
// connection, which is then half-closed. Promise checked: the server neither
// crashes nor hangs: every connection is closed within a few seconds of the
// client's end of input, whatever it sent (bad request lines, smuggling
// attempts, pipelined requests, truncated bodies).

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <string>
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

// Waits until fd is ready for `events` or the deadline passes. libFuzzer's
// timeout alarm (SIGALRM) interrupts system calls: an interrupted wait is
// resumed, never taken for a timeout.
bool WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

int Connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0) berth::fuzz::Violation("cannot make a socket", std::strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    // An interrupted connect goes on in the background: wait for its end.
    int error = errno;
    if (error == EINTR &&
        WaitFor(fd, POLLOUT, std::chrono::steady_clock::now() + std::chrono::seconds(10))) {
      socklen_t length = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    }
    if (error != 0) {
      berth::fuzz::Violation("cannot connect: the server stopped accepting", std::strerror(error));
    }
  }
  return fd;
}

// The inputs before the current one: a hang may need what came before it,
// so a violation writes them out (history-NN, oldest first) for a replay.
std::deque<std::string>& History() {
  static auto* history = new std::deque<std::string>();
  return *history;
}

void WriteHistory() {
  const char* dir = std::getenv("BERTH_FUZZ_HISTORY");
  if (dir == nullptr) return;
  int n = 0;
  for (const auto& input : History()) {
    std::ofstream(std::string(dir) + "/history-" + (n < 10 ? "0" : "") + std::to_string(n),
                  std::ios::binary)
        << input;
    ++n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ServedWorld* served = new ServedWorld();
  const int fd = Connect(served->server->port());
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server may close early (a bad request line)
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  char buffer[16384];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    if (!WaitFor(fd, POLLIN, deadline)) {
      WriteHistory();
      berth::fuzz::Violation("connection not closed 10 s after the client's end of input",
                             berth::fuzz::AsText(data, std::min<size_t>(size, 200)));
    }
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
  }
  // Closed with a reset: the server closed first, so an orderly close would
  // leave its side in TIME-WAIT for a minute, and at hundreds of
  // connections a second the loopback runs out of ephemeral ports.
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd);
  History().emplace_back(reinterpret_cast<const char*>(data), size);
  if (History().size() > 64) History().pop_front();
  served->world.MaybeReset(5000);
  return 0;
}
