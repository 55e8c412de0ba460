#pragma once

// Beast-free HTTP request and response types. Everything outside server/http
// speaks these; the session converts to and from Beast's types.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::http {

// An ordered list of header fields with case-insensitive lookup.
class Headers {
 public:
  // The first value of `name`, if present.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Replaces every value of `name` with `value`.
  void Set(std::string_view name, std::string value);
  void Add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Receives a request body piece by piece as it arrives, so that large
// uploads are never held in memory. Used from one connection at a time.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // Takes the next piece of the body. Returns false to stop reading (e.g. the
  // disk is full); the handler then reports the failure.
  virtual bool Write(std::string_view piece) = 0;
};

// An open file the response body is read from: `length` bytes from `offset`.
// The descriptor is closed when the last copy goes away.
struct FileRegion {
  std::shared_ptr<const int> fd;
  uint64_t offset = 0;
  uint64_t length = 0;
};
// Opens `path` for reading into a FileRegion of its first `length` bytes
// from `offset`; nullopt when it cannot be opened.
std::optional<FileRegion> OpenFileRegion(const std::string& path, uint64_t offset, uint64_t length);

// A response body made over time (an event stream, say). The session sends
// the header, then calls Next() at once and again each time the wait it asked
// for has passed, sending each piece as it comes (chunked transfer encoding),
// until a piece is the last; the connection then closes. The client closing
// the connection ends the body early: the producer is then released without
// another call. When the server stops, Stop() gives the last bytes instead.
// Next() may be called early (e.g. after the client sent stray bytes), so a
// producer keeps its own cadence. Neither may throw.
//
// Thread-safety: the session calls it from one thread at a time.
class BodyProducer {
 public:
  virtual ~BodyProducer() = default;

  struct Piece {
    std::string bytes;                        // may be empty
    bool last = false;                        // the body ends after `bytes`
    std::chrono::milliseconds next_in{1000};  // when to call Next() again
  };
  virtual Piece Next() = 0;
  // The server is stopping: the body's last bytes.
  virtual std::string Stop() { return {}; }
};

// One parsed request. `target` is the raw request-target (path and query).
// The body is in `body`, or was handed to `sink` when the body plan had one.
struct Request {
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
  std::shared_ptr<BodySink> sink;
  // False when the sink refused part of the body (the rest was not read).
  bool body_complete = true;
  // The peer's IP address ("" when unknown).
  std::string remote_address;
  // It arrived on an address added with Server::AddListener (a Docker
  // network's gateway, where tasks reach Berth), not on the main one.
  bool added_listener = false;
  // The port of Berth's it arrived on (0 when unknown).
  uint16_t local_port = 0;

  std::string_view Path() const;
  // The query string without '?', empty when there is none.
  std::string_view Query() const;
};

// One response to send. `operation` names what was served, for the access
// log (e.g. "ecs.RegisterTaskDefinition"); it is not sent.
struct Response {
  unsigned status = 200;
  // The status line's reason phrase; the standard one for `status` when empty.
  // Clients that print only the status line (docker for a 5xx) show it.
  std::string reason;
  Headers headers;
  std::string body;
  std::string operation;
  // Something a client repeats on a timer (a page polling): the access log
  // records it at debug level, not info, so that it does not drown the rest.
  bool routine = false;
  // Close the connection after this response (e.g. when the request body
  // could not be read completely).
  bool close = false;
  // When set, the body is this file region instead of `body` (sent with
  // sendfile, never read into memory).
  std::optional<FileRegion> file;
  // For HEAD: the Content-Length to announce without sending a body.
  std::optional<uint64_t> head_length;
  // When set, the body is streamed from this producer instead of `body`
  // (see BodyProducer), and the connection closes after it.
  std::shared_ptr<BodyProducer> producer;
  // When set, the response waits for the writes behind it to be durable
  // (group commit): the session first lets the other requests that are
  // ready run, so that they join the same commit, then calls this, which
  // commits if no one has yet and may replace the response (with an error
  // when the commit failed). Called once, from the session's thread.
  std::function<void(Response&)> before_send;
};

// Case-insensitive ASCII comparison, as HTTP field names need.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace berth::http
