#pragma once

// ECS's awslogs log driver, as Berth honours it (reference cloudwatch-logs.md
// §10, ecs-semantics.md §2.7). Two pure parts:
//   - AwslogsFor: what a container definition's logConfiguration says —
//     where the output goes (account, region, group, stream), whether the
//     group may be created, how lines group into events — and the Docker
//     log options ECS reports for the container (the task metadata
//     endpoint's LogDriver "awslogs" and LogOptions, with the computed
//     awslogs-stream).
//   - EventAssembler / GroupLines: lines of output → CloudWatch Logs events,
//     by the rules of Docker's awslogs driver (§10.4–10.5).
// The container itself runs with Docker's json-file driver; log_collector.h
// reads its output back and stores the events.
//
// Thread-safety: pure functions; an EventAssembler belongs to one thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/reconciler/log_sink.h"

namespace berth::reconciler {

// The largest event Docker's awslogs driver sends: 256 KiB less the 26
// bytes PutLogEvents counts per event (262,118). Longer lines are cut.
inline constexpr size_t kMaxEventBytes = 262144 - 26;

// Options the awslogs driver refuses, with Docker's message (what creating
// the container would fail with).
class AwslogsOptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What awslogs needs to know of the task.
struct AwslogsTask {
  std::string account_id;
  std::string region;   // the task's; awslogs-region overrides it
  std::string task_id;  // the last part of the task ARN
};

// One container's awslogs settings.
struct AwslogsSettings {
  // Where its events go. The stream is "<awslogs-stream-prefix>/<container
  // name>/<task id>"; without a prefix, awslogs-stream, else the Docker
  // container id (Docker's default, so empty until the container exists).
  LogDestination destination;
  bool create_group = false;  // awslogs-create-group, read as Go's ParseBool
  // The regular expression (ECMAScript) a line matches anywhere to start a
  // new event; empty: every line is an event. awslogs-datetime-format is
  // turned into one as Docker does.
  std::string multiline_pattern;
  // How long a multiline event may wait for its next line
  // (awslogs-force-flush-interval-seconds, 5 s).
  std::chrono::seconds flush_interval{5};
  // What ECS reports as the container's LogOptions: the options given,
  // less awslogs-stream-prefix, with awslogs-region and the computed
  // awslogs-stream.
  std::map<std::string, std::string> docker_options;
};

// The awslogs settings of `definition` (one containerDefinitions entry;
// container overrides cannot change a log configuration), or nullopt when
// its logDriver is not awslogs. `container_id` is the Docker container's
// id ("" before it exists). Throws AwslogsOptionError for options Docker's
// driver refuses (unknown ones, no awslogs-group, awslogs-datetime-format
// together with awslogs-multiline-pattern, a pattern that does not compile,
// bad booleans, numbers or mode).
std::optional<AwslogsSettings> AwslogsFor(const nlohmann::json& definition, const AwslogsTask& task,
                                          const std::string& container_id = "");

// awslogs-datetime-format as the regular expression Docker's driver makes
// of it: each strftime sequence (%a %A %w %d %b %B %m %Y %y %H %I %p %M %S
// %f %z %Z %j %L) becomes a fixed sub-expression, any other "%x" nothing,
// the rest stays (as regular expression text).
std::string DatetimeFormatPattern(const std::string& format);

// The size of `text` once CloudWatch Logs has replaced each byte that is
// not valid UTF-8 by U+FFFD (3 bytes), as Docker's driver measures events.
size_t EffectiveLength(std::string_view text);

// Turns one container's lines into events as Docker's awslogs driver does:
//   - without a multiline pattern, each line is an event, and an empty line
//     none;
//   - with one, a line matching it (anywhere) starts a new event and other
//     lines join the current one; every line keeps its newline, so events
//     end with "\n"; an event is also cut before it would pass
//     kMaxEventBytes;
//   - an event takes the timestamp of its first line, and one longer than
//     kMaxEventBytes is cut into several (never inside a UTF-8 character).
class EventAssembler {
 public:
  // `multiline` (may be null) must outlive the assembler.
  explicit EventAssembler(const std::regex* multiline) : multiline_(multiline) {}

  // Takes the next line (at most kMaxEventBytes, without its newline) and
  // appends the events it completes to `out`. Returns true when the line
  // begins the event now held back (multiline only).
  bool Add(std::string_view line, int64_t timestamp_ms, std::vector<LogEvent>& out);
  // Ends the event held back, if any (the stream ended, or it waited long
  // enough).
  void Flush(std::vector<LogEvent>& out);
  // Whether an event is held back for more lines.
  bool Holding() const { return !buffer_.empty(); }

 private:
  const std::regex* multiline_;
  std::string buffer_;  // the held event
  size_t buffer_effective_ = 0;
  int64_t buffer_timestamp_ms_ = 0;
};

// A line of output and when Docker read it.
struct TimedLine {
  std::string text;
  int64_t timestamp_ms = 0;
};

// All of `lines` through one EventAssembler (then flushed); an empty
// pattern means none. Throws std::regex_error for a bad pattern.
std::vector<LogEvent> GroupLines(const std::vector<TimedLine>& lines,
                                 const std::string& multiline_pattern);

}  // namespace berth::reconciler
