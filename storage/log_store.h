#pragma once

// CloudWatch Logs state: log groups (per account and region), their streams,
// the events of those streams, and the cursors of the container log
// collector. One typed function per query; absence is an empty optional and
// AWS error names are unknown here. Times are epoch milliseconds.
//
// Events are ordered by (timestamp, seq), `seq` being the insertion order; an
// EventPosition names a place in that order. Writers that must be atomic
// (events + stream times + group size, events + collector cursor) run their
// calls inside one Tx of their own.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

// A log group of some partition.
struct LogGroupRecord {
  int64_t id = 0;
  std::string name;
  int64_t created_at = 0;
  std::optional<int64_t> retention_days;  // nullopt: never expire
  std::optional<std::string> kms_key_id;
  std::string log_group_class;  // STANDARD, INFREQUENT_ACCESS, DELIVERY
  bool deletion_protection = false;
  int64_t stored_bytes = 0;  // UTF-8 bytes of the stored messages
};

// A log stream of a group.
struct LogStreamRecord {
  int64_t id = 0;
  int64_t group_id = 0;
  std::string name;
  int64_t created_at = 0;
  // Unset until the first event arrives.
  std::optional<int64_t> first_event_at;
  std::optional<int64_t> last_event_at;
  std::optional<int64_t> last_ingestion_at;
  std::optional<std::string> sequence_token;
};

// A stored event; `seq` is its insertion order.
struct LogEventRecord {
  int64_t seq = 0;
  int64_t stream_id = 0;
  int64_t timestamp = 0;
  int64_t ingestion_time = 0;
  std::string message;
};

// An event to append; `message` must outlive the call.
struct NewLogEvent {
  int64_t timestamp = 0;
  std::string_view message;
};

// A place in the (timestamp, seq) order of events. {t, 0} lies before every
// event stamped t (seqs start at 1).
struct EventPosition {
  int64_t timestamp = 0;
  int64_t seq = 0;
  auto operator<=>(const EventPosition&) const = default;
};

// Which events a read may see: timestamp in [from, to).
struct EventWindow {
  int64_t from = 0;
  int64_t to = INT64_MAX;
};

// How DescribeLogStreams orders streams.
enum class StreamOrder { kName, kLastEventTime };

// Where a stream listing resumes: after the stream with this name (and, for
// kLastEventTime, this last event time; nullopt for a stream without events).
struct StreamCursor {
  std::optional<int64_t> last_event_at;
  std::string name;
};

class LogStore {
 public:
  explicit LogStore(Db& db) : db_(db) {}

  // --- Groups ---------------------------------------------------------------
  // Inserts the group and returns its id, or nullopt when the name is taken in
  // the partition.
  std::optional<int64_t> InsertGroup(const Partition& partition, const LogGroupRecord& group);
  std::optional<LogGroupRecord> FindGroup(const Partition& partition, std::string_view name);
  // Groups ordered by name (byte order), names after `after` (exclusive)
  // that start with `prefix`, at most `limit`.
  std::vector<LogGroupRecord> ListGroups(const Partition& partition, std::string_view prefix,
                                         std::string_view after, size_t limit);
  void SetRetention(int64_t group_id, std::optional<int64_t> days);
  // Deletes the group with its streams and events.
  void DeleteGroup(int64_t group_id);

  // --- Streams --------------------------------------------------------------
  // Inserts the stream and returns its id, or nullopt when the name is taken
  // in the group.
  std::optional<int64_t> InsertStream(int64_t group_id, std::string_view name, int64_t created_at);
  std::optional<LogStreamRecord> FindStream(int64_t group_id, std::string_view name);
  // The group's streams whose names start with `prefix`, in `order`
  // (ascending or descending; ties and kName by name), resuming after
  // `after`, at most `limit`.
  std::vector<LogStreamRecord> ListStreams(int64_t group_id, StreamOrder order, bool descending,
                                           std::string_view prefix,
                                           const std::optional<StreamCursor>& after, size_t limit);
  // Deletes the stream and its events (the group's size shrinks with them).
  void DeleteStream(int64_t group_id, int64_t stream_id);

  // --- Events ---------------------------------------------------------------
  // Appends `events` (in order) to the stream with one prepared statement,
  // then moves the stream's first/last event times, last ingestion time and
  // sequence token, and grows the group's stored size. Call inside a Tx.
  void AppendEvents(int64_t group_id, int64_t stream_id, std::span<const NewLogEvent> events,
                    int64_t ingestion_time, std::string_view sequence_token);
  // One page of a stream's events in `window`, ascending. Forward: the first
  // events at or after `from`; backward: the last events before `from`. Stops
  // at `limit` events or before the page's messages (plus `overhead` bytes
  // each) would pass `max_bytes` (the first event always counts).
  std::vector<LogEventRecord> StreamPage(int64_t stream_id, const EventWindow& window,
                                         EventPosition from, bool forward, size_t limit,
                                         size_t max_bytes, size_t overhead);
  // Calls `visit` for the group's events in `window` after `after`
  // (exclusive), in (timestamp, seq) order, until it returns false.
  void ScanGroupEvents(int64_t group_id, const EventWindow& window, EventPosition after,
                       const std::function<bool(const LogEventRecord&)>& visit);
  // Deletes the events older than their group's retention at `now` (ms) in
  // every partition; returns how many went.
  int64_t PurgeExpiredEvents(int64_t now);

  // --- Collector cursors ----------------------------------------------------
  std::optional<std::string> Cursor(std::string_view key);
  void SetCursor(std::string_view key, std::string_view cursor);
  void ForgetCursor(std::string_view key);
  // Every key a cursor is stored under.
  std::vector<std::string> CursorKeys();

 private:
  Db& db_;
};

}  // namespace berth::storage
