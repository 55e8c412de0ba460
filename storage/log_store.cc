#include "storage/log_store.h"

#include <algorithm>

namespace berth::storage {
namespace {

constexpr int64_t kMillisPerDay = 86'400'000;

constexpr std::string_view kGroupColumns =
    "id, name, created_at, retention_days, kms_key_id, log_group_class, deletion_protection, "
    "stored_bytes";

constexpr std::string_view kStreamColumns =
    "id, group_id, name, created_at, first_event_at, last_event_at, last_ingestion_at, "
    "sequence_token";

LogGroupRecord ReadGroup(const Stmt& stmt) {
  LogGroupRecord g;
  g.id = stmt.ColumnInt(0);
  g.name = stmt.ColumnText(1);
  g.created_at = stmt.ColumnInt(2);
  g.retention_days = stmt.ColumnOptionalInt(3);
  g.kms_key_id = stmt.ColumnOptionalText(4);
  g.log_group_class = stmt.ColumnText(5);
  g.deletion_protection = stmt.ColumnBool(6);
  g.stored_bytes = stmt.ColumnInt(7);
  return g;
}

LogStreamRecord ReadStream(const Stmt& stmt) {
  LogStreamRecord s;
  s.id = stmt.ColumnInt(0);
  s.group_id = stmt.ColumnInt(1);
  s.name = stmt.ColumnText(2);
  s.created_at = stmt.ColumnInt(3);
  s.first_event_at = stmt.ColumnOptionalInt(4);
  s.last_event_at = stmt.ColumnOptionalInt(5);
  s.last_ingestion_at = stmt.ColumnOptionalInt(6);
  s.sequence_token = stmt.ColumnOptionalText(7);
  return s;
}

LogEventRecord ReadEvent(const Stmt& stmt) {
  return {stmt.ColumnInt(0), stmt.ColumnInt(1), stmt.ColumnInt(2), stmt.ColumnInt(3),
          stmt.ColumnText(4)};
}

// The UTF-8 bytes of the messages of the events `where` selects (`?1` bound
// to `id`).
int64_t MessageBytes(Db& db, std::string_view where, int64_t id) {
  Stmt stmt(db, "SELECT COALESCE(SUM(length(CAST(message AS BLOB))), 0) FROM log_events WHERE " +
                    std::string(where));
  stmt.Bind(1, id);
  return stmt.Step() ? stmt.ColumnInt(0) : 0;
}

void GrowGroup(Db& db, int64_t group_id, int64_t bytes) {
  if (bytes == 0) return;
  Stmt stmt(db, "UPDATE log_groups SET stored_bytes = MAX(stored_bytes + ?2, 0) WHERE id = ?1");
  stmt.Bind(1, group_id).Bind(2, bytes);
  stmt.Run();
}

}  // namespace

// --- Groups -----------------------------------------------------------------

std::optional<int64_t> LogStore::InsertGroup(const Partition& partition, const LogGroupRecord& g) {
  Stmt stmt(db_, R"sql(
    INSERT INTO log_groups (account_id, region, name, created_at, retention_days, kms_key_id,
                            log_group_class, deletion_protection, stored_bytes)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)
    ON CONFLICT (account_id, region, name) DO NOTHING)sql");
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, g.name);
  stmt.Bind(4, g.created_at).Bind(5, g.retention_days).Bind(6, g.kms_key_id);
  stmt.Bind(7, g.log_group_class).BindBool(8, g.deletion_protection);
  stmt.Run();
  if (db_.Changes() == 0) return std::nullopt;
  return db_.LastInsertRowId();
}

std::optional<LogGroupRecord> LogStore::FindGroup(const Partition& partition,
                                                  std::string_view name) {
  Stmt stmt(db_, "SELECT " + std::string(kGroupColumns) +
                     " FROM log_groups WHERE account_id = ?1 AND region = ?2 AND name = ?3");
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, name);
  if (!stmt.Step()) return std::nullopt;
  return ReadGroup(stmt);
}

std::vector<LogGroupRecord> LogStore::ListGroups(const Partition& partition,
                                                 std::string_view prefix, std::string_view after,
                                                 size_t limit) {
  Stmt stmt(db_, "SELECT " + std::string(kGroupColumns) + R"sql(
    FROM log_groups
    WHERE account_id = ?1 AND region = ?2 AND name > ?3 AND substr(name, 1, length(?4)) = ?4
    ORDER BY name LIMIT ?5)sql");
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, after).Bind(4, prefix);
  stmt.Bind(5, static_cast<int64_t>(limit));
  std::vector<LogGroupRecord> groups;
  while (stmt.Step()) groups.push_back(ReadGroup(stmt));
  return groups;
}

void LogStore::SetRetention(int64_t group_id, std::optional<int64_t> days) {
  Stmt stmt(db_, "UPDATE log_groups SET retention_days = ?2 WHERE id = ?1");
  stmt.Bind(1, group_id).Bind(2, days);
  stmt.Run();
}

