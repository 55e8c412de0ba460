// Live Tail sessions on :memory: with a clock the test moves: sessionStart
// first, then an update each second with only the events committed since the
// session started (from PutLogEvents and from the awslogs sink alike), the
// filter pattern and stream selection honoured, at most 500 per update with
// `sampled`, the 3-hour timeout, and the input checks the model cannot make.

#include "server/logs/live_tail.h"

#include <atomic>

#include <gtest/gtest.h>

#include "server/aws/aws_error.h"
#include "server/logs/log_service.h"
#include "storage/database.h"

namespace berth::logs {
namespace {

using aws::StreamEvent;
using nlohmann::json;
using namespace std::chrono_literals;

class SettableClock final : public Clock {
 public:
  double Now() const override { return now_.load(); }
  void Advance(double seconds) { now_ = now_.load() + seconds; }

 private:
  std::atomic<double> now_{1795000000.250};
};

class LiveTailTest : public ::testing::Test {
 protected:
  static constexpr const char* kArnPrefix = "arn:aws:logs:us-east-1:000000000000:log-group:";

  LiveTailTest() {
    for (const char* group : {"/app", "/other"}) {
      GroupSpec spec;
      spec.name = group;
      service_.CreateLogGroup(Context(), spec);
    }
    for (const char* stream : {"web/1", "web/2", "db/1"}) {
      service_.CreateLogStream(Context(), "/app", stream);
    }
    service_.CreateLogStream(Context(), "/other", "s");
  }

  aws::RequestContext Context() const {
    aws::RequestContext context;
    context.account_id = "000000000000";
    context.region = "us-east-1";
    context.request_id = "req-1";
    context.now = clock_.Now();
    return context;
  }

  void Put(const std::string& group, const std::string& stream,
           const std::vector<std::string>& messages) {
    std::vector<InputEvent> events;
    const auto now = LogService::Millis(clock_.Now());
    for (const auto& m : messages) events.push_back({now, m});
    service_.PutLogEvents(Context(), group, stream, events);
  }

  std::unique_ptr<LiveTailSession> Start(LiveTailQuery query) {
    return service_.StartLiveTail(Context(), query);
  }
  static LiveTailQuery Groups(std::vector<std::string> identifiers) {
    LiveTailQuery query;
    query.group_identifiers = std::move(identifiers);
    return query;
  }

  // Polls once after `seconds`; expects exactly one sessionUpdate and returns
  // its payload.
  json UpdateAfter(LiveTailSession& session, double seconds = 1.0) {
    clock_.Advance(seconds);
    auto batch = session.Poll();
    EXPECT_FALSE(batch.done);
    EXPECT_EQ(batch.events.size(), 1u);
    if (batch.events.size() != 1) return json::object();
    EXPECT_EQ(batch.events[0].kind, StreamEvent::Kind::kEvent);
    EXPECT_EQ(batch.events[0].type, "sessionUpdate");
    return batch.events[0].payload;
  }

  static std::vector<std::string> Messages(const json& update) {
    std::vector<std::string> out;
    for (const auto& e : update.at("sessionResults")) out.push_back(e.at("message"));
    return out;
  }

  // Expects StartLiveTail to fail with this error.
  void ExpectRefused(const LiveTailQuery& query, const std::string& type,
                     const std::string& message) {
    try {
      Start(query);
      ADD_FAILURE() << "StartLiveTail succeeded";
    } catch (const aws::AwsError& e) {
      EXPECT_EQ(e.type(), type);
      EXPECT_EQ(std::string(e.what()), message);
    }
  }

  storage::Database database_{":memory:"};
  SettableClock clock_;
  LogService service_{database_, clock_};
};

TEST_F(LiveTailTest, StartsWithSessionStartThenOnlyEventsIngestedAfterIt) {
  Put("/app", "web/1", {"before the session"});
  LiveTailQuery query = Groups({std::string(kArnPrefix) + "/app"});
  query.stream_prefixes = {"web/"};
  query.filter_pattern = "";
  auto session = Start(query);

  // The first poll: sessionStart echoing the request, nothing else.
  auto batch = session->Poll();
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.events[0].type, "sessionStart");
  const json& start = batch.events[0].payload;
  EXPECT_EQ(start.at("requestId"), "req-1");
  EXPECT_EQ(start.at("sessionId").get<std::string>().size(), 36u);
  EXPECT_EQ(start.at("logGroupIdentifiers"), json::array({std::string(kArnPrefix) + "/app"}));
  EXPECT_EQ(start.at("logStreamNamePrefixes"), json::array({"web/"}));
  EXPECT_EQ(start.at("logEventFilterPattern"), "");
  EXPECT_FALSE(start.contains("logStreamNames"));
  EXPECT_EQ(batch.next_in, 1000ms);

