#pragma once

// CloudWatch Logs' rules over the stored state: log groups (retention, tags),
// streams, and their events (PutLogEvents' acceptance rules, GetLogEvents'
// and FilterLogEvents' pages), plus the awslogs sink the container log
// collector writes through. Validates what the botocore model cannot express
// and throws the Logs errors of logs_errors.h; each operation runs under one
// database lease, and every write in one transaction, so a refused request
// changes nothing. Times are epoch milliseconds. Reads never show events
// older than their group's retention; PurgeExpired deletes them.
//
// Every committed write of events is also published to the Live Tail hub,
// which passes them on to the open Live Tail sessions.
//
// Implemented in log_service.cc (groups, streams, retention), log_tags.cc,
// log_events.cc (put, get, filter), live_tail.cc (StartLiveTail) and
// log_sink.cc (reconciler::LogSink).
//
// Thread-safety: every method may be called from any thread.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/aws/request_context.h"
#include "server/logs/live_tail.h"
#include "server/logs/live_tail_hub.h"
#include "server/logs/log_names.h"
#include "server/reconciler/log_sink.h"
#include "server/util/clock.h"
#include "storage/database.h"
#include "storage/log_store.h"

namespace berth::logs {

using Context = aws::RequestContext;
using Tags = std::map<std::string, std::string>;

inline constexpr size_t kMaxTags = 50;
// The retention periods PutRetentionPolicy accepts, in days.
inline constexpr std::array<int64_t, 22> kRetentionDays = {
    1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
    365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};

// PutLogEvents' limits: a batch, an event (message bytes plus the fixed
// overhead each), and the ages it stores.
inline constexpr int64_t kEventOverheadBytes = 26;
inline constexpr int64_t kMaxBatchBytes = 1'048'576;
inline constexpr int64_t kMaxEventBytes = 1'048'576;
inline constexpr int64_t kMillisPerHour = 3'600'000;
inline constexpr int64_t kMillisPerDay = 24 * kMillisPerHour;
inline constexpr int64_t kMaxFutureMillis = 2 * kMillisPerHour;
inline constexpr int64_t kMaxAgeMillis = 14 * kMillisPerDay;
inline constexpr int64_t kMaxBatchSpanMillis = 24 * kMillisPerHour;
// GetLogEvents / FilterLogEvents pages: at most this many message bytes
// (plus the overhead each), and FilterLogEvents looks at most at this many
// events per call (a page may then be short, with a nextToken).
inline constexpr size_t kMaxPageBytes = 1'048'576;
inline constexpr size_t kFilterScanBudget = 200'000;

// CreateLogGroup's input.
struct GroupSpec {
  std::string name;
  std::optional<std::string> kms_key_id;
  std::string log_group_class = "STANDARD";
  bool deletion_protection = false;
  Tags tags;
};

// A stored group and the account and region it belongs to.
struct LogGroup {
  storage::Partition partition;
  storage::LogGroupRecord record;
};

// DescribeLogGroups' filters (all optional; ANDed).
struct DescribeGroupsQuery {
  std::optional<std::string> prefix;
  std::optional<std::string> pattern;    // case-sensitive substring
  std::vector<std::string> identifiers;  // names or ARNs
  std::optional<std::string> log_group_class;
  size_t limit = 50;
  std::optional<std::string> next_token;
};

// ListLogGroups' filters.
struct ListGroupsQuery {
  std::optional<std::string> pattern;  // "^pre|sub|..." as the model allows
  std::optional<std::string> log_group_class;
  // (key, values): the group has the key, with one of the values if any.
  std::vector<std::pair<std::string, std::vector<std::string>>> tag_filters;
  // Data sources and field indexes (Berth's groups have none).
  bool requires_data_source_or_index = false;
  size_t limit = 50;
  std::optional<std::string> next_token;
};

// One page of a listing; `next_token` is absent on the last.
template <class T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_token;
};

// DescribeLogStreams' input; the group as a name or identifier.
struct DescribeStreamsQuery {
  GroupRef group;
  std::optional<std::string> prefix;
  storage::StreamOrder order = storage::StreamOrder::kName;
  bool descending = false;
  size_t limit = 50;
  std::optional<std::string> next_token;
};

// One PutLogEvents event (message bytes as sent).
struct InputEvent {
  int64_t timestamp = 0;
  std::string message;
};

// PutLogEvents' reply: rejected events are a prefix (too old / expired) and a
// suffix (too new) of the batch.
struct PutResult {
  std::string next_sequence_token;
  std::optional<int64_t> too_new_start;
  std::optional<int64_t> too_old_end;
  std::optional<int64_t> expired_end;
};

