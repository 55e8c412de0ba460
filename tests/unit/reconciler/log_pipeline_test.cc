// log_cursor.h and log_pipeline.h: Docker's messages → stored batches with
// cursors, and the promise that goes with them: a Berth killed before any
// batch is stored, then restarted from the stored cursor, ends with exactly
// the events an uninterrupted reading stores (no duplicate, nothing lost),
// whatever the lines (both streams interleaved, Docker's 16 KiB pieces,
// lines longer than an event, equal and slightly disordered stamps,
// multiline events, an unfinished last line).

#include "server/reconciler/log_pipeline.h"

#include <climits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace berth::reconciler {
namespace {

using docker::LogSource;

constexpr int64_t kBase = 1'767'225'600'000'000'000;  // 2026-01-01 in ns
constexpr size_t kChunk = 16384;

// One message as Docker stores it.
struct Message {
  int64_t timestamp_ns;
  LogSource source;
  std::string text;
  bool partial = false;
};

// What a LogSink keeps of one container.
struct Store {
  std::vector<LogEvent> events;
  std::string cursor;
};

// One reading as the collector does it: from the stored cursor (Docker
// answers `since` inclusively, in storage order), every due batch stored at
// once. With `crash_after` batches stored it stops (a kill -9) and returns
// false; else it reads to the end (the container stopped) and returns true.
bool Read(const std::vector<Message>& log, const AwslogsSettings& settings, Store& store,
          int crash_after = INT_MAX) {
  const LogCursor resume = LogCursor::Parse(store.cursor);
  LogPipelineLimits limits;
  limits.flush_events = 1;  // a batch per event: a crash point between any two
  LogPipeline pipeline(settings, resume, limits);
  const LogPipeline::TimePoint now{};
  int stored = 0;
  const auto store_batch = [&] {
    auto batch = pipeline.TakeBatch();
    if (!batch) return true;
    if (stored == crash_after) return false;
    ++stored;
    store.events.insert(store.events.end(), batch->events.begin(), batch->events.end());
    store.cursor = batch->cursor;
    return true;
  };
  for (const auto& m : log) {
    if (m.timestamp_ns < resume.since_ns) continue;
    pipeline.Take({m.timestamp_ns, m.source, m.text, m.partial}, now);
    if (pipeline.Due(now) && !store_batch()) return false;
  }
  pipeline.Finish();
  return store_batch();
}

std::vector<Message> MixedLog() {
  std::vector<Message> log;
  int64_t t = kBase;
  const auto next = [&t] { return t += 1000; };
  log.push_back({next(), LogSource::kStdout, "START one"});
  log.push_back({next(), LogSource::kStderr, "warning: a"});
  const int64_t same = next();  // two lines stamped alike
  log.push_back({same, LogSource::kStdout, "  detail 1"});
  log.push_back({same, LogSource::kStdout, "  detail 2"});
  // stderr stamped a little before the stdout line stored ahead of it
  const int64_t late = next();
  log.push_back({late, LogSource::kStdout, "START two"});
  log.push_back({late - 500, LogSource::kStderr, "err before"});
  // A 40,000-byte line in Docker's pieces, a stderr line between them
  const int64_t long_line = next();
  log.push_back({long_line, LogSource::kStdout, std::string(kChunk, 'x'), true});
  log.push_back({next(), LogSource::kStderr, "between pieces"});
  log.push_back({long_line, LogSource::kStdout, std::string(kChunk, 'y'), true});
  log.push_back({long_line, LogSource::kStdout, std::string(7232, 'z')});
  // A line longer than an event (17 pieces), cut by the driver's own reader
  const int64_t huge = next();
  for (int i = 0; i < 17; ++i) {
    log.push_back(
        {huge, LogSource::kStdout, std::string(kChunk, static_cast<char>('a' + i)), true});
    if (i == 5) log.push_back({next(), LogSource::kStderr, "inside the huge line"});
  }
  log.push_back({huge, LogSource::kStdout, "end of huge"});
  log.push_back({next(), LogSource::kStdout, ""});
  log.push_back({next(), LogSource::kStdout, "START three"});
  log.push_back({next(), LogSource::kStderr, "unfinished", true});
  return log;
}

void ExpectExactAfterEveryCrash(const std::vector<Message>& log, const AwslogsSettings& settings) {
  Store reference;
  ASSERT_TRUE(Read(log, settings, reference));
  ASSERT_GE(reference.events.size(), 5u);
  for (int crash = 0;; ++crash) {
    Store store;
    if (Read(log, settings, store, crash)) {  // no batch left to crash before
      EXPECT_GE(crash, 3);                    // the crash points were there
      break;
    }
    // Berth restarts: a new reading from what is stored.
    ASSERT_TRUE(Read(log, settings, store)) << "crash " << crash;
    ASSERT_EQ(store.events.size(), reference.events.size()) << "crash " << crash;
    for (size_t i = 0; i < store.events.size(); ++i) {
      EXPECT_EQ(store.events[i].message, reference.events[i].message)
          << "crash " << crash << ", event " << i;
      EXPECT_EQ(store.events[i].timestamp_ms, reference.events[i].timestamp_ms);
    }
  }
}

TEST(LogPipelineTest, ARestartAfterAnyBatchStoresEveryEventOnce) {
  AwslogsSettings settings;
  ExpectExactAfterEveryCrash(MixedLog(), settings);
  // The reference itself: every line once, pieces joined, the huge line cut
  // at the event limit.
  Store store;
  ASSERT_TRUE(Read(MixedLog(), settings, store));
  std::vector<std::string> messages;
  for (const auto& e : store.events)
    messages.push_back(e.message.size() > 40 ? "<long>" : e.message);
  EXPECT_EQ(messages, (std::vector<std::string>{"START one", "warning: a", "  detail 1",
                                                "  detail 2", "START two", "err before",
                                                "between pieces", "<long>", "inside the huge line",
                                                "<long>", "<long>", "START three", "unfinished"}));
  EXPECT_EQ(store.events[7].message,
            std::string(kChunk, 'x') + std::string(kChunk, 'y') + std::string(7232, 'z'));
  EXPECT_EQ(store.events[9].message.size(), kMaxEventBytes);
  EXPECT_EQ(store.events[10].message.size(), 17 * kChunk + 11 - kMaxEventBytes);
}

TEST(LogPipelineTest, ARestartAfterAnyBatchStoresEveryMultilineEventOnce) {
  AwslogsSettings settings;
  settings.multiline_pattern = "^START";
  ExpectExactAfterEveryCrash(MixedLog(), settings);
}

TEST(LogPipelineTest, AHeldMultilineEventIsStoredAfterItsFlushInterval) {
  AwslogsSettings settings;
  settings.multiline_pattern = "^START";
  LogPipeline pipeline(settings, {});
  const LogPipeline::TimePoint start{};
  pipeline.Take({kBase, LogSource::kStdout, "START", false}, start);
  pipeline.Take({kBase + 1, LogSource::kStdout, "more", false}, start);
  pipeline.Tick(start + std::chrono::seconds(4));
  EXPECT_FALSE(pipeline.Due(start + std::chrono::seconds(4)));
  pipeline.Tick(start + std::chrono::seconds(5));
  ASSERT_TRUE(pipeline.Due(start + std::chrono::milliseconds(5200)));
  const auto batch = pipeline.TakeBatch();
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->events.size(), 1u);
  EXPECT_EQ(batch->events[0].message, "START\nmore\n");
  EXPECT_EQ(LogCursor::Parse(batch->cursor), (LogCursor{kBase + 1 - kReorderSlackNanos, 2}));
}

