#pragma once

// Where the awslogs output of task containers goes: Berth's CloudWatch Logs
// (implemented by logs::LogService; the reconciler only sees this interface,
// so it does not depend on the Logs API). The collector (log_collector.h)
// reads a container's stdout/stderr through the Docker Engine API and hands
// the events here, each batch together with the position it reached, so a
// restarted Berth resumes exactly where the stored events end.
//
// Thread-safety: implementations are called from several collector threads
// at once.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::reconciler {

// A CloudWatch Logs stream in an account and region.
struct LogDestination {
  std::string account_id;
  std::string region;
  std::string group;
  std::string stream;
};

// One event as the awslogs driver would send it.
struct LogEvent {
  int64_t timestamp_ms = 0;  // Docker's timestamp of the (first) line
  std::string message;       // without the trailing newline
};

class LogSink {
 public:
  virtual ~LogSink() = default;

  // Makes sure the group (created when `create_group`) and the stream exist.
  // Returns nullopt when they do, else the reason the container cannot
  // start (the group does not exist and may not be created), in ECS's words.
  virtual std::optional<std::string> Prepare(const LogDestination& destination,
                                             bool create_group) = 0;

  // Appends `events` (in order) to the stream and stores `cursor` under
  // `collector_key` in the same transaction, so events and position never
  // disagree. A missing group or stream (deleted meanwhile) drops the events
  // but still stores the cursor.
  virtual void Append(const LogDestination& destination, const std::string& collector_key,
                      const std::vector<LogEvent>& events, const std::string& cursor) = 0;

  // The cursor last stored under `collector_key`; empty when none.
  virtual std::string Cursor(const std::string& collector_key) = 0;

  // Forgets the cursor (the container is gone).
  virtual void ForgetCursor(const std::string& collector_key) = 0;

  // Every key a cursor is stored under.
  virtual std::vector<std::string> CursorKeys() = 0;
};

}  // namespace berth::reconciler
