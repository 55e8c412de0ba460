#pragma once

// A plain TCP client for the HTTP server's tests: raw bytes out, reads with
// a deadline, EOF seen.

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace berth::http {

// A plain TCP client with a deadline on every read.
class Client {
 public:
  explicit Client(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      ADD_FAILURE() << "connect failed";
    }
  }
  ~Client() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void Send(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Reads until `needle` is in what was read, EOF, or the deadline; returns
  // everything read so far.
  std::string ReadUntil(const std::string& needle,
                        std::chrono::milliseconds within = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (received_.find(needle) == std::string::npos && !eof_ &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        eof_ = true;
      } else {
        received_.append(buffer, static_cast<size_t>(n));
      }
    }
    return received_;
  }
  std::string ReadToEof(std::chrono::milliseconds within = std::chrono::seconds(5)) {
    return ReadUntil(std::string(1, '\0') + "never", within);
  }
  bool eof() const { return eof_; }
  int fd() const { return fd_; }
  // Forgets what was read so far (for the next response on the connection).
  void Consume() { received_.clear(); }

 private:
  int fd_;
  std::string received_;
  // Atomic: a test may watch it from another thread while this one reads.
  std::atomic<bool> eof_{false};
};

}  // namespace berth::http
