// LogStore on an in-memory database with every migration applied: groups per
// partition, streams and their orders, appends, pages in both directions,
// group scans, deletion, retention purges, collector cursors, and the query
// plans that keep reads on the event indexes.

#include "storage/log_store.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/database.h"

namespace berth::storage {
namespace {

class LogStoreTest : public ::testing::Test {
 protected:
  int64_t Group(const std::string& name, const Partition& partition) {
    LogGroupRecord g;
    g.name = name;
    g.created_at = 1000;
    g.log_group_class = "STANDARD";
    return *LogStore(lease_.db()).InsertGroup(partition, g);
  }
  int64_t Group(const std::string& name) { return Group(name, partition_); }

  // Appends one event per timestamp, messages "m<timestamp>".
  void Append(int64_t group, int64_t stream, const std::vector<int64_t>& timestamps,
              int64_t ingestion = 5000) {
    std::vector<std::string> messages;
    for (const int64_t t : timestamps) messages.push_back("m" + std::to_string(t));
    std::vector<NewLogEvent> events;
    for (size_t i = 0; i < timestamps.size(); ++i) events.push_back({timestamps[i], messages[i]});
    Tx tx(lease_.db());
    store_.AppendEvents(group, stream, events, ingestion, "token");
    tx.Commit();
  }

  static std::vector<int64_t> Times(const std::vector<LogEventRecord>& events) {
    std::vector<int64_t> times;
    for (const auto& e : events) times.push_back(e.timestamp);
    return times;
  }

  std::vector<std::string> Plan(const std::string& sql) {
    Stmt stmt(lease_.db(), "EXPLAIN QUERY PLAN " + sql);
    std::vector<std::string> details;
    while (stmt.Step()) details.push_back(stmt.ColumnText(3));
    return details;
  }

