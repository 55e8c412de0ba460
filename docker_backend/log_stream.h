#pragma once

// The body of Docker's logs endpoint (GET /containers/{id}/logs with
// timestamps=1, reference docker-engine-api.md §3.6) turned back into the
// messages Docker stored, as LogLines. Bytes arrive in chunks of any size
// (libcurl's), so a frame or a line may be cut anywhere.
//   - Without a TTY the body is frames: an 8-byte header (stream 1 stdout,
//     2 stderr, 3 an error of the daemon's; three zero bytes; a big-endian
//     32-bit length) and the payload. Each frame is one message:
//     "<RFC 3339 time> <text>" ending in "\n", except a partial one.
//   - With a TTY the body is the raw text of all messages, one after the
//     other, all stdout. A message ends at its "\n"; a partial one (Docker
//     cuts lines at exactly 16 KiB) is recognised by the next message's
//     timestamp right after its 16,384th byte.
//
// Thread-safety: one parser per stream, used by one thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "docker_backend/types.h"

namespace berth::docker {

// How many bytes of a line Docker's log copier stores as one message
// (daemon/logger/copier.go, defaultBufSize).
inline constexpr size_t kDockerLogChunkBytes = 16 * 1024;

// "2026-01-01T00:00:00.123456789Z" (RFC 3339 with any fraction, "Z" or an
// offset "+hh:mm") in Unix nanoseconds; nullopt when it is not one.
std::optional<int64_t> ParseRfc3339Nanos(std::string_view text);

// The value of the logs endpoint's `since` for an instant: Unix seconds and
// nanoseconds, "1795834118.076719851".
std::string SinceParameter(int64_t unix_nanos);

class LogStreamParser {
 public:
  // `on_line` must outlive the parser.
  LogStreamParser(bool tty, const std::function<void(const LogLine&)>& on_line);

  // Takes the next bytes of the body and delivers every message they
  // complete. Throws DockerError(500, <the daemon's text>) for an error frame
  // (stream 3) and DockerError(500, ...) for bytes that are not frames.
  void Feed(std::string_view bytes);
  // At the end of the body: delivers a last TTY message that had no newline
  // (as partial). Throws DockerError(500) when a frame was cut short.
  void Finish();

 private:
  void ParseFrames();
  void ParseRaw(bool at_end);
  // Delivers "<time> <text>[\n]".
  void Deliver(std::string_view message, LogSource source, bool partial);

  bool tty_;
  const std::function<void(const LogLine&)>& on_line_;
  std::string buffer_;
  size_t start_ = 0;  // bytes of buffer_ already consumed
};

}  // namespace berth::docker
