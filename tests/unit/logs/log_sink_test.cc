// LogService as the reconciler's awslogs LogSink: Prepare creates what the
// awslogs driver would (or refuses in ECS's words), Append stores events and
// the collector cursor together, from several threads at once, fast.

#include <atomic>
#include <ctime>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "server/logs/log_service.h"
#include "storage/database.h"

// Sanitizers slow everything several times; the CPU budget holds without.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BERTH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define BERTH_SANITIZED 1
#endif
#endif

namespace berth::logs {
namespace {

using reconciler::LogDestination;
using reconciler::LogEvent;

class FixedClock final : public Clock {
 public:
  double Now() const override { return now_.load(); }
  void Set(double now) { now_ = now; }

 private:
  std::atomic<double> now_{1795000000.250};
};

class LogSinkTest : public ::testing::Test {
 protected:
  LogSinkTest() {
    context_.account_id = "000000000000";
    context_.region = "us-east-1";
    context_.now = clock_.Now();
  }

  LogDestination Destination(const std::string& group = "/ecs/web",
                             const std::string& stream = "ecs/web/0123") {
    return {"000000000000", "us-east-1", group, stream};
  }

  // Every event of the stream, oldest first.
  std::vector<storage::LogEventRecord> Events(const std::string& group, const std::string& stream) {
    GetEventsQuery query;
    query.group = {{"000000000000", "us-east-1"}, group};
    query.stream = stream;
    query.start_from_head = true;
    return service_.GetLogEvents(context_, query).events;
  }

  storage::Database database_{":memory:"};
  FixedClock clock_;
  LogService service_{database_, clock_};
  reconciler::LogSink& sink_ = service_;
  aws::RequestContext context_;
};

TEST_F(LogSinkTest, PrepareCreatesTheGroupAndStreamWhenAllowed) {
  EXPECT_EQ(sink_.Prepare(Destination(), true), std::nullopt);
  DescribeStreamsQuery query;
  query.group = {{"000000000000", "us-east-1"}, "/ecs/web"};
  const auto streams = service_.DescribeLogStreams(context_, query).items;
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(streams[0].name, "ecs/web/0123");
  EXPECT_EQ(streams[0].created_at, 1795000000250);
  // Again (a restart, a second container of the task): nothing changes.
  EXPECT_EQ(sink_.Prepare(Destination(), true), std::nullopt);
  EXPECT_EQ(sink_.Prepare(Destination("/ecs/web", "other"), false), std::nullopt);
  EXPECT_EQ(service_.DescribeLogStreams(context_, query).items.size(), 2u);
}

TEST_F(LogSinkTest, MissingGroupWithoutCreateGroupFailsInEcsWordsAndCreatesNothing) {
  EXPECT_EQ(sink_.Prepare(Destination(), false),
            "ResourceInitializationError: failed to validate logger args: create stream has been "
            "retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: "
            "The specified log group does not exist. : exit status 1");
  EXPECT_TRUE(service_.DescribeLogGroups(context_, {}).items.empty());
}

TEST_F(LogSinkTest, InvalidNamesFailAsTheDriversCreateCallWould) {
  const auto reason = sink_.Prepare(Destination("bad:group"), true);
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("InvalidParameterException: 1 validation error detected: Value "
                         "'bad:group' at 'logGroupName'"),
            std::string::npos)
      << *reason;
  EXPECT_TRUE(sink_.Prepare(Destination("/g", "a:b"), true).has_value());
  EXPECT_TRUE(service_.DescribeLogGroups(context_, {}).items.empty());
}

TEST_F(LogSinkTest, AppendStoresEventsAndCursorTogether) {
  ASSERT_EQ(sink_.Prepare(Destination(), true), std::nullopt);
  EXPECT_EQ(sink_.Cursor("task/web"), "");
  sink_.Append(Destination(), "task/web", {{1795000000001, "hello"}, {1795000000002, "world"}},
               "cursor-1");
  EXPECT_EQ(sink_.Cursor("task/web"), "cursor-1");
  const auto events = Events("/ecs/web", "ecs/web/0123");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].message, "hello");
  EXPECT_EQ(events[1].timestamp, 1795000000002);
  EXPECT_EQ(events[1].ingestion_time, 1795000000250);

  DescribeStreamsQuery query;
  query.group = {{"000000000000", "us-east-1"}, "/ecs/web"};
  const auto stream = service_.DescribeLogStreams(context_, query).items.at(0);
  EXPECT_EQ(stream.first_event_at, 1795000000001);
  EXPECT_EQ(stream.last_event_at, 1795000000002);
  EXPECT_EQ(stream.sequence_token->size(), 56u);
  EXPECT_EQ(service_.DescribeLogGroups(context_, {}).items.at(0).record.stored_bytes, 10);

  sink_.ForgetCursor("task/web");
  EXPECT_EQ(sink_.Cursor("task/web"), "");
}