  Database database_{":memory:"};
  Database::Lease lease_ = database_.Acquire();
  LogStore store_{lease_.db()};
  Partition partition_{"000000000000", "us-east-1"};
};

TEST_F(LogStoreTest, GroupNamesAreUniquePerPartition) {
  Group("/app");
  LogGroupRecord again;
  again.name = "/app";
  again.log_group_class = "STANDARD";
  EXPECT_FALSE(store_.InsertGroup(partition_, again).has_value());
  EXPECT_TRUE(store_.InsertGroup({"111111111111", "us-east-1"}, again).has_value());
  EXPECT_TRUE(store_.InsertGroup({"000000000000", "eu-west-1"}, again).has_value());
  const auto found = store_.FindGroup(partition_, "/app");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->created_at, 1000);
  EXPECT_EQ(found->log_group_class, "STANDARD");
  EXPECT_FALSE(found->retention_days.has_value());
  EXPECT_FALSE(store_.FindGroup(partition_, "/other").has_value());
}

TEST_F(LogStoreTest, GroupsListInByteOrderWithPrefixAndResumeKey) {
  for (const char* name : {"b", "/a", "B", "ab", "a", "a/x"}) Group(name);
  std::vector<std::string> names;
  for (const auto& g : store_.ListGroups(partition_, "", "", 100)) names.push_back(g.name);
  EXPECT_EQ(names, (std::vector<std::string>{"/a", "B", "a", "a/x", "ab", "b"}));
  names.clear();
  for (const auto& g : store_.ListGroups(partition_, "a", "a", 100)) names.push_back(g.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a/x", "ab"}));
  EXPECT_EQ(store_.ListGroups(partition_, "", "", 2).size(), 2u);
}

TEST_F(LogStoreTest, AppendMovesStreamTimesTokenAndGroupSize) {
  const int64_t group = Group("/app");
  const int64_t stream = *store_.InsertStream(group, "s", 900);
  EXPECT_FALSE(store_.InsertStream(group, "s", 901).has_value());
  auto before = store_.FindStream(group, "s");
  ASSERT_TRUE(before.has_value());
  EXPECT_FALSE(before->first_event_at.has_value());
  EXPECT_FALSE(before->sequence_token.has_value());

  Append(group, stream, {20, 30}, 5000);
  Append(group, stream, {10, 25}, 6000);
  const auto after = store_.FindStream(group, "s");
  EXPECT_EQ(after->first_event_at, 10);
  EXPECT_EQ(after->last_event_at, 30);
  EXPECT_EQ(after->last_ingestion_at, 6000);
  EXPECT_EQ(after->sequence_token, "token");
  EXPECT_EQ(store_.FindGroup(partition_, "/app")->stored_bytes, 4 * 3);  // "m20" ...
}

TEST_F(LogStoreTest, StreamPagesGoBothWaysFromAPosition) {
  const int64_t group = Group("/app");
  const int64_t stream = *store_.InsertStream(group, "s", 0);
  Append(group, stream, {10, 20, 20, 30, 40});
  const EventWindow all;
  // Forward from the start, two at a time.
  auto page = store_.StreamPage(stream, all, {0, 0}, true, 2, 1 << 20, 26);
  EXPECT_EQ(Times(page), (std::vector<int64_t>{10, 20}));
  // Forward again from just after the last event: the tie at 20 is kept.
  page = store_.StreamPage(stream, all, {page[1].timestamp, page[1].seq + 1}, true, 2, 1 << 20, 26);
  EXPECT_EQ(Times(page), (std::vector<int64_t>{20, 30}));
  // Backward from the end: the newest two, ascending.
  page = store_.StreamPage(stream, all, {INT64_MAX, 0}, false, 2, 1 << 20, 26);
  EXPECT_EQ(Times(page), (std::vector<int64_t>{30, 40}));
  // Backward from the first of those.
  page = store_.StreamPage(stream, all, {page[0].timestamp, page[0].seq}, false, 2, 1 << 20, 26);
  EXPECT_EQ(Times(page), (std::vector<int64_t>{20, 20}));
  // The window: [20, 40).
  page = store_.StreamPage(stream, {20, 40}, {0, 0}, true, 10, 1 << 20, 26);
  EXPECT_EQ(Times(page), (std::vector<int64_t>{20, 20, 30}));
  page = store_.StreamPage(stream, {20, 40}, {INT64_MAX, 0}, false, 10, 1 << 20, 26);
  EXPECT_EQ(Times(page), (std::vector<int64_t>{20, 20, 30}));
}

TEST_F(LogStoreTest, StreamPagesStopAtTheByteBudgetButAlwaysHoldOneEvent) {
  const int64_t group = Group("/app");
  const int64_t stream = *store_.InsertStream(group, "s", 0);
  Append(group, stream, {10, 20, 30});  // 3-byte messages
  EXPECT_EQ(store_.StreamPage(stream, {}, {0, 0}, true, 10, 2 * (3 + 26), 26).size(), 2u);
  EXPECT_EQ(store_.StreamPage(stream, {}, {0, 0}, true, 10, 1, 26).size(), 1u);
  EXPECT_EQ(store_.StreamPage(stream, {}, {INT64_MAX, 0}, false, 10, 1, 26)[0].timestamp, 30);
}

TEST_F(LogStoreTest, GroupScansInterleaveStreamsByTimestampThenInsertion) {
  const int64_t group = Group("/app");
  const int64_t a = *store_.InsertStream(group, "a", 0);
  const int64_t b = *store_.InsertStream(group, "b", 0);
  const int64_t other_group = Group("/other");
  const int64_t other = *store_.InsertStream(other_group, "a", 0);
  Append(group, a, {10, 30});
  Append(group, b, {20, 30});
  Append(other_group, other, {15});
  std::vector<std::pair<int64_t, int64_t>> seen;  // (timestamp, stream)
  store_.ScanGroupEvents(group, {}, {0, 0}, [&](const LogEventRecord& e) {
    seen.emplace_back(e.timestamp, e.stream_id);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, int64_t>>{{10, a}, {20, b}, {30, a}, {30, b}}));
  // Resuming after the third event, inside a window, stopping early.
  std::vector<LogEventRecord> events;
  store_.ScanGroupEvents(group, {}, {0, 0}, [&](const LogEventRecord& e) {
    events.push_back(e);
    return true;
  });
  seen.clear();
  store_.ScanGroupEvents(group, {0, 31}, {events[2].timestamp, events[2].seq},
                         [&](const LogEventRecord& e) {
                           seen.emplace_back(e.timestamp, e.stream_id);
                           return false;
                         });
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, int64_t>>{{30, b}}));
}

