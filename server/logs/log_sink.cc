// LogService as the awslogs destination of task containers
// (reconciler::LogSink): what the Docker awslogs driver does with
// CreateLogGroup / CreateLogStream / PutLogEvents, done in process, with the
// collector's cursor stored in the same transaction as its events.

#include <vector>

#include "server/logs/log_service.h"

namespace berth::logs {
namespace {

using storage::LogStore;

// How ECS (Fargate platform 1.4) words a task whose log group is missing or
// cannot be created; `error` is the Logs API error the driver got.
std::string InitializationError(const std::string& error) {
  return "ResourceInitializationError: failed to validate logger args: create stream has been "
         "retried 1 times: failed to create Cloudwatch log stream: " +
         error + " : exit status 1";
}

std::string InvalidNameError(std::string_view member, std::string_view value,
                             std::string_view pattern) {
  return "InvalidParameterException: 1 validation error detected: Value '" + std::string(value) +
         "' at '" + std::string(member) +
         "' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
         std::string(pattern);
}

}  // namespace

std::optional<std::string> LogService::Prepare(const reconciler::LogDestination& destination,
                                               bool create_group) {
  if (!IsLogGroupName(destination.group)) {
    return InitializationError(
        InvalidNameError("logGroupName", destination.group, "[\\.\\-_/#A-Za-z0-9]+"));
  }
  if (!IsLogStreamName(destination.stream)) {
    return InitializationError(InvalidNameError("logStreamName", destination.stream, "[^:*]*"));
  }
  const storage::Partition partition{destination.account_id, destination.region};
  const int64_t now = Millis(clock_.Now());
  auto lease = database_.Acquire();
  LogStore store(lease.db());
  storage::Tx tx(lease.db());
  auto group = store.FindGroup(partition, destination.group);
  if (!group) {
    if (!create_group) {
      return InitializationError(
          "ResourceNotFoundException: The specified log group does not exist.");
    }
    if (destination.group.starts_with("aws/")) {
      return InitializationError(
          "InvalidParameterException: Log group names cannot start with 'aws/'.");
    }
    storage::LogGroupRecord record;
    record.name = destination.group;
    record.created_at = now;
    record.log_group_class = "STANDARD";
    store.InsertGroup(partition, record);
    group = store.FindGroup(partition, destination.group);
  }
  store.InsertStream(group->id, destination.stream, now);  // an existing stream is fine
  tx.Commit();
  return std::nullopt;
}

void LogService::Append(const reconciler::LogDestination& destination,
                        const std::string& collector_key,
                        const std::vector<reconciler::LogEvent>& events,
                        const std::string& cursor) {
  std::vector<storage::NewLogEvent> batch;
  batch.reserve(events.size());
  for (const auto& event : events) batch.push_back({event.timestamp_ms, event.message});
  const storage::Partition partition{destination.account_id, destination.region};
  const int64_t now = Millis(clock_.Now());

  auto lease = database_.Acquire();
  LogStore store(lease.db());
  storage::Tx tx(lease.db());
  // A group or stream deleted meanwhile drops the events, as PutLogEvents
  // would refuse them; the cursor still moves on.
  std::optional<int64_t> appended_to;  // the group id
  if (const auto group = store.FindGroup(partition, destination.group)) {
    if (const auto stream = store.FindStream(group->id, destination.stream)) {
      const int64_t counter = SequenceCounter(stream->sequence_token.value_or(""));
      store.AppendEvents(group->id, stream->id, batch, now, SequenceToken(stream->id, counter + 1));
      appended_to = group->id;
    }
  }
  store.SetCursor(collector_key, cursor);
  tx.Commit();
  if (appended_to) live_tail_hub_.Publish(*appended_to, destination.stream, batch, now);
}

std::string LogService::Cursor(const std::string& collector_key) {
  auto lease = database_.Acquire();
  return LogStore(lease.db()).Cursor(collector_key).value_or("");
}

void LogService::ForgetCursor(const std::string& collector_key) {
  auto lease = database_.Acquire();
  LogStore(lease.db()).ForgetCursor(collector_key);
}

std::vector<std::string> LogService::CursorKeys() {
  auto lease = database_.Acquire();
  return LogStore(lease.db()).CursorKeys();
}

}  // namespace berth::logs