  Put("/app", "web/2", {"first", "second"});
  const json update = UpdateAfter(*session);
  EXPECT_EQ(update.at("sessionMetadata"), json({{"sampled", false}}));
  ASSERT_EQ(update.at("sessionResults").size(), 2u);
  const json& event = update.at("sessionResults")[0];
  EXPECT_EQ(event.at("message"), "first");
  EXPECT_EQ(event.at("logStreamName"), "web/2");
  EXPECT_EQ(event.at("logGroupIdentifier"), std::string(kArnPrefix) + "/app");
  EXPECT_EQ(event.at("timestamp"), LogService::Millis(clock_.Now() - 1));
  EXPECT_EQ(event.at("ingestionTime"), LogService::Millis(clock_.Now() - 1));

  // Each event once; a quiet second is an empty update.
  EXPECT_EQ(UpdateAfter(*session).at("sessionResults"), json::array());
}

TEST_F(LiveTailTest, HonoursTheFilterPatternAndTheStreamSelection) {
  LiveTailQuery by_name = Groups({"/app"});
  by_name.stream_names = {"web/1", "db/1"};
  by_name.filter_pattern = "ERROR -ignored";
  auto named = Start(by_name);
  named->Poll();
  auto everything = Start(Groups({"/app", std::string(kArnPrefix) + "/other"}));
  everything->Poll();

  Put("/app", "web/1", {"ERROR one", "INFO two", "ERROR ignored three"});
  Put("/app", "web/2", {"ERROR four"});
  Put("/app", "db/1", {"ERROR five"});
  Put("/other", "s", {"six"});

  EXPECT_EQ(Messages(UpdateAfter(*named)), (std::vector<std::string>{"ERROR one", "ERROR five"}));
  clock_.Advance(-1);  // the same second for the other session
  const json all = UpdateAfter(*everything);
  EXPECT_EQ(Messages(all), (std::vector<std::string>{"ERROR one", "INFO two", "ERROR ignored three",
                                                     "ERROR four", "ERROR five", "six"}));
  // Each event names its group as the request did.
  EXPECT_EQ(all.at("sessionResults")[0].at("logGroupIdentifier"), "/app");
  EXPECT_EQ(all.at("sessionResults")[5].at("logGroupIdentifier"),
            std::string(kArnPrefix) + "/other");
}

TEST_F(LiveTailTest, SendsAtMost500EventsPerUpdateAndSaysWhenItSampled) {
  auto session = Start(Groups({"/app"}));
  session->Poll();
  std::vector<std::string> many;
  for (int i = 0; i < 1200; ++i) many.push_back("event " + std::to_string(i));
  Put("/app", "web/1", many);

  const json update = UpdateAfter(*session);
  EXPECT_EQ(update.at("sessionMetadata").at("sampled"), true);
  ASSERT_EQ(update.at("sessionResults").size(), 500u);
  EXPECT_EQ(update.at("sessionResults")[0].at("message"), "event 0");
  // The rest was dropped, not delayed.
  const json next = UpdateAfter(*session);
  EXPECT_EQ(next.at("sessionMetadata").at("sampled"), false);
  EXPECT_EQ(next.at("sessionResults"), json::array());
}

TEST_F(LiveTailTest, AnEarlyPollSendsNothingAndSaysWhenTheUpdateIsDue) {
  auto session = Start(Groups({"/app"}));
  session->Poll();
  clock_.Advance(0.3);
  const auto early = session->Poll();
  EXPECT_TRUE(early.events.empty());
  EXPECT_FALSE(early.done);
  EXPECT_EQ(early.next_in, 700ms);
  // Within the tolerance of the due time, the update goes.
  clock_.Advance(0.68);
  EXPECT_EQ(session->Poll().events.size(), 1u);
}

TEST_F(LiveTailTest, EventsFromTheAwslogsSinkReachTheSession) {
  auto session = Start(Groups({"/app"}));
  session->Poll();
  const reconciler::LogDestination destination{"000000000000", "us-east-1", "/app", "ecs/c/1"};
  ASSERT_FALSE(service_.Prepare(destination, false).has_value());
  service_.Append(destination, "collector-1",
                  {{LogService::Millis(clock_.Now()), "from a container"}}, "cursor-1");
  const json update = UpdateAfter(*session);
  EXPECT_EQ(Messages(update), (std::vector<std::string>{"from a container"}));
  EXPECT_EQ(update.at("sessionResults")[0].at("logStreamName"), "ecs/c/1");
}

TEST_F(LiveTailTest, EndsWithSessionTimeoutExceptionAfterThreeHours) {
  auto session = Start(Groups({"/app"}));
  session->Poll();
  clock_.Advance(3 * 3600 - 0.5);
  const auto last_second = session->Poll();
  EXPECT_FALSE(last_second.done);
  EXPECT_EQ(last_second.next_in, 500ms);  // not past the end
  Put("/app", "web/1", {"just in time"});
  clock_.Advance(0.5);
  const auto end = session->Poll();
  EXPECT_TRUE(end.done);
  ASSERT_EQ(end.events.size(), 2u);
  EXPECT_EQ(Messages(end.events[0].payload), (std::vector<std::string>{"just in time"}));
  EXPECT_EQ(end.events[1].kind, StreamEvent::Kind::kException);
  EXPECT_EQ(end.events[1].type, "SessionTimeoutException");
  EXPECT_EQ(end.events[1].payload,
            json({{"message", "The Live Tail session timed out after 3 hours."}}));
}

TEST_F(LiveTailTest, TheTimeoutCanBeShortenedForTests) {
  LiveTailOptions options;
  options.timeout = 5s;
  service_.SetLiveTailOptions(options);
  auto session = Start(Groups({"/app"}));
  session->Poll();
  clock_.Advance(5);
  const auto end = session->Poll();
  EXPECT_TRUE(end.done);
  EXPECT_EQ(end.events.back().payload.at("message"),
            "The Live Tail session timed out after 5 seconds.");
}

TEST_F(LiveTailTest, ShutdownSaysBerthIsStopping) {
  auto session = Start(Groups({"/app"}));
  const auto last = session->Shutdown();
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].type, "SessionStreamingException");
}