TEST_F(LogStoreTest, StreamsListByNameOrLastEventTimeWithResumeCursors) {
  const int64_t group = Group("/app");
  for (const char* name : {"c", "a", "b", "idle"}) store_.InsertStream(group, name, 0);
  Append(group, store_.FindStream(group, "a")->id, {300});
  Append(group, store_.FindStream(group, "b")->id, {100});
  Append(group, store_.FindStream(group, "c")->id, {200});
  const auto names = [](const std::vector<LogStreamRecord>& streams) {
    std::vector<std::string> out;
    for (const auto& s : streams) out.push_back(s.name);
    return out;
  };
  EXPECT_EQ(names(store_.ListStreams(group, StreamOrder::kName, false, "", std::nullopt, 10)),
            (std::vector<std::string>{"a", "b", "c", "idle"}));
  EXPECT_EQ(
      names(store_.ListStreams(group, StreamOrder::kName, true, "", StreamCursor{{}, "c"}, 10)),
      (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(names(store_.ListStreams(group, StreamOrder::kName, false, "i", std::nullopt, 10)),
            (std::vector<std::string>{"idle"}));
  EXPECT_EQ(
      names(store_.ListStreams(group, StreamOrder::kLastEventTime, false, "", std::nullopt, 10)),
      (std::vector<std::string>{"idle", "b", "c", "a"}));
  EXPECT_EQ(
      names(store_.ListStreams(group, StreamOrder::kLastEventTime, true, "", std::nullopt, 10)),
      (std::vector<std::string>{"a", "c", "b", "idle"}));
  EXPECT_EQ(names(store_.ListStreams(group, StreamOrder::kLastEventTime, true, "",
                                     StreamCursor{200, "c"}, 10)),
            (std::vector<std::string>{"b", "idle"}));
  EXPECT_EQ(names(store_.ListStreams(group, StreamOrder::kLastEventTime, false, "",
                                     StreamCursor{std::nullopt, "idle"}, 10)),
            (std::vector<std::string>{"b", "c", "a"}));
}

TEST_F(LogStoreTest, DeletingAStreamShrinksItsGroupAndDeletingAGroupEmptiesIt) {
  const int64_t group = Group("/app");
  const int64_t a = *store_.InsertStream(group, "a", 0);
  const int64_t b = *store_.InsertStream(group, "b", 0);
  Append(group, a, {10, 20});
  Append(group, b, {30});
  store_.DeleteStream(group, a);
  EXPECT_FALSE(store_.FindStream(group, "a").has_value());
  EXPECT_EQ(store_.FindGroup(partition_, "/app")->stored_bytes, 3);
  EXPECT_TRUE(store_.StreamPage(a, {}, {0, 0}, true, 10, 1 << 20, 26).empty());

  store_.DeleteGroup(group);
  EXPECT_FALSE(store_.FindGroup(partition_, "/app").has_value());
  EXPECT_FALSE(store_.FindStream(group, "b").has_value());
  Stmt count(lease_.db(), "SELECT COUNT(*) FROM log_events");
  ASSERT_TRUE(count.Step());
  EXPECT_EQ(count.ColumnInt(0), 0);
}

TEST_F(LogStoreTest, PurgeDeletesOnlyEventsPastTheirGroupsRetention) {
  constexpr int64_t kDay = 86'400'000;
  const int64_t now = 100 * kDay;
  const int64_t kept = Group("/forever");
  const int64_t weekly = Group("/weekly");
  store_.SetRetention(weekly, 7);
  const int64_t s1 = *store_.InsertStream(kept, "s", 0);
  const int64_t s2 = *store_.InsertStream(weekly, "s", 0);
  Append(kept, s1, {now - 30 * kDay, now});
  Append(weekly, s2, {now - 8 * kDay, now - 7 * kDay - 1, now - 7 * kDay, now});
  Tx tx(lease_.db());
  EXPECT_EQ(store_.PurgeExpiredEvents(now), 2);
  tx.Commit();
  EXPECT_EQ(Times(store_.StreamPage(s2, {}, {0, 0}, true, 10, 1 << 20, 26)),
            (std::vector<int64_t>{now - 7 * kDay, now}));
  EXPECT_EQ(store_.StreamPage(s1, {}, {0, 0}, true, 10, 1 << 20, 26).size(), 2u);
  const std::string kept_message = "m" + std::to_string(now - 7 * kDay);
  EXPECT_EQ(store_.FindGroup(partition_, "/weekly")->stored_bytes,
            static_cast<int64_t>(kept_message.size() + ("m" + std::to_string(now)).size()));
  store_.SetRetention(weekly, std::nullopt);
  EXPECT_FALSE(store_.FindGroup(partition_, "/weekly")->retention_days.has_value());
}

TEST_F(LogStoreTest, CollectorCursorsAreSetReplacedAndForgotten) {
  EXPECT_FALSE(store_.Cursor("c1").has_value());
  store_.SetCursor("c1", "2026-01-01T00:00:00.1Z");
  store_.SetCursor("c1", "2026-01-01T00:00:00.2Z");
  store_.SetCursor("c2", "x");
  EXPECT_EQ(store_.Cursor("c1"), "2026-01-01T00:00:00.2Z");
  store_.ForgetCursor("c1");
  EXPECT_FALSE(store_.Cursor("c1").has_value());
  EXPECT_EQ(store_.Cursor("c2"), "x");
}

// GetLogEvents and FilterLogEvents read ranges of the two event indexes, in
// index order (no sort step), whichever way they go.
TEST_F(LogStoreTest, EventReadsAreIndexRangeScansWithoutSorting) {
  const auto stream_forward = Plan(
      "SELECT seq FROM log_events WHERE stream_id = 1 AND timestamp >= 5 AND timestamp < 9 "
      "AND (timestamp > 5 OR seq >= 2) ORDER BY timestamp, seq LIMIT 10");
  const auto stream_backward = Plan(
      "SELECT seq FROM log_events WHERE stream_id = 1 AND timestamp >= 5 AND timestamp < 9 "
      "AND (timestamp < 8 OR seq < 2) ORDER BY timestamp DESC, seq DESC LIMIT 10");
  const auto group = Plan(
      "SELECT seq FROM log_events WHERE group_id = 1 AND timestamp >= 5 AND timestamp < 9 "
      "AND (timestamp > 5 OR seq > 2) ORDER BY timestamp, seq");
  for (const auto& plan : {stream_forward, stream_backward, group}) {
    ASSERT_FALSE(plan.empty());
    std::string text;
    for (const auto& line : plan) text += line + "\n";
    EXPECT_EQ(text.find("TEMP B-TREE"), std::string::npos) << text;
    EXPECT_NE(text.find("INDEX log_events_by_"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace berth::storage