TEST_F(LogSinkTest, AppendToADeletedStreamDropsTheEventsButKeepsTheCursor) {
  ASSERT_EQ(sink_.Prepare(Destination(), true), std::nullopt);
  service_.DeleteLogStream(context_, "/ecs/web", "ecs/web/0123");
  sink_.Append(Destination(), "k", {{1795000000001, "lost"}}, "c2");
  EXPECT_EQ(sink_.Cursor("k"), "c2");
  service_.DeleteLogGroup(context_, "/ecs/web");
  sink_.Append(Destination(), "k", {{1795000000002, "lost"}}, "c3");
  EXPECT_EQ(sink_.Cursor("k"), "c3");
}

TEST_F(LogSinkTest, CollectorsAppendFromSeveralThreadsAtOnce) {
  constexpr int kThreads = 4;
  constexpr int kBatches = 50;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(sink_.Prepare(Destination("/ecs/web", "s" + std::to_string(t)), true), std::nullopt);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<LogEvent> batch;
        for (int i = 0; i < 10; ++i) batch.push_back({1795000000000 + b * 10 + i, "line"});
        sink_.Append(Destination("/ecs/web", "s" + std::to_string(t)), "c" + std::to_string(t),
                     batch, std::to_string(b));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(Events("/ecs/web", "s" + std::to_string(t)).size(), 10u * kBatches);
    EXPECT_EQ(sink_.Cursor("c" + std::to_string(t)), std::to_string(kBatches - 1));
  }
}

// The collector's bulk path: 200,000 events in batches of 10,000 (the
// awslogs driver's batch size) take well under a second of CPU.
TEST_F(LogSinkTest, IngestsTwoHundredThousandEventsQuickly) {
  ASSERT_EQ(sink_.Prepare(Destination(), true), std::nullopt);
  std::vector<std::vector<LogEvent>> batches(20);
  int64_t t = 1795000000000;
  for (auto& batch : batches) {
    for (int i = 0; i < 10'000; ++i) {
      batch.push_back({t++, "GET /index.html 200 " + std::to_string(i) + " bytes=1534"});
    }
  }
  const std::clock_t start = std::clock();
  for (size_t i = 0; i < batches.size(); ++i) {
    sink_.Append(Destination(), "bulk", batches[i], std::to_string(i));
  }
  const double cpu_seconds = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  RecordProperty("cpu_seconds", std::to_string(cpu_seconds));
  std::printf("200k events appended in %.3f s of CPU\n", cpu_seconds);
#if defined(NDEBUG) && !defined(BERTH_SANITIZED)
  EXPECT_LT(cpu_seconds, 1.0);
#endif
  FilterEventsQuery query;
  query.group = {{"000000000000", "us-east-1"}, "/ecs/web"};
  query.start_time = 1795000199990;
  const auto tail = service_.FilterLogEvents(context_, query).items;
  ASSERT_EQ(tail.size(), 10u);
  EXPECT_EQ(tail.back().event.timestamp, 1795000199999);
  EXPECT_EQ(sink_.Cursor("bulk"), "19");
}

}  // namespace
}  // namespace berth::logs