// GetLogEvents' input.
struct GetEventsQuery {
  GroupRef group;
  std::string stream;
  std::optional<int64_t> start_time;  // inclusive
  std::optional<int64_t> end_time;    // exclusive
  size_t limit = 10'000;
  bool start_from_head = false;
  std::optional<std::string> next_token;
};

// GetLogEvents' reply; both tokens always set.
struct GetEventsPage {
  std::vector<storage::LogEventRecord> events;  // ascending
  std::string next_forward_token;
  std::string next_backward_token;
};

// FilterLogEvents' input.
struct FilterEventsQuery {
  GroupRef group;
  std::vector<std::string> stream_names;  // empty: every stream
  std::optional<std::string> stream_prefix;
  std::optional<int64_t> start_time;  // inclusive
  std::optional<int64_t> end_time;    // inclusive
  std::string filter_pattern;
  size_t limit = 10'000;
  std::optional<std::string> next_token;
};

// One FilterLogEvents event and the stream it is in.
struct FilteredEvent {
  std::string stream;
  storage::LogEventRecord event;
};

class LogService final : public reconciler::LogSink {
 public:
  LogService(storage::Database& database, const Clock& clock);

  // --- Groups (log_service.cc) ------------------------------------------------
  void CreateLogGroup(const Context& context, const GroupSpec& spec);
  void DeleteLogGroup(const Context& context, const std::string& name);
  Page<LogGroup> DescribeLogGroups(const Context& context, const DescribeGroupsQuery& query);
  Page<LogGroup> ListLogGroups(const Context& context, const ListGroupsQuery& query);
  void PutRetentionPolicy(const Context& context, const std::string& name, int64_t days);
  void DeleteRetentionPolicy(const Context& context, const std::string& name);

  // --- Streams (log_service.cc) -----------------------------------------------
  void CreateLogStream(const Context& context, const std::string& group, const std::string& stream);
  void DeleteLogStream(const Context& context, const std::string& group, const std::string& stream);
  Page<storage::LogStreamRecord> DescribeLogStreams(const Context& context,
                                                    const DescribeStreamsQuery& query);

  // --- Tags (log_tags.cc): by group ARN (no ":*") or, legacy, by name --------
  Tags ListTagsForResource(const Context& context, const std::string& arn);
  void TagResource(const Context& context, const std::string& arn, const Tags& tags);
  void UntagResource(const Context& context, const std::string& arn,
                     const std::vector<std::string>& keys);
  Tags ListTagsLogGroup(const Context& context, const std::string& group);
  void TagLogGroup(const Context& context, const std::string& group, const Tags& tags);
  void UntagLogGroup(const Context& context, const std::string& group,
                     const std::vector<std::string>& keys);

  // --- Events (log_events.cc) ---------------------------------------------------
  PutResult PutLogEvents(const Context& context, const std::string& group,
                         const std::string& stream, const std::vector<InputEvent>& events);
  GetEventsPage GetLogEvents(const Context& context, const GetEventsQuery& query);
  Page<FilteredEvent> FilterLogEvents(const Context& context, const FilterEventsQuery& query);

  // Deletes events older than their group's retention; returns how many.
  int64_t PurgeExpired();

  // --- Live Tail (live_tail.cc) -------------------------------------------------
  // Checks the input and opens a session that hears of every event committed
  // from now on. Throws the Logs errors (before any stream byte is sent).
  std::unique_ptr<LiveTailSession> StartLiveTail(const Context& context,
                                                 const LiveTailQuery& query);
  // Set before serving (tests shorten the timeout and the interval).
  void SetLiveTailOptions(const LiveTailOptions& options) { live_tail_options_ = options; }
  LiveTailHub& live_tail_hub() { return live_tail_hub_; }

  // --- reconciler::LogSink (log_sink.cc) ----------------------------------------
  std::optional<std::string> Prepare(const reconciler::LogDestination& destination,
                                     bool create_group) override;
  void Append(const reconciler::LogDestination& destination, const std::string& collector_key,
              const std::vector<reconciler::LogEvent>& events, const std::string& cursor) override;
  std::string Cursor(const std::string& collector_key) override;
  void ForgetCursor(const std::string& collector_key) override;
  std::vector<std::string> CursorKeys() override;

  // Milliseconds since the epoch of a request's (or the clock's) instant.
  static int64_t Millis(double seconds);

 private:
  storage::Database& database_;
  const Clock& clock_;
  LiveTailHub live_tail_hub_;
  LiveTailOptions live_tail_options_;
};

// The group `ref` names, or LogGroupNotFound. For the service's .cc files.
LogGroup RequireGroup(storage::Db& db, const GroupRef& ref);
// Events before this instant are past `group`'s retention at `now` (ms).
int64_t RetentionCutoff(const storage::LogGroupRecord& group, int64_t now);

}  // namespace berth::logs
