#pragma once

// Berth's HTTP/1.1 server: an accept loop and one coroutine per connection
// (keep-alive, idle timeout, header-first reads so the application can pick a
// body limit per route), on a small pool of threads; a response may also be
// streamed from a BodyProducer. Requests the application says may wait
// (Application::MayWait) are served on a pool of their own, so that a wait
// never holds up the event loop. Stop() ends it cleanly (streamed responses
// get their last bytes out first); main calls it on SIGINT or SIGTERM. The
// only place Beast and Asio appear.
//
// Thread-safety: construct and Run() from one thread; Stop() from any.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "server/http/application.h"

namespace berth::http {

struct ServerOptions {
  std::string host = "127.0.0.1";  // address to bind
  uint16_t port = 4566;            // 0 picks a free port
  unsigned threads = 2;            // threads running the event loop
  unsigned waiting_threads = 4;    // threads serving requests that may wait
  // A connection with no request in progress is closed after idle_timeout;
  // once a request's first byte arrives, its whole header must follow within
  // header_timeout (slow headers are cut off).
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds header_timeout{10};
  size_t header_limit = 64 * 1024;  // bytes of request line and fields
  // A request body must bring at least body_min_bytes in every body_window,
  // and never pause for idle_timeout (slow bodies are cut off).
  std::chrono::seconds body_window{30};
  size_t body_min_bytes = 4096;
  // Connections beyond this many open ones are answered 503 (with
  // Retry-After) and closed.
  size_t max_connections = 1024;
};

class Server {
 public:
  // Binds and listens at once, so an unusable address fails here, with a
  // message naming it (std::runtime_error).
  explicit Server(const ServerOptions& options);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // The port actually bound (useful with port 0).
  uint16_t port() const;
  // Also serves on `host` at the same port (e.g. the gateway of a Docker
  // network Berth made, for the task endpoints): at once when running, else
  // from Run(). True when listening there (already or now); false, logged,
  // when the address cannot be bound. Thread-safe.
  bool AddListener(const std::string& host);
  // Also serves on `host`:`port` (0: a free port the kernel picks), a
  // listener of its own: a request that arrives there says so in
  // Request::local_port (e.g. one task's endpoints on another Docker
  // engine, known by the port its relay connects to). Returns the port
  // bound (`port` when already listening there), or 0, logged, when it
  // cannot be bound. Thread-safe.
  uint16_t AddPortListener(const std::string& host, uint16_t port);
  // Stops listening there (connections already open carry on).
  void RemovePortListener(const std::string& host, uint16_t port);
  // Serves `application` until Stop().
  void Run(Application& application);
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::http
