// StartLiveTail through the dispatcher: a 200 whose body is an event stream
// (initial-response, sessionStart, then sessionUpdates, each payload checked
// against the botocore model), and plain JSON errors before any stream.

#include <gtest/gtest.h>

#include "tests/support/event_stream_reader.h"
#include "tests/unit/api/logs_api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

class LogsLiveTailTest : public LogsApiTest {
 protected:
  http::Response StartLiveTail(const json& input) {
    http::Request request;
    request.method = "POST";
    request.target = "/";
    request.headers.Add("X-Amz-Target", std::string(kLogsPrefix) + "StartLiveTail");
    request.headers.Add("Content-Type", "application/x-amz-json-1.1");
    request.headers.Add("Host", "stream-127.0.0.1:4566");  // botocore's host prefix
    request.body = input.dump();
    return dispatcher_.Handle(request);
  }

  // The messages of the producer's next piece, each payload checked against
  // the model's StartLiveTailResponseStream member it names.
  std::vector<EventStreamMessage> NextMessages(http::BodyProducer& producer) {
    const auto piece = producer.Next();
    EXPECT_FALSE(piece.last);
    auto messages = DecodeEventStream(piece.bytes);
    const auto& model = aws::model::LogsModel();
    for (const auto& m : messages) {
      const std::string type = m.Header(":event-type");
      if (m.Header(":message-type") != "event" || type == "initial-response") continue;
      const json output = {{"responseStream", {{type, m.Json()}}}};
      const auto problems =
          aws::model::CheckOutput(model, *model.FindOperation("StartLiveTail"), output);
      EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems) << "\n" << m.payload;
    }
    return messages;
  }
};

TEST_F(LogsLiveTailTest, AnswersWithAnEventStreamOfTheEventsPutAfterItStarted) {
  CreateGroup("/svc");
  CreateStream("/svc", "web");
  Put("/svc", "web", {{kNow, "before"}});

  const http::Response res =
      StartLiveTail({{"logGroupIdentifiers", {std::string(kGroupArnPrefix) + "/svc"}},
                     {"logEventFilterPattern", "-skip"}});
  EXPECT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.headers.Get("Content-Type"), "application/vnd.amazon.eventstream");
  ASSERT_TRUE(res.headers.Get("x-amzn-RequestId").has_value());
  EXPECT_EQ(res.operation, "logs.StartLiveTail");
  ASSERT_NE(res.producer, nullptr);
  EXPECT_TRUE(res.body.empty());

  auto messages = NextMessages(*res.producer);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].Header(":event-type"), "initial-response");
  EXPECT_EQ(messages[0].payload, "{}");
  EXPECT_EQ(messages[1].Header(":event-type"), "sessionStart");
  const json start = messages[1].Json();
  EXPECT_EQ(start.at("requestId"), *res.headers.Get("x-amzn-RequestId"));
  EXPECT_EQ(start.at("logEventFilterPattern"), "-skip");

  Put("/svc", "web", {{kNow, "after"}, {kNow, "skip me"}});
  clock_.Advance(1);
  messages = NextMessages(*res.producer);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].Header(":event-type"), "sessionUpdate");
  const json update = messages[0].Json();
  ASSERT_EQ(update.at("sessionResults").size(), 1u);
  EXPECT_EQ(update.at("sessionResults")[0].at("message"), "after");
  EXPECT_EQ(update.at("sessionResults")[0].at("timestamp"), kNow);
}

TEST_F(LogsLiveTailTest, RefusesBadInputWithPlainJsonErrors) {
  CreateGroup("/svc");
  const std::string arn = std::string(kGroupArnPrefix) + "/svc";
  EXPECT_LOGS_ERROR(Logs("StartLiveTail", {{"logGroupIdentifiers", {arn + "-missing"}}}),
                    "ResourceNotFoundException", "The specified log group does not exist.");
  EXPECT_LOGS_ERROR(Logs("StartLiveTail", {{"logGroupIdentifiers", {arn}},
                                           {"logStreamNames", {"a"}},
                                           {"logStreamNamePrefixes", {"b"}}}),
                    "InvalidParameterException",
                    "logStreamNames and logStreamNamePrefixes cannot be specified together.");
  EXPECT_LOGS_ERROR(
      Logs("StartLiveTail", {{"logGroupIdentifiers", {arn, arn}}, {"logStreamNames", {"a"}}}),
      "InvalidParameterException",
      "logStreamNames and logStreamNamePrefixes can be specified only with exactly one log group "
      "in logGroupIdentifiers.");

  // What the model says: at least one group, at most 10, no ARN ending in ":*".
  const auto empty = Logs("StartLiveTail", {{"logGroupIdentifiers", json::array()}});
  EXPECT_EQ(empty.error_type(), "InvalidParameterException");
  EXPECT_TRUE(empty.message().starts_with("1 validation error detected")) << empty.raw;
  json eleven = json::array();
  for (int i = 0; i < 11; ++i) eleven.push_back(arn);
  EXPECT_EQ(Logs("StartLiveTail", {{"logGroupIdentifiers", eleven}}).error_type(),
            "InvalidParameterException");
  const auto star = Logs("StartLiveTail", {{"logGroupIdentifiers", {arn + ":*"}}});
  EXPECT_EQ(star.error_type(), "InvalidParameterException");
  EXPECT_NE(star.message().find("regular expression pattern"), std::string::npos) << star.raw;
  EXPECT_EQ(Logs("StartLiveTail", {{"logStreamNames", {"a"}}}).error_type(),
            "InvalidParameterException");  // logGroupIdentifiers is required
  // No session was left open by any of these.
  EXPECT_EQ(log_service_.live_tail_hub().FeedCount(), 0u);
}

}  // namespace
}  // namespace berth::testing
