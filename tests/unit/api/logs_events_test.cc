// CloudWatch Logs events through the JSON API: PutLogEvents' acceptance
// rules and rejectedLogEventsInfo, GetLogEvents' pages and f/ b/ tokens,
// FilterLogEvents' interleaved pages and patterns, and retention hiding
// (then purging) old events. Refused calls store nothing.

#include <set>
#include <string>
#include <vector>

#include "tests/unit/api/logs_api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

class LogsEventsTest : public LogsApiTest {
 protected:
  LogsEventsTest() {
    CreateGroup("app");
    CreateStream("app", "s");
  }

  json Get(json input) {
    input["logGroupName"] = "app";
    if (!input.contains("logStreamName")) input["logStreamName"] = "s";
    return LogsOk("GetLogEvents", input);
  }

  json Filter(json input) {
    if (!input.contains("logGroupIdentifier")) input["logGroupName"] = "app";
    return LogsOk("FilterLogEvents", input);
  }

  // Every message FilterLogEvents returns, across all pages.
  std::vector<std::string> FilterAll(json input) {
    std::vector<std::string> out;
    std::set<std::string> tokens;
    for (int page = 0; page < 1000; ++page) {
      const json reply = Filter(input);
      for (const auto& m : Messages(reply)) out.push_back(m);
      if (!reply.contains("nextToken")) return out;
      EXPECT_TRUE(tokens.insert(reply["nextToken"].get<std::string>()).second)
          << "nextToken repeated";
      input["nextToken"] = reply["nextToken"];
    }
    ADD_FAILURE() << "FilterLogEvents never finished";
    return out;
  }

  ApiReply PutRaw(const json& events, const std::string& stream = "s") {
    return Logs("PutLogEvents",
                {{"logGroupName", "app"}, {"logStreamName", stream}, {"logEvents", events}});
  }

  std::vector<std::string> AllMessages() { return Messages(Get({{"startFromHead", true}})); }
};

// --- PutLogEvents -------------------------------------------------------------

