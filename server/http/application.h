#pragma once

// What the HTTP server asks of the code that serves requests. The session
// reads a request's header first, asks for a body plan, reads the body within
// that plan, then hands over the whole request.
//
// Thread-safety: implementations are called from every server thread at once.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "server/http/message.h"

namespace berth::http {

// How much body a request may carry, and where it goes: into
// Request::body, or piece by piece into `sink` (for uploads of any size).
struct BodyPlan {
  uint64_t limit = 0;
  std::shared_ptr<BodySink> sink;
};

class Application {
 public:
  virtual ~Application() = default;

  // Decides the body plan from the request's header (`head.body` is empty).
  virtual BodyPlan Plan(const Request& head) = 0;
  // Whether serving the request may wait on something outside Berth (an
  // upstream registry, the Docker engine, a first build of a cache): such a
  // request is served on the server's thread pool for waits, so that the
  // event loop goes on serving the others meanwhile. Decided from the header.
  virtual bool MayWait(const Request& head) {
    (void)head;
    return false;
  }
  // Serves one complete request. Must not throw.
  virtual Response Handle(Request& request) = 0;
  // The reply when the body exceeds the plan's limit (the connection is then
  // closed). Must not throw.
  virtual Response BodyTooLarge(const Request& head, uint64_t limit) = 0;
};

}  // namespace berth::http