TEST(LogPipelineTest, BatchesAreDueByCountBytesOrAge) {
  AwslogsSettings settings;
  LogPipelineLimits limits;
  limits.flush_events = 3;
  limits.flush_bytes = 100;
  limits.flush_period = std::chrono::milliseconds(200);
  LogPipeline pipeline(settings, {}, limits);
  const LogPipeline::TimePoint t0{};
  EXPECT_FALSE(pipeline.Due(t0 + std::chrono::hours(1)));  // nothing to store
  pipeline.Take({kBase, LogSource::kStdout, "a", false}, t0);
  pipeline.Take({kBase + 1, LogSource::kStdout, "b", false}, t0);
  EXPECT_FALSE(pipeline.Due(t0 + std::chrono::milliseconds(199)));
  EXPECT_TRUE(pipeline.Due(t0 + std::chrono::milliseconds(200)));
  pipeline.Take({kBase + 2, LogSource::kStdout, "c", false}, t0);
  EXPECT_TRUE(pipeline.Due(t0));  // three events
  ASSERT_EQ(pipeline.TakeBatch()->events.size(), 3u);
  EXPECT_FALSE(pipeline.TakeBatch());  // nothing moved since
  pipeline.Take({kBase + 3, LogSource::kStdout, std::string(80, 'd'), false}, t0);
  EXPECT_TRUE(pipeline.Due(t0));  // 80 + 26 bytes
}

TEST(LogCursorTest, CountsStoredLinesStampedAtOrAfterSince) {
  CursorTracker tracker;
  tracker.Read(kBase);
  tracker.Read(kBase + 20'000'000);
  const uint64_t a = tracker.Read(kBase + 30'000'000);
  const uint64_t b = tracker.Read(kBase + 30'000'000);  // same stamp
  // since = last stamp less the slack: the lines stamped from then on
  EXPECT_EQ(tracker.After(a), (LogCursor{kBase + 30'000'000 - kReorderSlackNanos, 2}));
  EXPECT_EQ(tracker.After(b), (LogCursor{kBase + 30'000'000 - kReorderSlackNanos, 3}));
  // A line stored after but stamped earlier is still asked for, and counted
  // once stored.
  const uint64_t c = tracker.Read(kBase + 25'000'000);
  EXPECT_EQ(tracker.After(c), (LogCursor{kBase + 15'000'000, 4}));
}

TEST(LogCursorTest, ReadsBackWhatItWrites) {
  const LogCursor cursor{kBase, 7};
  EXPECT_EQ(cursor.ToString(), "1:1767225600000000000:7");
  EXPECT_EQ(LogCursor::Parse(cursor.ToString()), cursor);
  EXPECT_EQ(LogCursor::Parse(""), LogCursor{});
  EXPECT_EQ(LogCursor::Parse("2:5:5"), LogCursor{});
  EXPECT_EQ(LogCursor::Parse("1:5:5x"), LogCursor{});
}

}  // namespace
}  // namespace berth::reconciler