void LogStore::DeleteGroup(int64_t group_id) {
  for (const char* sql :
       {"DELETE FROM log_events WHERE group_id = ?1", "DELETE FROM log_streams WHERE group_id = ?1",
        "DELETE FROM log_groups WHERE id = ?1"}) {
    Stmt stmt(db_, sql);
    stmt.Bind(1, group_id);
    stmt.Run();
  }
}

// --- Streams ----------------------------------------------------------------

std::optional<int64_t> LogStore::InsertStream(int64_t group_id, std::string_view name,
                                              int64_t created_at) {
  Stmt stmt(db_, R"sql(
    INSERT INTO log_streams (group_id, name, created_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (group_id, name) DO NOTHING)sql");
  stmt.Bind(1, group_id).Bind(2, name).Bind(3, created_at);
  stmt.Run();
  if (db_.Changes() == 0) return std::nullopt;
  return db_.LastInsertRowId();
}

std::optional<LogStreamRecord> LogStore::FindStream(int64_t group_id, std::string_view name) {
  Stmt stmt(db_, "SELECT " + std::string(kStreamColumns) +
                     " FROM log_streams WHERE group_id = ?1 AND name = ?2");
  stmt.Bind(1, group_id).Bind(2, name);
  if (!stmt.Step()) return std::nullopt;
  return ReadStream(stmt);
}

std::vector<LogStreamRecord> LogStore::ListStreams(int64_t group_id, StreamOrder order,
                                                   bool descending, std::string_view prefix,
                                                   const std::optional<StreamCursor>& after,
                                                   size_t limit) {
  // A stream without events sorts as if its last event were at -1 (first
  // when ascending), exactly as SQLite orders NULLs.
  const std::string op = descending ? "<" : ">";
  const std::string dir = descending ? " DESC" : "";
  std::string sql = "SELECT " + std::string(kStreamColumns) +
                    " FROM log_streams WHERE group_id = ?1 AND substr(name, 1, length(?2)) = ?2";
  if (after) {
    sql += order == StreamOrder::kName
               ? " AND name " + op + " ?4"
               : " AND (COALESCE(last_event_at, -1) " + op +
                     " ?3 OR (COALESCE(last_event_at, -1) = ?3 AND name " + op + " ?4))";
  }
  sql += order == StreamOrder::kName ? " ORDER BY name" + dir
                                     : " ORDER BY last_event_at" + dir + ", name" + dir;
  sql += " LIMIT ?5";
  Stmt stmt(db_, sql);
  stmt.Bind(1, group_id).Bind(2, prefix);
  if (after) stmt.Bind(3, after->last_event_at.value_or(-1)).Bind(4, after->name);
  stmt.Bind(5, static_cast<int64_t>(limit));
  std::vector<LogStreamRecord> streams;
  while (stmt.Step()) streams.push_back(ReadStream(stmt));
  return streams;
}

void LogStore::DeleteStream(int64_t group_id, int64_t stream_id) {
  GrowGroup(db_, group_id, -MessageBytes(db_, "stream_id = ?1", stream_id));
  for (const char* sql :
       {"DELETE FROM log_events WHERE stream_id = ?1", "DELETE FROM log_streams WHERE id = ?1"}) {
    Stmt stmt(db_, sql);
    stmt.Bind(1, stream_id);
    stmt.Run();
  }
}

// --- Events -----------------------------------------------------------------

void LogStore::AppendEvents(int64_t group_id, int64_t stream_id,
                            std::span<const NewLogEvent> events, int64_t ingestion_time,
                            std::string_view sequence_token) {
  if (events.empty()) return;
  int64_t bytes = 0;
  int64_t first = events.front().timestamp;
  int64_t last = first;
  {
    Stmt insert(db_, R"sql(
      INSERT INTO log_events (group_id, stream_id, timestamp, ingestion_time, message)
      VALUES (?1, ?2, ?3, ?4, ?5))sql");
    for (const NewLogEvent& event : events) {
      insert.Bind(1, group_id).Bind(2, stream_id).Bind(3, event.timestamp);
      insert.Bind(4, ingestion_time).Bind(5, event.message);
      insert.Run();
      insert.Reset();
      bytes += static_cast<int64_t>(event.message.size());
      first = std::min(first, event.timestamp);
      last = std::max(last, event.timestamp);
    }
  }
  Stmt stream(db_, R"sql(
    UPDATE log_streams
    SET first_event_at = MIN(COALESCE(first_event_at, ?2), ?2),
        last_event_at = MAX(COALESCE(last_event_at, ?3), ?3),
        last_ingestion_at = ?4, sequence_token = ?5
    WHERE id = ?1)sql");
  stream.Bind(1, stream_id).Bind(2, first).Bind(3, last).Bind(4, ingestion_time);
  stream.Bind(5, sequence_token);
  stream.Run();
  GrowGroup(db_, group_id, bytes);
}

std::vector<LogEventRecord> LogStore::StreamPage(int64_t stream_id, const EventWindow& window,
                                                 EventPosition from, bool forward, size_t limit,
                                                 size_t max_bytes, size_t overhead) {
  // Forward: position >= from; backward: position < from. Both as a range
  // on (stream_id, timestamp) plus a check of seq at from's own timestamp.
  std::optional<Stmt> stmt;
  if (forward) {
    stmt.emplace(db_, R"sql(
      SELECT seq, stream_id, timestamp, ingestion_time, message FROM log_events
      WHERE stream_id = ?1 AND timestamp >= ?2 AND timestamp < ?3 AND (timestamp > ?4 OR seq >= ?5)
      ORDER BY timestamp, seq LIMIT ?6)sql");
    stmt->Bind(2, std::max(window.from, from.timestamp)).Bind(3, window.to);
  } else {
    stmt.emplace(db_, R"sql(
      SELECT seq, stream_id, timestamp, ingestion_time, message FROM log_events
      WHERE stream_id = ?1 AND timestamp >= ?2 AND timestamp < ?3 AND (timestamp < ?4 OR seq < ?5)
      ORDER BY timestamp DESC, seq DESC LIMIT ?6)sql");
    // timestamp <= from.timestamp, kept inside the window's end.
    const int64_t to = from.timestamp == INT64_MAX ? INT64_MAX : from.timestamp + 1;
    stmt->Bind(2, window.from).Bind(3, std::min(window.to, to));
  }
  stmt->Bind(1, stream_id).Bind(4, from.timestamp).Bind(5, from.seq);
  stmt->Bind(6, static_cast<int64_t>(limit));
  std::vector<LogEventRecord> page;
  size_t bytes = 0;
  while (stmt->Step()) {
    LogEventRecord event = ReadEvent(*stmt);
    bytes += event.message.size() + overhead;
    if (bytes > max_bytes && !page.empty()) break;
    page.push_back(std::move(event));
  }
  if (!forward) std::reverse(page.begin(), page.end());
  return page;
}

void LogStore::ScanGroupEvents(int64_t group_id, const EventWindow& window, EventPosition after,
                               const std::function<bool(const LogEventRecord&)>& visit) {
  Stmt stmt(db_, R"sql(
    SELECT seq, stream_id, timestamp, ingestion_time, message FROM log_events
    WHERE group_id = ?1 AND timestamp >= ?2 AND timestamp < ?3 AND (timestamp > ?4 OR seq > ?5)
    ORDER BY timestamp, seq)sql");
  stmt.Bind(1, group_id).Bind(2, std::max(window.from, after.timestamp)).Bind(3, window.to);
  stmt.Bind(4, after.timestamp).Bind(5, after.seq);
  while (stmt.Step()) {
    if (!visit(ReadEvent(stmt))) return;
  }
}

int64_t LogStore::PurgeExpiredEvents(int64_t now) {
  std::vector<std::pair<int64_t, int64_t>> groups;  // (id, cutoff)
  {
    Stmt stmt(db_, "SELECT id, retention_days FROM log_groups WHERE retention_days IS NOT NULL");
    while (stmt.Step()) {
      groups.emplace_back(stmt.ColumnInt(0), now - stmt.ColumnInt(1) * kMillisPerDay);
    }
  }
  int64_t purged = 0;
  for (const auto& [group_id, cutoff] : groups) {
    Stmt bytes(db_, R"sql(
      SELECT COALESCE(SUM(length(CAST(message AS BLOB))), 0) FROM log_events
      WHERE group_id = ?1 AND timestamp < ?2)sql");
    bytes.Bind(1, group_id).Bind(2, cutoff);
    const int64_t freed = bytes.Step() ? bytes.ColumnInt(0) : 0;
    Stmt remove(db_, "DELETE FROM log_events WHERE group_id = ?1 AND timestamp < ?2");
    remove.Bind(1, group_id).Bind(2, cutoff);
    remove.Run();
    purged += db_.Changes();
    GrowGroup(db_, group_id, -freed);
  }
  return purged;
}

// --- Collector cursors --------------------------------------------------------

std::optional<std::string> LogStore::Cursor(std::string_view key) {
  Stmt stmt(db_, "SELECT cursor FROM log_collector_cursors WHERE key = ?1");
  stmt.Bind(1, key);
  if (!stmt.Step()) return std::nullopt;
  return stmt.ColumnText(0);
}

void LogStore::SetCursor(std::string_view key, std::string_view cursor) {
  Stmt stmt(db_, R"sql(
    INSERT INTO log_collector_cursors (key, cursor) VALUES (?1, ?2)
    ON CONFLICT (key) DO UPDATE SET cursor = excluded.cursor)sql");
  stmt.Bind(1, key).Bind(2, cursor);
  stmt.Run();
}

void LogStore::ForgetCursor(std::string_view key) {
  Stmt stmt(db_, "DELETE FROM log_collector_cursors WHERE key = ?1");
  stmt.Bind(1, key);
  stmt.Run();
}

std::vector<std::string> LogStore::CursorKeys() {
  Stmt stmt(db_, "SELECT key FROM log_collector_cursors ORDER BY key");
  std::vector<std::string> keys;
  while (stmt.Step()) keys.push_back(stmt.ColumnText(0));
  return keys;
}

}  // namespace berth::storage
