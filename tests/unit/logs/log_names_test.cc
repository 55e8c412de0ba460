// The strings CloudWatch Logs hands out and reads back: ARNs, group
// identifiers, GetLogEvents' f/ and b/ tokens, event ids, sequence tokens.

#include "server/logs/log_names.h"

#include <gtest/gtest.h>

namespace berth::logs {
namespace {

aws::RequestContext Caller() {
  aws::RequestContext context;
  context.account_id = "000000000000";
  context.region = "us-east-1";
  return context;
}

TEST(LogNamesTest, ArnsHaveTheLogsShapes) {
  const storage::Partition p{"123456789012", "eu-west-1"};
  EXPECT_EQ(LogGroupArn(p, "/aws/ecs/app"),
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/ecs/app");
  EXPECT_EQ(LogStreamArn(p, "g", "ecs/web/abc"),
            "arn:aws:logs:eu-west-1:123456789012:log-group:g:log-stream:ecs/web/abc");
  EXPECT_EQ(LogGroupArn({"1", "cn-north-1"}, "g"), "arn:aws-cn:logs:cn-north-1:1:log-group:g");
}

TEST(LogNamesTest, GroupIdentifiersAreNamesOrGroupArns) {
  auto ref = ParseGroupIdentifier("/app", Caller());
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->name, "/app");
  EXPECT_EQ(ref->partition.account_id, "000000000000");

  ref = ParseGroupIdentifier("arn:aws:logs:eu-west-1:123456789012:log-group:/app:*", Caller());
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->name, "/app");
  EXPECT_EQ(ref->partition.region, "eu-west-1");
  EXPECT_EQ(ref->partition.account_id, "123456789012");
  EXPECT_TRUE(ParseGroupIdentifier("arn:aws:logs:us-east-1:000000000000:log-group:/app", Caller())
                  .has_value());

  EXPECT_FALSE(ParseGroupIdentifier("bad:name", Caller()).has_value());
  EXPECT_FALSE(ParseGroupIdentifier("arn:aws:ecs:us-east-1:0:cluster/x", Caller()).has_value());
  EXPECT_FALSE(
      ParseGroupIdentifier("arn:aws:logs:us-east-1:0:destination:d", Caller()).has_value());
  EXPECT_FALSE(ParseGroupIdentifier("arn:aws:logs:us-east-1:0:log-group:g:log-stream:s", Caller())
                   .has_value());
}

TEST(LogNamesTest, TaggingTakesOnlyTheArnWithoutTheStar) {
  EXPECT_TRUE(ParseTaggableArn("arn:aws:logs:us-east-1:000000000000:log-group:g").has_value());
  EXPECT_FALSE(ParseTaggableArn("arn:aws:logs:us-east-1:000000000000:log-group:g:*").has_value());
  EXPECT_FALSE(ParseTaggableArn("g").has_value());
}

TEST(LogNamesTest, NamesFollowTheModelPatterns) {
  EXPECT_TRUE(IsLogGroupName("/aws/ecs/my-app_1.#"));
  EXPECT_FALSE(IsLogGroupName(""));
  EXPECT_FALSE(IsLogGroupName("a:b"));
  EXPECT_FALSE(IsLogGroupName(std::string(513, 'a')));
  EXPECT_TRUE(IsLogStreamName("ecs/web/0123 [x]"));
  EXPECT_FALSE(IsLogStreamName("a:b"));
  EXPECT_FALSE(IsLogStreamName("a*"));
  EXPECT_FALSE(IsLogStreamName(""));
  EXPECT_TRUE(IsLogStreamName(std::string(512, 'a')));
}

TEST(LogNamesTest, StreamTokensRoundTripInAwsForm) {
  const StreamToken token{true, 42, {1795000000123, 77}};
  const std::string text = EncodeStreamToken(token);
  EXPECT_EQ(text.size(), 60u);
  EXPECT_TRUE(text.starts_with("f/"));
  EXPECT_TRUE(text.ends_with("/s"));
  EXPECT_EQ(text.substr(2, 56).find_first_not_of("0123456789"), std::string::npos);
  const auto back = DecodeStreamToken(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->forward);
  EXPECT_EQ(back->stream_id, 42);
  EXPECT_EQ(back->position, token.position);

  const auto backward = DecodeStreamToken(EncodeStreamToken({false, 1, {kEndOfTime, 0}}));
  ASSERT_TRUE(backward.has_value());
  EXPECT_FALSE(backward->forward);
  EXPECT_EQ(backward->position.timestamp, kEndOfTime);
}

TEST(LogNamesTest, ForeignTokensAreRefused) {
  for (const char* text :
       {"", "f/123/s", "x/00000000000000000000000000000000000000000000000000000000/s",
        "f/0000000000000000000000000000000000000000000000000000000a/s",
        "f/00000000000000000000000000000000000000000000000000000000/x"}) {
    EXPECT_FALSE(DecodeStreamToken(text).has_value()) << text;
  }
}

TEST(LogNamesTest, EventIdsAndSequenceTokensAre56DigitsAndDistinct) {
  const std::string a = EventId(1795000000123, 1);
  const std::string b = EventId(1795000000123, 2);
  EXPECT_EQ(a.size(), 56u);
  EXPECT_EQ(a.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_NE(a, b);
  const std::string token = SequenceToken(7, 3);
  EXPECT_EQ(token.size(), 56u);
  EXPECT_EQ(token.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_EQ(SequenceCounter(token), 3);
  EXPECT_EQ(SequenceCounter("junk"), 0);
}

}  // namespace
}  // namespace berth::logs