TEST_F(LiveTailTest, AnEndedSessionLeavesNothingBehind) {
  auto first = Start(Groups({"/app"}));
  auto second = Start(Groups({"/app"}));
  EXPECT_EQ(service_.live_tail_hub().FeedCount(), 2u);
  first.reset();
  EXPECT_EQ(service_.live_tail_hub().FeedCount(), 1u);
  second.reset();
  EXPECT_EQ(service_.live_tail_hub().FeedCount(), 0u);
  Put("/app", "web/1", {"nobody listens"});  // and publishing still works
}

TEST_F(LiveTailTest, RefusesWhatTheModelCannotExpress) {
  LiveTailQuery both = Groups({"/app"});
  both.stream_names = {"web/1"};
  both.stream_prefixes = {"web"};
  ExpectRefused(both, "InvalidParameterException",
                "logStreamNames and logStreamNamePrefixes cannot be specified together.");

  LiveTailQuery two_groups = Groups({"/app", "/other"});
  two_groups.stream_prefixes = {"web"};
  ExpectRefused(two_groups, "InvalidParameterException",
                "logStreamNames and logStreamNamePrefixes can be specified only with exactly one "
                "log group in logGroupIdentifiers.");

  ExpectRefused(Groups({"/app", "/missing"}), "ResourceNotFoundException",
                "The specified log group does not exist.");
  ExpectRefused(Groups({std::string(kArnPrefix) + "missing"}), "ResourceNotFoundException",
                "The specified log group does not exist.");
  ExpectRefused(Groups({"arn:aws:s3:::bucket"}), "InvalidParameterException",
                "Invalid log group identifier: arn:aws:s3:::bucket");

  LiveTailQuery bad_pattern = Groups({"/app"});
  bad_pattern.filter_pattern = "{ $.a = }";
  try {
    Start(bad_pattern);
    ADD_FAILURE() << "accepted a broken pattern";
  } catch (const aws::AwsError& e) {
    EXPECT_EQ(e.type(), "InvalidParameterException");
  }
  // Nothing was left subscribed by the refusals.
  EXPECT_EQ(service_.live_tail_hub().FeedCount(), 0u);
}

}  // namespace
}  // namespace berth::logs