TEST_F(LogsEventsTest, PutLogEventsStoresAndAlwaysAnswersASequenceToken) {
  const json first = Put("app", "s", {{kNow - 10, "one"}, {kNow - 10, "two"}, {kNow, "three"}});
  ASSERT_TRUE(first.contains("nextSequenceToken"));
  const std::string token = first["nextSequenceToken"];
  EXPECT_EQ(token.size(), 56u);
  EXPECT_EQ(token.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_FALSE(first.contains("rejectedLogEventsInfo"));
  // Tokens are accepted and ignored, right or wrong.
  const ApiReply second =
      Logs("PutLogEvents", {{"logGroupName", "app"},
                            {"logStreamName", "s"},
                            {"sequenceToken", "123"},
                            {"logEvents", {{{"timestamp", kNow}, {"message", "four"}}}}});
  EXPECT_EQ(second.status, 200u) << second.raw;
  EXPECT_NE(second.body["nextSequenceToken"], token);
  EXPECT_EQ(AllMessages(), (std::vector<std::string>{"one", "two", "three", "four"}));
}

TEST_F(LogsEventsTest, TooOldTooNewAndExpiredEventsAreRejectedAndTheRestStored) {
  const json reply = Put("app", "s",
                         {{kNow - 15 * kDay, "too old"},
                          {kNow - 1000, "kept 1"},
                          {kNow, "kept 2"},
                          {kNow + 2 * kHour + 1, "too new"},
                          {kNow + 3 * kHour, "too new too"}});
  EXPECT_EQ(reply["rejectedLogEventsInfo"],
            json::parse(R"({"tooOldLogEventEndIndex":1,"tooNewLogEventStartIndex":3})"));
  EXPECT_EQ(AllMessages(), (std::vector<std::string>{"kept 1", "kept 2"}));

  LogsOk("PutRetentionPolicy", {{"logGroupName", "app"}, {"retentionInDays", 1}});
  const json expired = Put("app", "s", {{kNow - 2 * kDay, "expired"}, {kNow, "kept 3"}});
  EXPECT_EQ(expired["rejectedLogEventsInfo"], json::parse(R"({"expiredLogEventEndIndex":1})"));
  // Everything rejected: nothing stored, still a token.
  const json none = Put("app", "s", {{kNow + 3 * kHour, "too new"}});
  EXPECT_EQ(none["rejectedLogEventsInfo"], json::parse(R"({"tooNewLogEventStartIndex":0})"));
  EXPECT_EQ(none["nextSequenceToken"].get<std::string>().size(), 56u);
  EXPECT_EQ(AllMessages(), (std::vector<std::string>{"kept 1", "kept 2", "kept 3"}));
}

TEST_F(LogsEventsTest, BatchRulesFailTheWholeCallAndStoreNothing) {
  EXPECT_LOGS_ERROR(PutRaw({{{"timestamp", kNow}, {"message", "b"}},
                            {{"timestamp", kNow - 1}, {"message", "a"}}}),
                    "InvalidParameterException",
                    "Log events in a single PutLogEvents request must be in chronological order.");
  EXPECT_LOGS_ERROR(PutRaw({{{"timestamp", kNow - 25 * kHour}, {"message", "a"}},
                            {{"timestamp", kNow}, {"message", "b"}}}),
                    "InvalidParameterException",
                    "The batch of log events in a single PutLogEvents request cannot span more "
                    "than 24 hours.");
  EXPECT_LOGS_ERROR(PutRaw({{{"timestamp", kNow}, {"message", std::string(1'048'551, 'x')}}}),
                    "InvalidParameterException",
                    "Log event too large: 1048577 bytes exceeds limit of 1048576");
  json big = json::array();
  for (int i = 0; i < 3; ++i)
    big.push_back({{"timestamp", kNow}, {"message", std::string(400'000, 'x')}});
  EXPECT_LOGS_ERROR(PutRaw(big), "InvalidParameterException",
                    "Upload too large: 1200078 bytes exceeds limit of 1048576");
  // The model's own limits.
  EXPECT_AWS_ERROR(PutRaw({{{"timestamp", kNow}, {"message", ""}}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(PutRaw(json::array()), "InvalidParameterException");
  json many = json::array();
  for (int i = 0; i < 10'001; ++i) many.push_back({{"timestamp", kNow}, {"message", "m"}});
  EXPECT_AWS_ERROR(PutRaw(many), "InvalidParameterException");
  // A span over 24 h counts only events that are not rejected anyway.
  Put("app", "s", {{kNow - 15 * kDay, "too old"}, {kNow, "ok"}});
  EXPECT_EQ(AllMessages(), (std::vector<std::string>{"ok"}));
  EXPECT_EQ(LogsOk("DescribeLogGroups", json::object())["logGroups"][0]["storedBytes"], 2);
}

TEST_F(LogsEventsTest, PutLogEventsNeverCreatesGroupsOrStreams) {
  EXPECT_LOGS_ERROR(
      Logs("PutLogEvents", {{"logGroupName", "nope"},
                            {"logStreamName", "s"},
                            {"logEvents", {{{"timestamp", kNow}, {"message", "m"}}}}}),
      "ResourceNotFoundException", "The specified log group does not exist.");
  EXPECT_LOGS_ERROR(PutRaw({{{"timestamp", kNow}, {"message", "m"}}}, "nope"),
                    "ResourceNotFoundException", "The specified log stream does not exist.");
  EXPECT_EQ(LogsOk("DescribeLogStreams", {{"logGroupName", "app"}})["logStreams"].size(), 1u);
}

// --- GetLogEvents -------------------------------------------------------------

TEST_F(LogsEventsTest, GetLogEventsStartsAtTheNewestPageUnlessFromHead) {
  for (int i = 0; i < 5; ++i) Put("app", "s", {{kNow - 100 + i, "e" + std::to_string(i)}});
  const json tail = Get({{"limit", 2}});
  EXPECT_EQ(Messages(tail), (std::vector<std::string>{"e3", "e4"}));
  EXPECT_EQ(tail["events"][0], json::parse(R"({"timestamp":1795000000028,"message":"e3",
    "ingestionTime":1795000000125})"));
  const json head = Get({{"limit", 2}, {"startFromHead", true}});
  EXPECT_EQ(Messages(head), (std::vector<std::string>{"e0", "e1"}));
  for (const json* page : {&tail, &head}) {
    for (const char* key : {"nextForwardToken", "nextBackwardToken"}) {
      const std::string token = (*page)[key];
      EXPECT_EQ(token.size(), 60u) << token;
      EXPECT_EQ(token.substr(0, 2), key[4] == 'F' ? "f/" : "b/");
      EXPECT_TRUE(token.ends_with("/s"));
    }
  }
}

TEST_F(LogsEventsTest, ForwardTokensWalkToTheEndThenComeBackUnchanged) {
  for (int i = 0; i < 5; ++i) Put("app", "s", {{kNow - 100, "e" + std::to_string(i)}});  // ties
  std::vector<std::string> seen;
  json page = Get({{"limit", 2}, {"startFromHead", true}});
  for (int i = 0; i < 10; ++i) {
    for (const auto& m : Messages(page)) seen.push_back(m);
    const json next = Get({{"limit", 2}, {"nextToken", page["nextForwardToken"]}});
    if (next["nextForwardToken"] == page["nextForwardToken"]) {
      EXPECT_TRUE(next["events"].empty());
      break;
    }
    page = next;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"e0", "e1", "e2", "e3", "e4"}));
  // New events show up behind the last forward token.
  Put("app", "s", {{kNow, "e5"}});
  EXPECT_EQ(Messages(Get({{"nextToken", page["nextForwardToken"]}})),
            (std::vector<std::string>{"e5"}));
}

TEST_F(LogsEventsTest, BackwardTokensWalkToTheStartThenComeBackUnchanged) {
  for (int i = 0; i < 5; ++i) Put("app", "s", {{kNow - 100 + i, "e" + std::to_string(i)}});
  std::vector<std::vector<std::string>> pages;
  json page = Get({{"limit", 2}});
  for (int i = 0; i < 10; ++i) {
    pages.push_back(Messages(page));
    const json previous = Get({{"limit", 2}, {"nextToken", page["nextBackwardToken"]}});
    if (previous["nextBackwardToken"] == page["nextBackwardToken"]) {
      EXPECT_TRUE(previous["events"].empty());
      break;
    }
    page = previous;
  }
  EXPECT_EQ(pages, (std::vector<std::vector<std::string>>{{"e3", "e4"}, {"e1", "e2"}, {"e0"}}));
}

TEST_F(LogsEventsTest, GetLogEventsWindowIsStartInclusiveEndExclusive) {
  for (int i = 0; i < 5; ++i) Put("app", "s", {{kNow - 100 + i, "e" + std::to_string(i)}});
  EXPECT_EQ(Messages(Get({{"startTime", kNow - 99}, {"endTime", kNow - 97}})),
            (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(
      Messages(Get({{"startTime", kNow - 99}, {"endTime", kNow - 97}, {"startFromHead", true}})),
      (std::vector<std::string>{"e1", "e2"}));
  const json empty = Get({{"startTime", kNow}, {"startFromHead", true}});
  EXPECT_TRUE(empty["events"].empty());
  EXPECT_EQ(Get({{"nextToken", empty["nextForwardToken"]}})["nextForwardToken"],
            empty["nextForwardToken"]);
}

TEST_F(LogsEventsTest, GetLogEventsRefusesBadTokensAndMissingThings) {
  CreateStream("app", "other");
  Put("app", "other", {{kNow, "x"}});
  const json other = Get({{"logStreamName", "other"}});
  for (const json& token : {json("bogus"), json("f/123/s"), other["nextForwardToken"]}) {
    EXPECT_LOGS_ERROR(Logs("GetLogEvents",
                           {{"logGroupName", "app"}, {"logStreamName", "s"}, {"nextToken", token}}),
                      "InvalidParameterException", "The specified nextToken is invalid.");
  }
  EXPECT_LOGS_ERROR(Logs("GetLogEvents", {{"logGroupName", "app"}, {"logStreamName", "nope"}}),
                    "ResourceNotFoundException", "The specified log stream does not exist.");
  EXPECT_LOGS_ERROR(Logs("GetLogEvents", {{"logGroupName", "nope"}, {"logStreamName", "s"}}),
                    "ResourceNotFoundException", "The specified log group does not exist.");
  EXPECT_AWS_ERROR(Logs("GetLogEvents", {{"logStreamName", "s"}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(
      Logs("GetLogEvents", {{"logGroupName", "app"}, {"logStreamName", "s"}, {"limit", 0}}),
      "InvalidParameterException");
  // By identifier, the ARN with ":*" as the API reference's sample has it.
  EXPECT_EQ(Messages(LogsOk("GetLogEvents",
                            {{"logGroupIdentifier", std::string(kGroupArnPrefix) + "app:*"},
                             {"logStreamName", "other"}})),
            (std::vector<std::string>{"x"}));
}

// --- FilterLogEvents ----------------------------------------------------------

TEST_F(LogsEventsTest, FilterLogEventsInterleavesStreamsInTimeOrder) {
  CreateStream("app", "t");
  Put("app", "s", {{kNow - 30, "s1"}, {kNow - 10, "s2"}});
  Put("app", "t", {{kNow - 20, "t1"}, {kNow - 10, "t2"}});
  const json reply = Filter(json::object());
  EXPECT_EQ(Messages(reply), (std::vector<std::string>{"s1", "t1", "s2", "t2"}));
  EXPECT_EQ(reply["searchedLogStreams"], json::array());
  EXPECT_FALSE(reply.contains("nextToken"));
  const json& e = reply["events"][1];
  EXPECT_EQ(e["logStreamName"], "t");
  EXPECT_EQ(e["timestamp"], kNow - 20);
  EXPECT_EQ(e["ingestionTime"], kNow);
  EXPECT_EQ(e["eventId"].get<std::string>().size(), 56u);
  // Ids are unique and stable across calls.
  std::set<std::string> ids;
  for (const auto& event : reply["events"]) ids.insert(event["eventId"].get<std::string>());
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(Filter(json::object())["events"][1]["eventId"], e["eventId"]);

  EXPECT_EQ(Messages(Filter({{"logStreamNames", {"t", "missing"}}})),
            (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(Messages(Filter({{"logStreamNamePrefix", "s"}})),
            (std::vector<std::string>{"s1", "s2"}));
  EXPECT_TRUE(Filter({{"logStreamNames", {"missing"}}})["events"].empty());
  EXPECT_AWS_ERROR(
      Logs("FilterLogEvents",
           {{"logGroupName", "app"}, {"logStreamNames", {"s"}}, {"logStreamNamePrefix", "s"}}),
      "InvalidParameterException");
}

TEST_F(LogsEventsTest, FilterLogEventsWindowIsInclusiveAtBothEnds) {
  for (int i = 0; i < 5; ++i) Put("app", "s", {{kNow - 100 + i, "e" + std::to_string(i)}});
  EXPECT_EQ(Messages(Filter({{"startTime", kNow - 99}, {"endTime", kNow - 97}})),
            (std::vector<std::string>{"e1", "e2", "e3"}));
}

TEST_F(LogsEventsTest, FilterLogEventsPagesNeverRepeatATokenAndEndWithoutOne) {
  CreateStream("app", "t");
  for (int i = 0; i < 7; ++i) {
    Put("app", i % 2 == 0 ? "s" : "t", {{kNow - 100 + i / 2, "e" + std::to_string(i)}});
  }
  const std::vector<std::string> all = FilterAll(json::object());
  EXPECT_EQ(all.size(), 7u);
  EXPECT_EQ(FilterAll({{"limit", 2}}), all);
  EXPECT_EQ(FilterAll({{"limit", 1}}), all);
  EXPECT_EQ(FilterAll({{"limit", 7}}), all);
  EXPECT_FALSE(Filter({{"limit", 7}}).contains("nextToken"));
  EXPECT_LOGS_ERROR(Logs("FilterLogEvents", {{"logGroupName", "app"}, {"nextToken", "bogus"}}),
                    "InvalidParameterException", "The specified nextToken is invalid.");
  // A token of another group is refused.
  CreateGroup("other");
  CreateStream("other", "s");
  Put("other", "s", {{kNow, "a"}, {kNow, "b"}});
  const json other = LogsOk("FilterLogEvents", {{"logGroupName", "other"}, {"limit", 1}});
  ASSERT_TRUE(other.contains("nextToken"));
  EXPECT_AWS_ERROR(
      Logs("FilterLogEvents", {{"logGroupName", "app"}, {"nextToken", other["nextToken"]}}),
      "InvalidParameterException");
}

TEST_F(LogsEventsTest, FilterLogEventsAppliesPatterns) {
  Put("app", "s",
      {{kNow - 4, "ERROR WARN message"},
       {kNow - 3, "ERROR message"},
       {kNow - 2, "WARN message"},
       {kNow - 1, R"({"level":"error","latency":700})"},
       {kNow, R"({"level":"info","latency":20})"}});
  EXPECT_EQ(Messages(Filter({{"filterPattern", "ERROR"}})),
            (std::vector<std::string>{"ERROR WARN message", "ERROR message"}));
  EXPECT_EQ(Messages(Filter({{"filterPattern", "ERROR -WARN"}})),
            (std::vector<std::string>{"ERROR message"}));
  EXPECT_EQ(Messages(Filter({{"filterPattern", "?ERROR ?WARN"}})).size(), 3u);
  EXPECT_EQ(Messages(Filter({{"filterPattern", "\"WARN message\""}})),
            (std::vector<std::string>{"ERROR WARN message", "WARN message"}));
  EXPECT_EQ(Messages(Filter({{"filterPattern", R"({ $.level = "err*" && $.latency > 500 })"}})),
            (std::vector<std::string>{R"({"level":"error","latency":700})"}));
  EXPECT_EQ(Filter({{"filterPattern", ""}})["events"].size(), 5u);
  EXPECT_LOGS_ERROR(Logs("FilterLogEvents", {{"logGroupName", "app"}, {"filterPattern", "user@x"}}),
                    "InvalidParameterException", "Invalid character(s) in term 'user@x'");
  EXPECT_LOGS_ERROR(
      Logs("FilterLogEvents", {{"logGroupName", "app"}, {"filterPattern", "{ $.a = 1"}}),
      "InvalidParameterException", "If a filter pattern starts with '{' it must end with '}'");
  // A pattern with few matches still pages correctly.
  EXPECT_EQ(FilterAll({{"filterPattern", "WARN"}, {"limit", 1}}),
            (std::vector<std::string>{"ERROR WARN message", "WARN message"}));
}

TEST_F(LogsEventsTest, AwsLogsTailRequestsWork) {
  // What `aws logs tail --follow` sends: interleaved, a startTime, no end.
  Put("app", "s", {{kNow - 5 * kMinute, "old"}, {kNow - kMinute, "recent"}});
  const json reply =
      LogsOk("FilterLogEvents",
             {{"logGroupName", "app"}, {"interleaved", true}, {"startTime", kNow - 2 * kMinute}});
  EXPECT_EQ(Messages(reply), (std::vector<std::string>{"recent"}));
  EXPECT_EQ(Messages(LogsOk("FilterLogEvents",
                            {{"logGroupIdentifier", std::string(kGroupArnPrefix) + "app"}})),
            (std::vector<std::string>{"old", "recent"}));
}

// --- Retention ----------------------------------------------------------------

TEST_F(LogsEventsTest, RetentionHidesOldEventsAtOnceAndMaintenancePurgesThem) {
  Put("app", "s", {{kNow - 5 * kDay, "five days"}});  // one batch spans 24 h at most
  Put("app", "s", {{kNow - kDay / 2, "half a day"}});
  LogsOk("PutRetentionPolicy", {{"logGroupName", "app"}, {"retentionInDays", 3}});
  EXPECT_EQ(AllMessages(), (std::vector<std::string>{"half a day"}));
  EXPECT_EQ(Messages(Filter(json::object())), (std::vector<std::string>{"half a day"}));
  // Lengthening the retention before the purge brings them back.
  LogsOk("PutRetentionPolicy", {{"logGroupName", "app"}, {"retentionInDays", 7}});
  EXPECT_EQ(AllMessages().size(), 2u);
  LogsOk("PutRetentionPolicy", {{"logGroupName", "app"}, {"retentionInDays", 1}});
  EXPECT_EQ(log_service_.PurgeExpired(), 1);
  LogsOk("DeleteRetentionPolicy", {{"logGroupName", "app"}});
  EXPECT_EQ(AllMessages(), (std::vector<std::string>{"half a day"}));
  EXPECT_EQ(LogsOk("DescribeLogGroups", json::object())["logGroups"][0]["storedBytes"], 10);
}

}  // namespace
}  // namespace berth::testing
